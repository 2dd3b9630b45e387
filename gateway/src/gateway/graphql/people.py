"""The public types, named as in api-sketch.graphql (a contract: add, never rename)."""

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.graphql.context import CairnContext, PersonData
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import decode_id, encode_id

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


@strawberry.type
class PersonEdge:
    node: Person
    cursor: str


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]
    page_info: PageInfo
    total_count: int


async def people_page(
    context: CairnContext, *, first: int | None, after: str | None, **filters: Any
) -> PersonConnection:
    first = DEFAULT_PAGE if first is None else first
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
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
