"""The public types, named as in api-sketch.graphql (a contract: add, never rename)."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext, PersonData, Refused
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.user_errors import UserError, UserErrorCode, from_problem, user_error

if TYPE_CHECKING:
    from gateway.graphql.matching import Match, MatchStatus
    from gateway.graphql.programs import Enrollment

MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.enum
class PersonStatus(Enum):
    ACTIVE = "ACTIVE"
    ON_LEAVE = "ON_LEAVE"
    TERMINATED = "TERMINATED"


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Person:
    data: strawberry.Private[PersonData]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Person", self.data["id"]))

    @strawberry.field(description="The HRIS employee id")
    def external_id(self) -> str | None:
        return self.data.get("externalId")

    @strawberry.field
    def email(self) -> str:
        return str(self.data["email"])

    @strawberry.field
    def display_name(self) -> str:
        return str(self.data["displayName"])

    @strawberry.field
    def given_name(self) -> str | None:
        return self.data.get("givenName")

    @strawberry.field
    def family_name(self) -> str | None:
        return self.data.get("familyName")

    @strawberry.field
    def title(self) -> str | None:
        return self.data.get("title")

    @strawberry.field
    def department(self) -> str | None:
        return self.data.get("department")

    @strawberry.field
    def location(self) -> str | None:
        return self.data.get("location")

    @strawberry.field(description="IANA time zone")
    def time_zone(self) -> str:
        return str(self.data["timeZone"])

    @strawberry.field(description="Seniority band; higher is more senior")
    def level(self) -> int | None:
        return self.data.get("level")

    @strawberry.field
    def status(self) -> PersonStatus:
        return PersonStatus(self.data["status"])

    @strawberry.field
    def skills(self) -> list[str]:
        return list(self.data.get("skills", []))

    @strawberry.field
    def interests(self) -> list[str]:
        return list(self.data.get("interests", []))

    @strawberry.field
    def languages(self) -> list[str]:
        return list(self.data.get("languages", []))

    @strawberry.field(description="The person's own words about themselves")
    def bio(self) -> str | None:
        return self.data.get("bio")

    @strawberry.field(description="The login name identity providers know the person by")
    def user_name(self) -> str | None:
        return self.data.get("userName")

    @strawberry.field(
        description="Every change of title, level, department and manager, oldest first "
        "(by when it took effect in the HRIS)"
    )
    async def history(self, info: Info[CairnContext, None]) -> list["PersonChange"]:
        answer = await info.context.profiles("GET", f"/internal/people/{self.data['id']}/history")
        return [PersonChange.of(item) for item in (answer or {}).get("items", [])]

    @strawberry.field(description="The chain of managers up to the top, nearest first")
    async def managers(self, info: Info[CairnContext, None]) -> list["Person"]:
        answer = await info.context.profiles("GET", f"/internal/people/{self.data['id']}/managers")
        return [Person(data=info.context.remember(p)) for p in (answer or {}).get("items", [])]

    @strawberry.field(
        description="Everyone below this person (or, recursive: false, their direct reports), "
        "by depth, then name"
    )
    async def reports(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
        recursive: bool = True,
    ) -> "ReportConnection":
        first = _page_size(first)
        answer = await info.context.profiles(
            "GET",
            f"/internal/people/{self.data['id']}/reports",
            params={"first": first, "after": after, "recursive": str(recursive).lower()},
        )
        assert answer is not None
        edges = [
            ReportEdge(
                node=Person(data=info.context.remember(e["node"])),
                cursor=e["cursor"],
                depth=e["depth"],
            )
            for e in answer["edges"]
        ]
        return ReportConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=answer["hasNextPage"],
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=answer["totalCount"],
        )

    @strawberry.field
    async def matches(
        self,
        info: Info[CairnContext, None],
        status: list[Annotated["MatchStatus", strawberry.lazy("gateway.graphql.matching")]]
        | None = None,
    ) -> list[Annotated["Match", strawberry.lazy("gateway.graphql.matching")]]:
        from gateway.graphql.matching import matches_of_person

        return await matches_of_person(info.context, self.data["id"], status)

    @strawberry.field
    async def enrollments(
        self, info: Info[CairnContext, None]
    ) -> list[Annotated["Enrollment", strawberry.lazy("gateway.graphql.programs")]]:
        from gateway.graphql.programs import enrollments_of_person

        return await enrollments_of_person(info.context, self.data["id"])

    @strawberry.field
    async def manager(self, info: Info[CairnContext, None]) -> "Person | None":
        manager_external_id = self.data.get("managerExternalId")
        if not manager_external_id:
            return None
        found = await info.context.person_by_external_id.load(manager_external_id)
        return Person(data=found) if found else None

    @strawberry.field
    async def direct_reports(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> "PersonConnection":
        return await people_page(info.context, first=first, after=after, managerId=self.data["id"])


@strawberry.type(description="One move in the org, as the HRIS dated it")
class PersonChange:
    field: str = strawberry.field(description="title, level, department or managerExternalId")
    from_: str | None = strawberry.field(name="from", description="Null: the first value")
    to: str | None
    effective_at: datetime
    source_version: int
    recorded_at: datetime

    @classmethod
    def of(cls, item: dict[str, Any]) -> "PersonChange":
        return cls(
            field=item["field"],
            from_=_text(item.get("fromValue")),
            to=_text(item.get("toValue")),
            effective_at=datetime.fromisoformat(item["effectiveAt"]),
            source_version=item["sourceVersion"],
            recorded_at=datetime.fromisoformat(item["recordedAt"]),
        )


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


@strawberry.type
class PersonEdge:
    node: Person
    cursor: str


@strawberry.type
class ReportEdge:
    node: Person
    cursor: str
    depth: int = strawberry.field(description="1 for a direct report, 2 for theirs, …")


@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]
    page_info: PageInfo
    total_count: int


def _page_size(first: int | None) -> int:
    first = DEFAULT_PAGE if first is None else first
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    return first


async def people_page(
    context: CairnContext, *, first: int | None, after: str | None, **filters: Any
) -> PersonConnection:
    first = _page_size(first)
    answer = await context.profiles(
        "GET", "/internal/people", params={"first": first, "after": after, **filters}
    )
    assert answer is not None
    edges = [
        PersonEdge(node=Person(data=context.remember(e["node"])), cursor=e["cursor"])
        for e in answer["edges"]
    ]
    return PersonConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=answer["hasNextPage"], end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=answer["totalCount"],
    )


@strawberry.type(description="A change the HRIS sent that Cairn refused, whole or in part")
class OrgChangeRejection:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("OrgChangeRejection", self.data["id"]))

    @strawberry.field(description="The change's id in the HRIS")
    def change_id(self) -> str:
        return str(self.data["changeId"])

    @strawberry.field(description="employee.hired, employee.updated, …")
    def type(self) -> str:
        return str(self.data["changeType"])

    @strawberry.field(description="The HRIS employee id the change was about")
    def external_id(self) -> str:
        return str(self.data["externalId"])

    @strawberry.field
    async def person(self, info: Info[CairnContext, None]) -> Person | None:
        person_id = self.data.get("personId")
        found = await info.context.person_by_id.load(person_id) if person_id else None
        return Person(data=found) if found else None

    @strawberry.field
    def source_version(self) -> int:
        return int(self.data["sourceVersion"])

    @strawberry.field
    def effective_at(self) -> datetime:
        return datetime.fromisoformat(self.data["effectiveAt"])

    @strawberry.field(description="The refused part (e.g. managerExternalId); null: all of it")
    def field(self) -> str | None:
        return self.data.get("field")

    @strawberry.field
    def reason(self) -> str:
        return str(self.data["reason"])

    @strawberry.field
    def rejected_at(self) -> datetime:
        return datetime.fromisoformat(self.data["rejectedAt"])


@strawberry.type
class OrgChangeRejectionEdge:
    node: OrgChangeRejection
    cursor: str


@strawberry.type
class OrgChangeRejectionConnection:
    edges: list[OrgChangeRejectionEdge]
    page_info: PageInfo
    total_count: int


# --- self-service ------------------------------------------------------------------------


@strawberry.input(description="Absent fields stay as they are; null clears one.")
class UpdateProfileInput:
    person_id: strawberry.ID
    skills: list[str] | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET


@strawberry.input(
    description="Opt-in self-identification, used only for fair matching and aggregate "
    "reporting; never shown by this API. consented: false withdraws and clears it."
)
class UpdateSelfIdentificationInput:
    person_id: strawberry.ID
    consented: bool
    underrepresented: bool | None = None
    demographics: JSON | None = None


@strawberry.type
class PersonPayload:
    person: Person | None
    user_errors: list[UserError]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="A person's skills, interests, languages and bio.")
    async def update_profile(
        self, info: Info[CairnContext, None], input: UpdateProfileInput
    ) -> PersonPayload:
        fields = ("skills", "interests", "languages", "bio")
        body = {
            name: getattr(input, name)
            for name in fields
            if getattr(input, name) is not strawberry.UNSET
        }
        return await _change_person(info.context, input.person_id, "PATCH", "profile", body)

    @strawberry.mutation(description="Record or withdraw a person's self-identification.")
    async def update_self_identification(
        self, info: Info[CairnContext, None], input: UpdateSelfIdentificationInput
    ) -> PersonPayload:
        body = {
            "consented": input.consented,
            "underrepresented": input.underrepresented,
            "demographics": input.demographics,
        }
        return await _change_person(
            info.context, input.person_id, "PUT", "self-identification", body
        )


async def _change_person(
    context: CairnContext, person_id: strawberry.ID, method: str, part: str, body: Any
) -> PersonPayload:
    key = decode_id("Person", person_id)
    answer = None
    if key is not None:
        try:
            # The key came from the caller: quoted, it can only ever name one person.
            path = f"/internal/people/{quote(key, safe='')}/{part}"
            answer = await context.profiles_change(method, path, json=body)
        except Refused as refused:
            return PersonPayload(person=None, user_errors=from_problem(refused.problem))
    if answer is None:
        return PersonPayload(
            person=None,
            user_errors=[
                user_error("no such person", UserErrorCode.NOT_FOUND, "input", "personId")
            ],
        )
    return PersonPayload(person=Person(data=context.remember(answer)), user_errors=[])


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="One person, by id or by HRIS external id (exactly one).")
    async def person(
        self,
        info: Info[CairnContext, None],
        id: strawberry.ID | None = None,
        external_id: str | None = None,
    ) -> Person | None:
        if (id is None) == (external_id is None):
            raise BadUserInput("give exactly one of id and externalId", field="id")
        context = info.context
        if id is not None:
            key = decode_id("Person", id)
            found = await context.person_by_id.load(key) if key else None
        else:
            assert external_id is not None
            found = await context.person_by_external_id.load(external_id)
        return Person(data=found) if found else None

    @strawberry.field(description="People of the caller's organization, by name.")
    async def people(
        self,
        info: Info[CairnContext, None],
        search: str | None = None,
        department: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> PersonConnection:
        return await people_page(
            info.context, first=first, after=after, search=search, department=department
        )

    @strawberry.field(description="What the HRIS sent that Cairn refused, newest first.")
    async def org_change_rejections(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> OrgChangeRejectionConnection:
        answer = await info.context.profiles(
            "GET",
            "/internal/org-changes/rejections",
            params={"first": _page_size(first), "after": after},
        )
        assert answer is not None
        edges = [
            OrgChangeRejectionEdge(node=OrgChangeRejection(data=e["node"]), cursor=e["cursor"])
            for e in answer["edges"]
        ]
        return OrgChangeRejectionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=answer["hasNextPage"],
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=answer["totalCount"],
        )
