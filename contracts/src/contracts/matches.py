"""Match events: each carries the whole match (event-carried state transfer), keyed by match
id; a match run's completion carries its aggregates only (never who was in which group)."""

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, Field, WithJsonSchema

from contracts import topics
from contracts.base import ContractModel, Event
from contracts.programs import ProgramKind


class MatchStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    ENDED = "ENDED"


class MatchOrigin(StrEnum):
    RUN = "RUN"  # proposed by a match run
    SELF_SERVE = "SELF_SERVE"  # the mentee chose the mentor from suggestions
    REOFFER = "REOFFER"  # the next best, after an earlier proposal expired


class MatchRunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Optimality(StrEnum):
    """How good a run's answer is known to be. PROVEN: no assignment under the same rules and
    policy scores higher (a certificate checked against every allowed pair). BEST_FOUND: the
    best answer found, with its gap bounding how much better the optimum can be."""

    PROVEN = "PROVEN"
    BEST_FOUND = "BEST_FOUND"


class MatchReasonSnapshot(ContractModel):
    criterion: str
    contribution: float = Field(description="This criterion's share of the score")
    explanation: str


class MatchSnapshot(ContractModel):
    id: str
    program_id: str
    kind: ProgramKind
    mentor_id: str = Field(description="PEER programs: the first peer")
    mentee_ids: list[str] = Field(description="One; PEER programs: the other peer")
    score: float = Field(description="0..1")
    reasons: list[MatchReasonSnapshot]
    status: MatchStatus
    origin: MatchOrigin
    run_id: str | None = Field(description="The match run that proposed it, if one did")
    accepted_by: list[str] = Field(description="Ids of the participants who accepted so far")
    proposed_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(
        description="PROPOSED: when the proposal lapses without an answer"
    )
    decided_at: AwareDatetime | None = Field(description="When it was accepted or declined")
    ended_at: AwareDatetime | None
    reason: str | None = Field(description="Why it was declined or ended, when given")
    flagged_for_review: bool = Field(
        description="The org changed under the pair (e.g. one now reports to the other)"
    )
    sessions_completed: int = Field(default=0, description="Sessions held so far")
    last_session_at: AwareDatetime | None = Field(
        default=None, description="When the latest held session ended"
    )
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    updated_at: AwareDatetime


class _MatchEvent(Event):
    topic: ClassVar[str] = topics.MATCHES
    match: MatchSnapshot

    def partition_key(self) -> str:
        return self.match.id


class MatchProposed(_MatchEvent):
    event_type: ClassVar[str] = "match.proposed"


class MatchAccepted(_MatchEvent):
    """Every participant accepted (or the program needs no consent for admin matches)."""

    event_type: ClassVar[str] = "match.accepted"


class MatchDeclined(_MatchEvent):
    """A participant declined, or the proposal expired unanswered; the pair is never
    proposed again."""

    event_type: ClassVar[str] = "match.declined"


class MatchActivated(_MatchEvent):
    """ACCEPTED → ACTIVE: the pair held its first session."""

    event_type: ClassVar[str] = "match.activated"


class MatchCompleted(_MatchEvent):
    """ACTIVE → COMPLETED: the plan's last session was held, or the program closed."""

    event_type: ClassVar[str] = "match.completed"


class MatchEnded(_MatchEvent):
    """An open match ended early, with a reason (a participant, an admin, a leaver, a
    participant's flag); the pair is never proposed again."""

    event_type: ClassVar[str] = "match.ended"


class MatchReviewFlagged(_MatchEvent):
    """The org changed under an open match (e.g. one of the pair now reports to the other):
    an admin should review it; the pair is not proposed again."""

    event_type: ClassVar[str] = "match.review_flagged"


class MatchRunSnapshot(ContractModel):
    id: str
    program_id: str
    dry_run: bool = Field(description="A preview: nothing was proposed to anyone")
    # Typed here, a plain string in the published schema (as it always was).
    status: Annotated[
        MatchRunStatus,
        WithJsonSchema({"type": "string", "title": "Status"}),
        Field(description="RUNNING, COMPLETED or FAILED"),
    ]
    matched_mentees: int
    unmatched_mentees: int
    mean_score: float | None
    by_group: dict[str, Any] = Field(
        description="Match rate and mean score per group; groups under the minimum size "
        "are left out"
    )
    started_at: AwareDatetime
    finished_at: AwareDatetime | None
    error: str | None = Field(default=None, description="FAILED: what went wrong")
    policy: dict[str, Any] | None = Field(
        default=None,
        description="The matching policy it ran under: the program's, or a dry run's trial",
    )
    # Added after v1: how good the answer is known to be (absent: not finished, or older).
    optimality: Optimality | None = Field(
        default=None, description="PROVEN, or BEST_FOUND with optimalityGap"
    )
    optimality_gap: float | None = Field(
        default=None,
        description="BEST_FOUND: the most the optimum's total score can exceed this run's",
    )


class MatchRunCompleted(Event):
    topic: ClassVar[str] = topics.MATCHES
    event_type: ClassVar[str] = "matchrun.completed"
    run: MatchRunSnapshot

    def partition_key(self) -> str:
        return self.run.id


EVENTS: tuple[type[Event], ...] = (
    MatchProposed,
    MatchAccepted,
    MatchDeclined,
    MatchActivated,
    MatchCompleted,
    MatchEnded,
    MatchReviewFlagged,
    MatchRunCompleted,
)
