"""Program events: each carries the whole program (event-carried state transfer).

A program is published when it opens enrollment; drafts are private to profiles, so their
edits publish nothing."""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Final

from pydantic import AwareDatetime, ConfigDict, Field

from contracts import topics
from contracts.base import ContractModel, Event


class MatchObjective(StrEnum):
    BEST_TOTAL = "BEST_TOTAL"  # the highest total score, even if a few mentees wait
    MAX_MATCHED = "MAX_MATCHED"  # as many mentees matched as possible, then the best score


class ProgramKind(StrEnum):
    ONE_ON_ONE = "ONE_ON_ONE"
    PEER = "PEER"
    GROUP = "GROUP"
    REVERSE = "REVERSE"


class ProgramStatus(StrEnum):
    DRAFT = "DRAFT"
    ENROLLING = "ENROLLING"
    MATCHING = "MATCHING"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


class ParticipantRole(StrEnum):
    MENTOR = "MENTOR"
    MENTEE = "MENTEE"
    PEER = "PEER"


class ObjectiveMetric(StrEnum):
    REPRESENTATION_IN_LEADERSHIP = "REPRESENTATION_IN_LEADERSHIP"
    INTERNAL_MOBILITY = "INTERNAL_MOBILITY"
    PROMOTION_RATE = "PROMOTION_RATE"
    PARTICIPATION = "PARTICIPATION"
    SATISFACTION = "SATISFACTION"
    RETENTION = "RETENTION"


class ObjectiveSnapshot(ContractModel):
    metric: ObjectiveMetric
    target: float = Field(description="Shares and rates in [0, 1]; SATISFACTION: mean rating 1..5")
    baseline: float | None
    due_on: date
    description: str | None


class CurriculumModuleSnapshot(ContractModel):
    title: str
    discussion_guide: str
    pre_work: list[str]
    action_item_templates: list[str]


class CurriculumSnapshot(ContractModel):
    cadence: str = Field(description="RFC 5545 RRULE: DAILY/WEEKLY/MONTHLY, INTERVAL, BYDAY, …")
    session_minutes: int
    modules: list[CurriculumModuleSnapshot]


class MatchCriterion(StrEnum):
    """What a match's score weighs (the keys of a policy's `weights`)."""

    GOALS = "goals"
    INTERESTS = "interests"
    CROSS_DEPARTMENT = "crossDepartment"
    LEVEL_GAP = "levelGap"
    TIME_ZONE = "timeZone"
    FEEDBACK = "feedback"


DEFAULT_WEIGHTS: Final[Mapping[MatchCriterion, float]] = {
    MatchCriterion.GOALS: 0.35,
    MatchCriterion.INTERESTS: 0.15,
    MatchCriterion.CROSS_DEPARTMENT: 0.10,
    MatchCriterion.LEVEL_GAP: 0.15,
    MatchCriterion.TIME_ZONE: 0.15,
    MatchCriterion.FEEDBACK: 0.10,
}


class MatchingPolicyTerms(ContractModel):
    """A matching policy as a program's owner (or a dry run trying one) gives it: each member
    left out takes its default, weights not named keep theirs. Bounds are checked here, the
    rules that depend on the program's kind by profiles. Its members are the snapshot's."""

    model_config = ConfigDict(extra="forbid")  # a misspelt member is an error, not a no-op

    mentors_per_mentee: int = Field(default=1, ge=1, le=10)
    group_size: int | None = Field(default=None, ge=2, le=100)
    min_level_gap: int | None = Field(default=None, ge=-100, le=100)
    max_level_gap: int | None = Field(default=None, ge=-100, le=100)
    cross_department: bool = True
    prioritize_underrepresented: bool = False
    weights: dict[MatchCriterion, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = (
        Field(
            default=None, description="Criterion → weight ≥ 0; criteria left out keep their default"
        )
    )
    objective: MatchObjective = MatchObjective.BEST_TOTAL
    admin_matches_need_consent: bool = True

    def snapshot(self) -> "MatchingPolicySnapshot":
        """The whole policy, every weight spelled out."""
        weights = {**DEFAULT_WEIGHTS, **(self.weights or {})}
        return MatchingPolicySnapshot.model_validate(
            {**self.model_dump(), "weights": {str(k): float(v) for k, v in weights.items()}}
        )


class MatchingPolicySnapshot(ContractModel):
    mentors_per_mentee: int
    group_size: int | None = Field(description="GROUP programs: mentees per leader")
    min_level_gap: int | None = Field(
        description="Mentor level minus mentee level (REVERSE: mentee minus mentor); "
        "PEER programs use maxLevelGap only, as an absolute difference"
    )
    max_level_gap: int | None
    cross_department: bool
    prioritize_underrepresented: bool
    weights: dict[str, float] = Field(description="Criterion → weight ≥ 0")
    objective: MatchObjective = Field(
        default=MatchObjective.BEST_TOTAL, description="What a match run maximizes"
    )
    admin_matches_need_consent: bool = Field(
        default=True,
        description="False: what a match run proposes starts ACCEPTED, without asking the pair",
    )


class EnrollmentWindowSnapshot(ContractModel):
    opens_at: AwareDatetime | None
    closes_at: AwareDatetime | None


class EligibilitySnapshot(ContractModel):
    """Who may enroll; an empty list does not restrict."""

    levels: list[int]
    departments: list[str]
    roles: list[ParticipantRole] = Field(
        description="The roles the rule applies to; empty: every role"
    )


class ProgramSnapshot(ContractModel):
    id: str
    name: str
    kind: ProgramKind
    status: ProgramStatus
    description: str | None
    starts_on: date | None
    ends_on: date | None
    objectives: list[ObjectiveSnapshot]
    curriculum: CurriculumSnapshot
    matching_policy: MatchingPolicySnapshot
    enrollment_window: EnrollmentWindowSnapshot
    eligibility: EligibilitySnapshot
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    updated_at: AwareDatetime


class _ProgramEvent(Event):
    topic: ClassVar[str] = topics.PROGRAMS
    program: ProgramSnapshot

    def partition_key(self) -> str:
        return self.program.id


class ProgramPublished(_ProgramEvent):
    """The program opened enrollment: from now on other services know it."""

    event_type: ClassVar[str] = "program.published"


class ProgramUpdated(_ProgramEvent):
    event_type: ClassVar[str] = "program.updated"
    changed_fields: list[str] = Field(description="camelCase names of the fields that changed")


class ProgramClosed(_ProgramEvent):
    event_type: ClassVar[str] = "program.closed"
    closed_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (ProgramPublished, ProgramUpdated, ProgramClosed)
