"""The root types and the schema, with the limits every public GraphQL API needs."""

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.errors import BadUserInput, MaskUnexpectedErrors
from gateway.graphql.ids import decode_id
from gateway.graphql.types import Person, PersonConnection, people_page

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000


@strawberry.type
class Query:
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
        first: int = 20,
        after: str | None = None,
    ) -> PersonConnection:
        return await people_page(
            info.context, first=first, after=after, search=search, department=department
        )


schema = strawberry.Schema(
    query=Query,
    config=StrawberryConfig(disable_field_suggestions=True, relay_max_results=100),
    extensions=[
        # Factories: a fresh extension per request (MaskErrors keeps per-operation state).
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaskUnexpectedErrors,
    ],
)
