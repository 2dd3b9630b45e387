"""Feedback events (owned by the feedback service), keyed by the match they are about.

Free-text comments never travel: they stay with the feedback service, which shows them only
to whom the program allows. Matching reads ratings (a mentor's record so far) and flags
(a participant says the pairing does not work)."""

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event


class FeedbackResponseSnapshot(ContractModel):
    id: str = Field(description="The response; a corrected response keeps its id")
    request_id: str | None = None
    program_id: str
    match_id: str | None = Field(default=None, description="The match the feedback is about")
    session_id: str | None = Field(default=None, description="The session it followed, if any")
    respondent_id: str
    rating: int | None = Field(default=None, ge=1, le=5, description="How it went, 1..5")
    nps: int | None = Field(
        default=None, ge=0, le=10, description="How likely to recommend the program, 0..10"
    )
    goal_progress: int | None = Field(
        default=None, ge=1, le=5, description="Progress on the respondent's goals, 1..5"
    )
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    submitted_at: AwareDatetime


class FeedbackSubmitted(Event):
    topic: ClassVar[str] = topics.FEEDBACK
    event_type: ClassVar[str] = "feedback.submitted"
    response: FeedbackResponseSnapshot

    def partition_key(self) -> str:
        r = self.response
        return r.match_id or r.session_id or r.id


class MatchFlagged(Event):
    """A participant says the pairing does not work (e.g. a poor-fit answer): matching ends
    the match, never proposes the pair again and offers the mentee the next best."""

    topic: ClassVar[str] = topics.FEEDBACK
    event_type: ClassVar[str] = "match.flagged"
    match_id: str
    program_id: str
    flagged_by: str = Field(description="The participant who raised it")
    reason: str = Field(description="Why, in the participant's words or the survey's")
    flagged_at: AwareDatetime

    def partition_key(self) -> str:
        return self.match_id


EVENTS: tuple[type[Event], ...] = (FeedbackSubmitted, MatchFlagged)
