"""People's queries: one person, the organization's people, and what the HRIS sent that Cairn
refused."""

import strawberry
from contracts.internal.people import OrgChangeRejectionView
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import decode_id
from gateway.graphql.people.types import OrgChangeRejection, Person, people_page
from gateway.graphql.relay import DEFAULT_PAGE, Connection, connection, page_size


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="One person, by id or by HRIS external id (exactly one).")
    async def person(
        self,
        info: Info[CairnContext, None],
        id: strawberry.ID | None = None,
        external_id: str | None = None,
    ) -> Person | None:
        loaders = info.context.loaders
        if id is not None and external_id is None:
            key = decode_id("Person", id)
            found = await loaders.person_by_id.load(key) if key else None
        elif external_id is not None and id is None:
            found = await loaders.person_by_external_id.load(external_id)
        else:
            raise BadUserInput("give exactly one of id and externalId", field="id")
        return Person.of(found) if found else None

    @strawberry.field(description="People of the caller's organization, by name.")
    async def people(
        self,
        info: Info[CairnContext, None],
        search: str | None = None,
        department: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[Person]:
        return await people_page(
            info.context, first=first, after=after, search=search, department=department
        )

    @strawberry.field(description="What the HRIS sent that Cairn refused, newest first.")
    async def org_change_rejections(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[OrgChangeRejection]:
        answer = await info.context.profiles.read(
            ConnectionView[EdgeView[OrgChangeRejectionView]],
            "/internal/org-changes/rejections",
            params={"first": page_size(first), "after": after},
        )
        if answer is None:
            return Connection.empty()
        return connection(answer, OrgChangeRejection.of)
