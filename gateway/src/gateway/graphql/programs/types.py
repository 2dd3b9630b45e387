"""Programs and enrollment, named as in api-sketch.graphql (a contract: add, never rename).

Each type is built from the contract model profiles answered with (`ProgramView`,
`EnrollmentSnapshot`, …). `Program.matches` is served by matching's area, imported when first
resolved (its types refer back to Program)."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from contracts.enrollments import EnrollmentSnapshot
from contracts.internal.programs import ProgramView
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from contracts.programs import (
    CurriculumModuleSnapshot,
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicySnapshot,
    ObjectiveSnapshot,
)
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import (
    MatchObjective,
    MatchStatus,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
    ProgramStatus,
)
from gateway.graphql.ids import encode_id
from gateway.graphql.people.types import Person, person_of
from gateway.graphql.relay import DEFAULT_PAGE, Connection, connection, page_size

if TYPE_CHECKING:
    from gateway.graphql.feedback.insights import ProgramInsights
    from gateway.graphql.matching.types import Match


@strawberry.type
class Objective:
    metric: ObjectiveMetric
    target: float = strawberry.field(
        description="Shares and rates in [0, 1] (0.35 for 35 %); SATISFACTION: mean rating 1..5"
    )
    baseline: float | None
    due_on: date
    description: str | None

    @classmethod
    def of(cls, objective: ObjectiveSnapshot) -> "Objective":
        return cls(
            metric=objective.metric,
            target=objective.target,
            baseline=objective.baseline,
            due_on=objective.due_on,
            description=objective.description,
        )


@strawberry.type
class CurriculumModule:
    title: str
    discussion_guide: str
    pre_work: list[str]
    action_item_templates: list[str]

    @classmethod
    def of(cls, module: CurriculumModuleSnapshot) -> "CurriculumModule":
        return cls(
            title=module.title,
            discussion_guide=module.discussion_guide,
            pre_work=list(module.pre_work),
            action_item_templates=list(module.action_item_templates),
        )


@strawberry.type
class Curriculum:
    cadence: str = strawberry.field(
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=6: FREQ DAILY, WEEKLY or "
        "MONTHLY with INTERVAL, BYDAY, COUNT or UNTIL (what Google and Microsoft both book)"
    )
    session_minutes: int
    modules: list[CurriculumModule]

    @classmethod
    def of(cls, curriculum: CurriculumSnapshot) -> "Curriculum":
        return cls(
            cadence=curriculum.cadence,
            session_minutes=curriculum.session_minutes,
            modules=[CurriculumModule.of(m) for m in curriculum.modules],
        )


@strawberry.type
class MatchingPolicy:
    mentors_per_mentee: int = strawberry.field(
        description="More than one expands the mentee's network"
    )
    group_size: int | None = strawberry.field(description="GROUP programs: mentees per leader")
    min_level_gap: int | None = strawberry.field(
        description="Mentor level minus mentee level (REVERSE: mentee minus mentor); PEER "
        "programs use maxLevelGap only, as the difference either way"
    )
    max_level_gap: int | None
    cross_department: bool
    prioritize_underrepresented: bool
    weights: JSON = strawberry.field(
        description="Criterion → weight ≥ 0: goals, interests, crossDepartment, levelGap, "
        "timeZone, feedback"
    )
    objective: MatchObjective = strawberry.field(description="What a match run maximizes")
    admin_matches_need_consent: bool = strawberry.field(
        description="False: what a match run proposes starts ACCEPTED, without asking the pair"
    )

    @classmethod
    def of(cls, policy: MatchingPolicySnapshot) -> "MatchingPolicy":
        return cls(
            mentors_per_mentee=policy.mentors_per_mentee,
            group_size=policy.group_size,
            min_level_gap=policy.min_level_gap,
            max_level_gap=policy.max_level_gap,
            cross_department=policy.cross_department,
            prioritize_underrepresented=policy.prioritize_underrepresented,
            weights=JSON(dict(policy.weights)),
            objective=policy.objective,
            admin_matches_need_consent=policy.admin_matches_need_consent,
        )


@strawberry.type(description="When people may enroll; an open end does not limit.")
class EnrollmentWindow:
    opens_at: datetime | None
    closes_at: datetime | None

    @classmethod
    def of(cls, window: EnrollmentWindowSnapshot) -> "EnrollmentWindow":
        return cls(opens_at=window.opens_at, closes_at=window.closes_at)


@strawberry.type(
    description="Who may enroll. An empty list does not restrict; `roles` names the roles the "
    "rule applies to (empty: every role)."
)
class Eligibility:
    levels: list[int]
    departments: list[str]
    roles: list[ParticipantRole]

    @classmethod
    def of(cls, eligibility: EligibilitySnapshot) -> "Eligibility":
        return cls(
            levels=list(eligibility.levels),
            departments=list(eligibility.departments),
            roles=list(eligibility.roles),
        )


@strawberry.type
class Program:
    view: strawberry.Private[ProgramView]
    id: strawberry.ID
    name: str
    kind: ProgramKind
    status: ProgramStatus
    description: str | None
    starts_on: date | None = strawberry.field(description="Sessions are planned from here")
    ends_on: date | None
    objectives: list[Objective]
    curriculum: Curriculum
    matching_policy: MatchingPolicy
    enrollment_window: EnrollmentWindow
    eligibility: Eligibility
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ProgramView) -> "Program":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("Program", view.id)),
            name=view.name,
            kind=view.kind,
            status=view.status,
            description=view.description,
            starts_on=view.starts_on,
            ends_on=view.ends_on,
            objectives=[Objective.of(o) for o in view.objectives],
            curriculum=Curriculum.of(view.curriculum),
            matching_policy=MatchingPolicy.of(view.matching_policy),
            enrollment_window=EnrollmentWindow.of(view.enrollment_window),
            eligibility=Eligibility.of(view.eligibility),
            created_at=view.created_at,
            updated_at=view.updated_at,
        )

    @strawberry.field(description="The program's matches, newest first.")
    async def matches(
        self,
        info: Info[CairnContext, None],
        status: list[MatchStatus] | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[Annotated["Match", strawberry.lazy("gateway.graphql.matching.types")]]:
        from gateway.graphql.matching.types import matches_of_program  # refers back to Program

        return await matches_of_program(info.context, self.view.id, status, first, after)

    @strawberry.field(
        description="How the program is doing, against its objectives (the tenant's admins)."
    )
    async def insights(
        self, info: Info[CairnContext, None]
    ) -> Annotated["ProgramInsights", strawberry.lazy("gateway.graphql.feedback.insights")]:
        from gateway.graphql.feedback.insights import insights_of_program  # refers to Objective

        return await insights_of_program(info.context, self.view.id, self.view.status)

    @strawberry.field(description="Everyone who enrolled, in the order they did, in any status.")
    async def enrollments(
        self,
        info: Info[CairnContext, None],
        role: ParticipantRole | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection["Enrollment"]:
        answer = await info.context.profiles.read(
            ConnectionView[EdgeView[EnrollmentSnapshot]],
            "/internal/programs/{}/enrollments",
            self.view.id,
            params={
                "role": role.value if role else None,
                "first": page_size(first),
                "after": after,
            },
        )
        if answer is None:
            return Connection.empty()
        return connection(answer, lambda view: Enrollment.of(view, program=self))


def remembered(context: CairnContext, view: ProgramView) -> Program:
    """A program an answer carried, kept for the request's later loads."""
    return Program.of(context.loaders.remember_program(view))


async def program_of(context: CairnContext, program_id: str) -> Program:
    """A program another object names (programs are never deleted: a missing one is a
    fault upstream)."""
    found = await context.loaders.program_by_id.load(program_id)
    if found is None:
        raise RuntimeError(f"program {program_id} is missing")
    return Program.of(found)


async def _enrollment_program(root: "Enrollment", info: Info[CairnContext, None]) -> Program:
    if root.parent is not None:
        return root.parent
    return await program_of(info.context, root.view.program_id)


async def _enrollment_person(root: "Enrollment", info: Info[CairnContext, None]) -> Person:
    return await person_of(info.context, root.view.person_id)


@strawberry.type
class Enrollment:
    view: strawberry.Private[EnrollmentSnapshot]
    # The program it was listed under, when known: no need to load it again.
    parent: strawberry.Private[Program | None]
    id: strawberry.ID
    program: Program = strawberry.field(resolver=_enrollment_program)
    person: Person = strawberry.field(resolver=_enrollment_person)
    role: ParticipantRole
    goals: list[str] = strawberry.field(
        description="What the person wants to grow, in their words or competency tags"
    )
    capacity: int | None = strawberry.field(
        description="Mentors: how many mentees (or groups) at once"
    )
    status: str = strawberry.field(
        description="ACTIVE, WITHDRAWN (the person left it) or ENDED (e.g. left the organization)"
    )
    reason: str | None = strawberry.field(description="Why it was withdrawn or ended, when known")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: EnrollmentSnapshot, program: Program | None = None) -> "Enrollment":
        return cls(
            view=view,
            parent=program,
            id=strawberry.ID(encode_id("Enrollment", view.id)),
            role=view.role,
            goals=list(view.goals),
            capacity=view.capacity,
            status=view.status.value,
            reason=view.reason,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


async def enrollments_of_person(context: CairnContext, person_id: str) -> list[Enrollment]:
    """A person's enrollments in every program, oldest first (for `Person.enrollments`;
    `person_id` is profiles' id). Batched across the request."""
    found = await context.loaders.enrollments_by_person.load(person_id)
    return [Enrollment.of(e) for e in found]
