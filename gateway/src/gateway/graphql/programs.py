"""Programs and enrollment, named as in api-sketch.graphql (a contract: add, never rename).

Resolvers compose profiles' internal API; every rule lives there. A mutation answers what the
caller can fix as userErrors (fields under `input`) and then has changed nothing."""

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from pydantic.alias_generators import to_camel
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext, Refused
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.people import DEFAULT_PAGE, MAX_PAGE, PageInfo, Person
from gateway.graphql.user_errors import UserError, UserErrorCode, from_problem, user_error

if TYPE_CHECKING:
    from gateway.graphql.matching import MatchConnection, MatchStatus

Data = dict[str, Any]


@strawberry.enum
class ProgramKind(Enum):
    ONE_ON_ONE = "ONE_ON_ONE"
    PEER = "PEER"
    GROUP = "GROUP"
    REVERSE = "REVERSE"


@strawberry.enum
class ProgramStatus(Enum):
    DRAFT = "DRAFT"
    ENROLLING = "ENROLLING"
    MATCHING = "MATCHING"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


@strawberry.enum
class ParticipantRole(Enum):
    MENTOR = "MENTOR"
    MENTEE = "MENTEE"
    PEER = "PEER"


@strawberry.enum(description="What a match run maximizes")
class MatchObjective(Enum):
    BEST_TOTAL = "BEST_TOTAL"
    MAX_MATCHED = "MAX_MATCHED"


@strawberry.enum
class ObjectiveMetric(Enum):
    REPRESENTATION_IN_LEADERSHIP = "REPRESENTATION_IN_LEADERSHIP"
    INTERNAL_MOBILITY = "INTERNAL_MOBILITY"
    PROMOTION_RATE = "PROMOTION_RATE"
    PARTICIPATION = "PARTICIPATION"
    SATISFACTION = "SATISFACTION"
    RETENTION = "RETENTION"


# --- per-request loaders ---------------------------------------------------------------------

_LOADERS = "_program_loaders"


@dataclasses.dataclass
class _Loaders:
    program_by_id: DataLoader[str, Data | None]
    enrollments_by_person: DataLoader[str, list[Data]]


def _loaders(context: CairnContext) -> _Loaders:
    """This request's loaders, kept on its context (so never shared between requests)."""
    found = vars(context).get(_LOADERS)
    if not isinstance(found, _Loaders):
        found = _Loaders(
            program_by_id=DataLoader(load_fn=partial(_programs_by_id, context), max_batch_size=500),
            enrollments_by_person=DataLoader(
                load_fn=partial(_enrollments_by_person, context), max_batch_size=500
            ),
        )
        vars(context)[_LOADERS] = found
    return found


async def _programs_by_id(context: CairnContext, ids: list[str]) -> list[Data | None]:
    answer = await context.profiles("POST", "/internal/programs/batch", json={"ids": ids})
    found = {p["id"]: p for p in (answer or {}).get("items", [])}
    return [found.get(key) for key in ids]


async def _enrollments_by_person(context: CairnContext, ids: list[str]) -> list[list[Data]]:
    answer = await context.profiles("POST", "/internal/enrollments/batch", json={"personIds": ids})
    by_person: dict[str, list[Data]] = {key: [] for key in ids}
    for enrollment in (answer or {}).get("items", []):
        by_person.setdefault(enrollment["personId"], []).append(enrollment)
    return [by_person[key] for key in ids]


def _remember(context: CairnContext, program: Data) -> Data:
    _loaders(context).program_by_id.prime(program["id"], program)
    return program


# --- program ---------------------------------------------------------------------------------


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
    def of(cls, data: Data) -> "Objective":
        return cls(
            metric=ObjectiveMetric(data["metric"]),
            target=data["target"],
            baseline=data.get("baseline"),
            due_on=date.fromisoformat(data["dueOn"]),
            description=data.get("description"),
        )


@strawberry.type
class CurriculumModule:
    title: str
    discussion_guide: str
    pre_work: list[str]
    action_item_templates: list[str]

    @classmethod
    def of(cls, data: Data) -> "CurriculumModule":
        return cls(
            title=data["title"],
            discussion_guide=data["discussionGuide"],
            pre_work=list(data["preWork"]),
            action_item_templates=list(data["actionItemTemplates"]),
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
    def of(cls, data: Data) -> "Curriculum":
        return cls(
            cadence=data["cadence"],
            session_minutes=data["sessionMinutes"],
            modules=[CurriculumModule.of(m) for m in data["modules"]],
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
    def of(cls, data: Data) -> "MatchingPolicy":
        return cls(
            mentors_per_mentee=data["mentorsPerMentee"],
            group_size=data.get("groupSize"),
            min_level_gap=data.get("minLevelGap"),
            max_level_gap=data.get("maxLevelGap"),
            cross_department=data["crossDepartment"],
            prioritize_underrepresented=data["prioritizeUnderrepresented"],
            weights=JSON(dict(data["weights"])),
            objective=MatchObjective(data.get("objective") or "BEST_TOTAL"),
            admin_matches_need_consent=data.get("adminMatchesNeedConsent", True) is not False,
        )


@strawberry.type(description="When people may enroll; an open end does not limit.")
class EnrollmentWindow:
    opens_at: datetime | None
    closes_at: datetime | None

    @classmethod
    def of(cls, data: Data) -> "EnrollmentWindow":
        return cls(opens_at=_moment(data.get("opensAt")), closes_at=_moment(data.get("closesAt")))


@strawberry.type(
    description="Who may enroll. An empty list does not restrict; `roles` names the roles the "
    "rule applies to (empty: every role)."
)
class Eligibility:
    levels: list[int]
    departments: list[str]
    roles: list[ParticipantRole]

    @classmethod
    def of(cls, data: Data) -> "Eligibility":
        return cls(
            levels=list(data["levels"]),
            departments=list(data["departments"]),
            roles=[ParticipantRole(r) for r in data["roles"]],
        )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@strawberry.type
class Program:
    data: strawberry.Private[Data]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Program", self.data["id"]))

    @strawberry.field
    def name(self) -> str:
        return str(self.data["name"])

    @strawberry.field
    def kind(self) -> ProgramKind:
        return ProgramKind(self.data["kind"])

    @strawberry.field
    def status(self) -> ProgramStatus:
        return ProgramStatus(self.data["status"])

    @strawberry.field
    def description(self) -> str | None:
        return self.data.get("description")

    @strawberry.field(description="Sessions are planned from here")
    def starts_on(self) -> date | None:
        return _day(self.data.get("startsOn"))

    @strawberry.field
    def ends_on(self) -> date | None:
        return _day(self.data.get("endsOn"))

    @strawberry.field
    def objectives(self) -> list[Objective]:
        return [Objective.of(o) for o in self.data["objectives"]]

    @strawberry.field
    def curriculum(self) -> Curriculum:
        return Curriculum.of(self.data["curriculum"])

    @strawberry.field
    def matching_policy(self) -> MatchingPolicy:
        return MatchingPolicy.of(self.data["matchingPolicy"])

    @strawberry.field
    def enrollment_window(self) -> EnrollmentWindow:
        return EnrollmentWindow.of(self.data["enrollmentWindow"])

    @strawberry.field
    def eligibility(self) -> Eligibility:
        return Eligibility.of(self.data["eligibility"])

    @strawberry.field
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.data["createdAt"])

    @strawberry.field
    def updated_at(self) -> datetime:
        return datetime.fromisoformat(self.data["updatedAt"])

    @strawberry.field(description="The program's matches, newest first.")
    async def matches(
        self,
        info: Info[CairnContext, None],
        status: list[Annotated["MatchStatus", strawberry.lazy("gateway.graphql.matching")]]
        | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Annotated["MatchConnection", strawberry.lazy("gateway.graphql.matching")]:
        from gateway.graphql.matching import matches_of_program

        return await matches_of_program(info.context, self.data["id"], status, first, after)

    @strawberry.field(description="Everyone who enrolled, in the order they did, in any status.")
    async def enrollments(
        self,
        info: Info[CairnContext, None],
        role: ParticipantRole | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> "EnrollmentConnection":
        first = DEFAULT_PAGE if first is None else first
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
        answer = await info.context.profiles(
            "GET",
            f"/internal/programs/{self.data['id']}/enrollments",
            params={"role": role.value if role else None, "first": first, "after": after},
        )
        if answer is None:
            return EnrollmentConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), total_count=0
            )
        edges = [
            EnrollmentEdge(node=Enrollment(data=e["node"], parent=self), cursor=e["cursor"])
            for e in answer["edges"]
        ]
        return EnrollmentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=answer["hasNextPage"],
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=answer["totalCount"],
        )


# --- enrollment ------------------------------------------------------------------------------


@strawberry.type
class Enrollment:
    data: strawberry.Private[Data]
    # The program it was listed under, when known: no need to load it again.
    parent: strawberry.Private[Program | None] = None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Enrollment", self.data["id"]))

    @strawberry.field
    async def program(self, info: Info[CairnContext, None]) -> Program:
        if self.parent is not None:
            return self.parent
        found = await _loaders(info.context).program_by_id.load(self.data["programId"])
        if found is None:  # programs are never deleted; a missing one is a fault upstream
            raise RuntimeError(f"program {self.data['programId']} of an enrollment is missing")
        return Program(data=found)

    @strawberry.field
    async def person(self, info: Info[CairnContext, None]) -> Person:
        found = await info.context.person_by_id.load(self.data["personId"])
        if found is None:
            raise RuntimeError(f"person {self.data['personId']} of an enrollment is missing")
        return Person(data=found)

    @strawberry.field
    def role(self) -> ParticipantRole:
        return ParticipantRole(self.data["role"])

    @strawberry.field(
        description="What the person wants to grow, in their words or competency tags"
    )
    def goals(self) -> list[str]:
        return list(self.data["goals"])

    @strawberry.field(description="Mentors: how many mentees (or groups) at once")
    def capacity(self) -> int | None:
        return self.data.get("capacity")

    @strawberry.field(
        description="ACTIVE, WITHDRAWN (the person left it) or ENDED (e.g. left the organization)"
    )
    def status(self) -> str:
        return str(self.data["status"])

    @strawberry.field(description="Why it was withdrawn or ended, when known")
    def reason(self) -> str | None:
        return self.data.get("reason")

    @strawberry.field
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.data["createdAt"])

    @strawberry.field
    def updated_at(self) -> datetime:
        return datetime.fromisoformat(self.data["updatedAt"])


@strawberry.type
class EnrollmentEdge:
    node: Enrollment
    cursor: str


@strawberry.type
class EnrollmentConnection:
    edges: list[EnrollmentEdge]
    page_info: PageInfo
    total_count: int


async def enrollments_of_person(context: CairnContext, person_id: str) -> list[Enrollment]:
    """A person's enrollments in every program, oldest first (for `Person.enrollments`;
    `person_id` is profiles' id, as in Person.data["id"]). Batched across the request."""
    found = await _loaders(context).enrollments_by_person.load(person_id)
    return [Enrollment(data=e) for e in found]


# --- inputs ----------------------------------------------------------------------------------


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


def input_json(value: Any, skip: Sequence[str] = ()) -> Any:
    """An input as profiles' JSON body: camelCase members, absent (UNSET) ones left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel(f.name): input_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in skip and getattr(value, f.name) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [input_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# --- payloads --------------------------------------------------------------------------------


@strawberry.type
class ProgramPayload:
    program: Program | None
    user_errors: list[UserError]


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment | None
    user_errors: list[UserError]


def _not_found(what: str, *path: str) -> list[UserError]:
    return [user_error(f"no such {what}", UserErrorCode.NOT_FOUND, "input", *path)]


async def _change_program(
    context: CairnContext, method: str, path: str, body: Any = None
) -> ProgramPayload:
    try:
        answer = await context.profiles_change(method, path, json=body)
    except Refused as refused:
        return ProgramPayload(program=None, user_errors=from_problem(refused.problem))
    if answer is None:
        return ProgramPayload(program=None, user_errors=_not_found("program", "programId"))
    return ProgramPayload(program=Program(data=_remember(context, answer)), user_errors=[])


async def _change_enrollment(
    context: CairnContext, method: str, path: str, body: Any = None, *, missing: str
) -> EnrollmentPayload:
    try:
        answer = await context.profiles_change(method, path, json=body)
    except Refused as refused:
        return EnrollmentPayload(enrollment=None, user_errors=from_problem(refused.problem))
    if answer is None:
        return EnrollmentPayload(
            enrollment=None, user_errors=_not_found(missing.removesuffix("Id"), missing)
        )
    return EnrollmentPayload(enrollment=Enrollment(data=answer), user_errors=[])


@strawberry.type
class ProgramsMutation:
    @strawberry.mutation(description="A new program, as a DRAFT (private until it opens).")
    async def create_program(
        self, info: Info[CairnContext, None], input: CreateProgramInput
    ) -> ProgramPayload:
        return await _change_program(info.context, "POST", "/internal/programs", input_json(input))

    @strawberry.mutation(description="Change a program that is not CLOSED.")
    async def update_program(
        self, info: Info[CairnContext, None], input: UpdateProgramInput
    ) -> ProgramPayload:
        key = decode_id("Program", input.program_id)
        if key is None:
            return ProgramPayload(program=None, user_errors=_not_found("program", "programId"))
        body = input_json(input, skip=("program_id",))
        return await _change_program(info.context, "PATCH", f"/internal/programs/{key}", body)

    @strawberry.mutation(description="DRAFT → ENROLLING: people may enroll (in its window).")
    async def open_enrollment(
        self, info: Info[CairnContext, None], input: OpenEnrollmentInput
    ) -> ProgramPayload:
        key = decode_id("Program", input.program_id)
        if key is None:
            return ProgramPayload(program=None, user_errors=_not_found("program", "programId"))
        return await _change_program(
            info.context, "POST", f"/internal/programs/{key}/open-enrollment"
        )

    @strawberry.mutation(description="Any program not yet CLOSED → CLOSED, for good.")
    async def close_program(
        self, info: Info[CairnContext, None], input: CloseProgramInput
    ) -> ProgramPayload:
        key = decode_id("Program", input.program_id)
        if key is None:
            return ProgramPayload(program=None, user_errors=_not_found("program", "programId"))
        return await _change_program(info.context, "POST", f"/internal/programs/{key}/close")

    @strawberry.mutation(
        description="A person joins an ENROLLING program as MENTOR or MENTEE (PEER programs: "
        "PEER), if eligible and not enrolled in that role already."
    )
    async def enroll(self, info: Info[CairnContext, None], input: EnrollInput) -> EnrollmentPayload:
        program = decode_id("Program", input.program_id)
        if program is None:
            return EnrollmentPayload(
                enrollment=None, user_errors=_not_found("program", "programId")
            )
        person = decode_id("Person", input.person_id)
        if person is None:
            return EnrollmentPayload(enrollment=None, user_errors=_not_found("person", "personId"))
        body = {**input_json(input, skip=("program_id",)), "personId": person}
        return await _change_enrollment(
            info.context,
            "POST",
            f"/internal/programs/{program}/enrollments",
            body,
            missing="programId",
        )

    @strawberry.mutation(description="New goals or capacity of an active enrollment.")
    async def update_enrollment(
        self, info: Info[CairnContext, None], input: UpdateEnrollmentInput
    ) -> EnrollmentPayload:
        key = decode_id("Enrollment", input.enrollment_id)
        if key is None:
            return EnrollmentPayload(
                enrollment=None, user_errors=_not_found("enrollment", "enrollmentId")
            )
        body = input_json(input, skip=("enrollment_id",))
        return await _change_enrollment(
            info.context, "PATCH", f"/internal/enrollments/{key}", body, missing="enrollmentId"
        )

    @strawberry.mutation(description="The person leaves the program (status WITHDRAWN).")
    async def withdraw(
        self, info: Info[CairnContext, None], input: WithdrawInput
    ) -> EnrollmentPayload:
        key = decode_id("Enrollment", input.enrollment_id)
        if key is None:
            return EnrollmentPayload(
                enrollment=None, user_errors=_not_found("enrollment", "enrollmentId")
            )
        body = input_json(input, skip=("enrollment_id",))
        return await _change_enrollment(
            info.context,
            "POST",
            f"/internal/enrollments/{key}/withdraw",
            body,
            missing="enrollmentId",
        )


@strawberry.type
class ProgramsQuery:
    @strawberry.field(description="One program of the caller's organization.")
    async def program(self, info: Info[CairnContext, None], id: strawberry.ID) -> Program | None:
        key = decode_id("Program", id)
        found = await _loaders(info.context).program_by_id.load(key) if key else None
        return Program(data=found) if found else None

    @strawberry.field(description="The organization's programs, oldest first; by status if given.")
    async def programs(
        self, info: Info[CairnContext, None], status: list[ProgramStatus] | None = None
    ) -> list[Program]:
        answer = await info.context.profiles(
            "GET", "/internal/programs", params={"status": [s.value for s in status or []]}
        )
        items = (answer or {}).get("items", [])
        return [Program(data=_remember(info.context, p)) for p in items]
