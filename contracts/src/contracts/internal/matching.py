"""matching's answers: runs with their pairs, suggestions, and what it knows of a pool."""

from typing import Any

from pydantic import Field

from contracts.base import ContractModel
from contracts.matches import MatchReasonSnapshot, MatchRunSnapshot, MatchSnapshot


class UnmatchedMentee(ContractModel):
    person_id: str
    reason: str


class MatchRunView(MatchRunSnapshot):
    """A run as the API shows it: its event snapshot, with who was left unmatched and why;
    the per-group figures only once it completed."""

    by_group: dict[str, Any] | None = Field(  # type: ignore[assignment]
        description="Match rate and mean score per group; null until the run completed"
    )
    unmatched: list[UnmatchedMentee]


class ProposedPair(ContractModel):
    """What a run proposed (or, dry, would have), best first."""

    mentor_id: str
    mentee_ids: list[str]
    score: float
    reasons: list[MatchReasonSnapshot]
    cursor: str = Field(description="Opaque: pass as `after` for the pairs that follow")


class MentorSuggestion(ContractModel):
    mentor_id: str
    score: float = Field(description="The pair's compatibility, 0..1")
    rank_score: float = Field(description="The score damped by requests already waiting")
    reasons: list[MatchReasonSnapshot]


class CohortView(ContractModel):
    """What matching knows of a program's pool (to see the replicas caught up)."""

    program_id: str
    status: str
    mentors: int
    mentees: int
    unknown_people: int


class PersonMatches(ContractModel):
    """A person's matches, as mentor or mentee, in proposal order (one of a batch: the
    gateway's DataLoaders)."""

    person_id: str
    items: list[MatchSnapshot]
