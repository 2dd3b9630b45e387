"""Feedback events (owned by the feedback service), keyed by the match they are about.

Free-text comments never travel: they stay with the feedback service, which shows them only
to whom the program allows. Matching reads ratings (a mentor's record so far) and flags
(a participant says the pairing does not work)."""

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event


class FeedbackRequestKind(StrEnum):
    SESSION = "SESSION"  # after a held session, to each attendee
    PULSE = "PULSE"  # 30 days into a match, then every 60
    CLOSE_OUT = "CLOSE_OUT"  # when a match completes or ends


class FeedbackRequestSnapshot(ContractModel):
    id: str
    program_id: str
    kind: FeedbackRequestKind
    respondent_id: str
    match_id: str | None = None
    session_id: str | None = None
    requested_at: AwareDatetime
    expires_at: AwareDatetime


class FeedbackRequested(Event):
    """Someone is asked a few questions: integrators nudge them in Slack or email."""

    topic: ClassVar[str] = topics.FEEDBACK
    event_type: ClassVar[str] = "feedback.requested"
    request: FeedbackRequestSnapshot

    def partition_key(self) -> str:
        r = self.request
        return r.match_id or r.session_id or r.id


class FlagReason(StrEnum):
    LOW_SESSION_RATING = "LOW_SESSION_RATING"
    LOW_PULSE_RATING = "LOW_PULSE_RATING"
    REPEATED_MISSED_SESSIONS = "REPEATED_MISSED_SESSIONS"  # cancellations or no-shows
    NO_RECENT_SESSION = "NO_RECENT_SESSION"  # silent longer than the program allows
    FALLING_RATINGS = "FALLING_RATINGS"
    PARTICIPANT_REPORT = "PARTICIPANT_REPORT"  # a participant says it does not work


class EvidenceKind(StrEnum):
    RATING = "RATING"  # ref: the response
    SESSION = "SESSION"  # ref: the session
    LAST_CONTACT = "LAST_CONTACT"  # the last held session (or the acceptance)


class FlagEvidence(ContractModel):
    kind: EvidenceKind
    ref_id: str | None = Field(description="The response or session it points at, if known")
    at: AwareDatetime
    detail: str = Field(description="A rating, a status; never a comment")


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
    reason_code: FlagReason | None = Field(default=None, description="Early warning's rule")
    evidence: list[FlagEvidence] = Field(default_factory=list)

    def partition_key(self) -> str:
        return self.match_id


EVENTS: tuple[type[Event], ...] = (FeedbackRequested, FeedbackSubmitted, MatchFlagged)
