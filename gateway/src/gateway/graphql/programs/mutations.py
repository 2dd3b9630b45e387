"""Programs and enrollment changes. Resolvers compose profiles' internal API; every rule lives
there. A mutation answers what the caller can fix as userErrors (fields under `input`) and
then has changed nothing."""

from datetime import date, datetime

import strawberry
from contracts.enrollments import EnrollmentSnapshot
from contracts.internal.programs import ProgramView
from contracts.problems import Problem
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import MatchObjective, ObjectiveMetric, ParticipantRole, ProgramKind
from gateway.graphql.ids import decode_id
from gateway.graphql.programs.types import Enrollment, Program, remembered
from gateway.graphql.upstream import request_body
from gateway.graphql.user_errors import UserError, from_problem, not_found


@strawberry.input
class ObjectiveInput:
    metric: ObjectiveMetric
    target: float
    baseline: float | None = strawberry.UNSET
    due_on: date
    description: str | None = strawberry.UNSET


@strawberry.input
class CurriculumModuleInput:
    title: str
    discussion_guide: str
    pre_work: list[str] | None = strawberry.UNSET
    action_item_templates: list[str] | None = strawberry.UNSET


@strawberry.input
class CurriculumInput:
    cadence: str
    session_minutes: int
    modules: list[CurriculumModuleInput]


@strawberry.input
class MatchingPolicyInput:
    mentors_per_mentee: int | None = 1
    group_size: int | None = strawberry.UNSET
    min_level_gap: int | None = strawberry.UNSET
    max_level_gap: int | None = strawberry.UNSET
    cross_department: bool | None = True
    prioritize_underrepresented: bool | None = False
    weights: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Criterion → weight ≥ 0; criteria left out keep their default weight",
    )
    objective: MatchObjective | None = strawberry.field(
        default=strawberry.UNSET,
        description="BEST_TOTAL (default): the highest total score; MAX_MATCHED: as many "
        "mentees matched as possible, then the highest total score",
    )
    admin_matches_need_consent: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Default true; false: what a match run proposes starts ACCEPTED",
    )


@strawberry.input
class EnrollmentWindowInput:
    opens_at: datetime | None = strawberry.UNSET
    closes_at: datetime | None = strawberry.UNSET


@strawberry.input
class EligibilityInput:
    levels: list[int] | None = strawberry.UNSET
    departments: list[str] | None = strawberry.UNSET
    roles: list[ParticipantRole] | None = strawberry.UNSET


@strawberry.input
class CreateProgramInput:
    name: str
    kind: ProgramKind
    description: str | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    objectives: list[ObjectiveInput] | None = strawberry.UNSET
    curriculum: CurriculumInput
    matching_policy: MatchingPolicyInput | None = strawberry.UNSET
    enrollment_window: EnrollmentWindowInput | None = strawberry.UNSET
    eligibility: EligibilityInput | None = strawberry.UNSET


@strawberry.input(
    description="Each field given replaces the program's value whole; null clears description, "
    "startsOn and endsOn. The kind changes only while the program is a DRAFT."
)
class UpdateProgramInput:
    program_id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: ProgramKind | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    objectives: list[ObjectiveInput] | None = strawberry.UNSET
    curriculum: CurriculumInput | None = strawberry.UNSET
    matching_policy: MatchingPolicyInput | None = strawberry.UNSET
    enrollment_window: EnrollmentWindowInput | None = strawberry.UNSET
    eligibility: EligibilityInput | None = strawberry.UNSET


@strawberry.input
class OpenEnrollmentInput:
    program_id: strawberry.ID


@strawberry.input
class CloseProgramInput:
    program_id: strawberry.ID


@strawberry.input
class EnrollInput:
    program_id: strawberry.ID
    person_id: strawberry.ID
    role: ParticipantRole
    goals: list[str] | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET


@strawberry.input
class UpdateEnrollmentInput:
    enrollment_id: strawberry.ID
    goals: list[str] | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET


@strawberry.input
class WithdrawInput:
    enrollment_id: strawberry.ID
    reason: str | None = strawberry.UNSET


# --- payloads --------------------------------------------------------------------------------


@strawberry.type
class ProgramPayload:
    program: Program | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, context: CairnContext, answer: ProgramView | Problem | None) -> "ProgramPayload":
        if isinstance(answer, Problem):
            return cls(program=None, user_errors=from_problem(answer))
        if answer is None:
            return cls(program=None, user_errors=not_found("program", "programId"))
        return cls(program=remembered(context, answer), user_errors=[])


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment | None
    user_errors: list[UserError]

    @classmethod
    def of(
        cls, answer: EnrollmentSnapshot | Problem | None, *, missing: str
    ) -> "EnrollmentPayload":
        """`missing`: the input's id field that named nothing when the answer is None."""
        if isinstance(answer, Problem):
            return cls(enrollment=None, user_errors=from_problem(answer))
        if answer is None:
            return cls(enrollment=None, user_errors=not_found(missing.removesuffix("Id"), missing))
        return cls(enrollment=Enrollment.of(answer), user_errors=[])


@strawberry.type
class ProgramsMutation:
    @strawberry.mutation(description="A new program, as a DRAFT (private until it opens).")
    async def create_program(
        self, info: Info[CairnContext, None], input: CreateProgramInput
    ) -> ProgramPayload:
        answer = await info.context.profiles.change(
            ProgramView, "POST", "/internal/programs", json=request_body(input)
        )
        return ProgramPayload.of(info.context, answer)

    @strawberry.mutation(description="Change a program that is not CLOSED.")
    async def update_program(
        self, info: Info[CairnContext, None], input: UpdateProgramInput
    ) -> ProgramPayload:
        return await _change_program(
            info.context,
            "PATCH",
            "/internal/programs/{}",
            input.program_id,
            request_body(input, skip=("program_id",)),
        )

    @strawberry.mutation(description="DRAFT → ENROLLING: people may enroll (in its window).")
    async def open_enrollment(
        self, info: Info[CairnContext, None], input: OpenEnrollmentInput
    ) -> ProgramPayload:
        return await _change_program(
            info.context, "POST", "/internal/programs/{}/open-enrollment", input.program_id
        )

    @strawberry.mutation(description="Any program not yet CLOSED → CLOSED, for good.")
    async def close_program(
        self, info: Info[CairnContext, None], input: CloseProgramInput
    ) -> ProgramPayload:
        return await _change_program(
            info.context, "POST", "/internal/programs/{}/close", input.program_id
        )

    @strawberry.mutation(
        description="A person joins an ENROLLING program as MENTOR or MENTEE (PEER programs: "
        "PEER), if eligible and not enrolled in that role already."
    )
    async def enroll(self, info: Info[CairnContext, None], input: EnrollInput) -> EnrollmentPayload:
        program = decode_id("Program", input.program_id)
        if program is None:
            return EnrollmentPayload.of(None, missing="programId")
        person = decode_id("Person", input.person_id)
        if person is None:
            return EnrollmentPayload.of(None, missing="personId")
        body = {**request_body(input, skip=("program_id",)), "personId": person}
        answer = await info.context.profiles.change(
            EnrollmentSnapshot, "POST", "/internal/programs/{}/enrollments", program, json=body
        )
        return EnrollmentPayload.of(answer, missing="programId")

    @strawberry.mutation(description="New goals or capacity of an active enrollment.")
    async def update_enrollment(
        self, info: Info[CairnContext, None], input: UpdateEnrollmentInput
    ) -> EnrollmentPayload:
        return await _change_enrollment(
            info.context,
            "PATCH",
            "/internal/enrollments/{}",
            input.enrollment_id,
            request_body(input, skip=("enrollment_id",)),
        )

    @strawberry.mutation(description="The person leaves the program (status WITHDRAWN).")
    async def withdraw(
        self, info: Info[CairnContext, None], input: WithdrawInput
    ) -> EnrollmentPayload:
        return await _change_enrollment(
            info.context,
            "POST",
            "/internal/enrollments/{}/withdraw",
            input.enrollment_id,
            request_body(input, skip=("enrollment_id",)),
        )


async def _change_program(
    context: CairnContext,
    method: str,
    template: str,
    program_id: strawberry.ID,
    body: object = None,
) -> ProgramPayload:
    key = decode_id("Program", program_id)
    answer = (
        await context.profiles.change(ProgramView, method, template, key, json=body)
        if key is not None
        else None
    )
    return ProgramPayload.of(context, answer)


async def _change_enrollment(
    context: CairnContext,
    method: str,
    template: str,
    enrollment_id: strawberry.ID,
    body: object,
) -> EnrollmentPayload:
    key = decode_id("Enrollment", enrollment_id)
    answer = (
        await context.profiles.change(EnrollmentSnapshot, method, template, key, json=body)
        if key is not None
        else None
    )
    return EnrollmentPayload.of(answer, missing="enrollmentId")
