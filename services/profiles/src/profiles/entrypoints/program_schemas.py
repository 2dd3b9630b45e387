"""What the programs and enrollments API takes in: checked for types and bounds here, for the
program's rules in domain.programs. Its answers are contract views (`views`)."""

from datetime import date
from typing import Annotated, Any

from contracts.base import ContractModel
from contracts.problems import Code, FieldError
from contracts.programs import (
    MatchingPolicyTerms,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
)
from pydantic import AwareDatetime, ConfigDict, Field, FiniteFloat, StringConstraints
from runtime.refusals import Refused

from profiles.domain.enrollments import EnrollmentTerms
from profiles.domain.programs import (
    Curriculum,
    CurriculumModule,
    Eligibility,
    EnrollmentWindow,
    Objective,
    ProgramDefinition,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Level = Annotated[int, Field(ge=0, le=100)]


class _In(ContractModel):
    # Inputs name every unknown member instead of ignoring it: a typo must not pass silently.
    model_config = ConfigDict(extra="forbid")


# --- programs in -----------------------------------------------------------------------------


class ObjectiveIn(_In):
    metric: ObjectiveMetric
    target: FiniteFloat
    baseline: FiniteFloat | None = None
    due_on: date
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def to_domain(self) -> Objective:
        return Objective(
            metric=self.metric,
            target=self.target,
            baseline=self.baseline,
            due_on=self.due_on,
            description=self.description,
        )


class CurriculumModuleIn(_In):
    title: Text
    discussion_guide: LongText
    pre_work: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
    action_item_templates: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )

    def to_domain(self) -> CurriculumModule:
        return CurriculumModule(
            title=self.title,
            discussion_guide=self.discussion_guide,
            pre_work=tuple(self.pre_work),
            action_item_templates=tuple(self.action_item_templates),
        )


class CurriculumIn(_In):
    cadence: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=6"
    )
    session_minutes: int = Field(ge=5, le=480)
    modules: list[CurriculumModuleIn] = Field(default_factory=list, max_length=100)

    def to_domain(self) -> Curriculum:
        return Curriculum(
            cadence=self.cadence,
            session_minutes=self.session_minutes,
            modules=tuple(m.to_domain() for m in self.modules),
        )


class EnrollmentWindowIn(_In):
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None

    def to_domain(self) -> EnrollmentWindow:
        return EnrollmentWindow(opens_at=self.opens_at, closes_at=self.closes_at)


class EligibilityIn(_In):
    levels: list[Level] = Field(default_factory=list, max_length=101)
    departments: list[Text] = Field(default_factory=list, max_length=500)
    roles: list[ParticipantRole] = Field(default_factory=list, max_length=3)

    def to_domain(self) -> Eligibility:
        return Eligibility(
            levels=tuple(sorted(set(self.levels))),
            departments=tuple(dict.fromkeys(self.departments)),
            roles=tuple(dict.fromkeys(self.roles)),
        )


class ProgramCreate(_In):
    name: Text
    kind: ProgramKind
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    objectives: list[ObjectiveIn] = Field(default_factory=list, max_length=20)
    curriculum: CurriculumIn
    matching_policy: MatchingPolicyTerms = Field(default_factory=MatchingPolicyTerms)
    enrollment_window: EnrollmentWindowIn = Field(default_factory=EnrollmentWindowIn)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)

    def to_domain(self) -> ProgramDefinition:
        return ProgramDefinition(
            name=self.name,
            kind=self.kind,
            description=self.description,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            objectives=tuple(o.to_domain() for o in self.objectives),
            curriculum=self.curriculum.to_domain(),
            matching_policy=self.matching_policy.snapshot(),
            enrollment_window=self.enrollment_window.to_domain(),
            eligibility=self.eligibility.to_domain(),
        )


# Members that may be null in a patch (null clears them); the others only take new values.
_CLEARABLE = {"description", "starts_on", "ends_on"}


class ProgramPatch(_In):
    """A merge patch: an absent member stays; a given one replaces the stored value whole."""

    name: Text | None = None
    kind: ProgramKind | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    objectives: list[ObjectiveIn] | None = Field(default=None, max_length=20)
    curriculum: CurriculumIn | None = None
    matching_policy: MatchingPolicyTerms | None = None
    enrollment_window: EnrollmentWindowIn | None = None
    eligibility: EligibilityIn | None = None

    def changes(self) -> dict[str, Any]:
        """ProgramDefinition field → new value, for the members given; Refused(INVALID) for a
        null where the program needs a value."""
        nulls = sorted(
            name for name in self.model_fields_set - _CLEARABLE if getattr(self, name) is None
        )
        if nulls:
            raise Refused.many(Code.INVALID, [_not_nullable(name) for name in nulls])
        out: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if isinstance(value, list):
                out[name] = tuple(item.to_domain() for item in value)
            elif isinstance(value, MatchingPolicyTerms):
                out[name] = value.snapshot()
            elif hasattr(value, "to_domain"):
                out[name] = value.to_domain()
            else:
                out[name] = value
        return out


def _not_nullable(name: str) -> FieldError:
    field = ProgramPatch.model_fields[name].alias or name
    return FieldError(field=field, message="cannot be null; leave it out to keep it")


class ProgramBatchRequest(_In):
    ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(max_length=500)


# --- enrollments -----------------------------------------------------------------------------


class EnrollIn(_In):
    person_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    role: ParticipantRole
    goals: list[Text] = Field(default_factory=list, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=50)

    def terms(self) -> EnrollmentTerms:
        return EnrollmentTerms(role=self.role, goals=tuple(self.goals), capacity=self.capacity)


class EnrollmentBatchRequest(_In):
    person_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(max_length=500)


class EnrollmentPatch(_In):
    goals: list[Text] | None = Field(default=None, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=50)


class WithdrawIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
