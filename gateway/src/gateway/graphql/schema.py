"""The root types and the schema, with the limits every public GraphQL API needs.

Each area (people, programs, matching, …) defines its own Query and Mutation classes in its
`queries.py` and `mutations.py`; they are merged here into the one public schema."""

from strawberry import Schema
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.access.guard import AccessGuard
from gateway.access.schema import AccessMutation, AccessQuery
from gateway.graphql.errors import MaskUnexpectedErrors
from gateway.graphql.feedback.mutations import FeedbackMutation
from gateway.graphql.feedback.queries import FeedbackQuery
from gateway.graphql.limits import CostBudget
from gateway.graphql.matching.mutations import MatchingMutation
from gateway.graphql.matching.queries import MatchingQuery
from gateway.graphql.people.erasure import ErasureMutation, ErasureQuery
from gateway.graphql.people.mutations import PeopleMutation
from gateway.graphql.people.queries import PeopleQuery
from gateway.graphql.programs.mutations import ProgramsMutation
from gateway.graphql.programs.queries import ProgramsQuery
from gateway.graphql.programs.subscriptions import ProgramsSubscription
from gateway.graphql.sessions.calendar_mutations import CalendarsMutation
from gateway.graphql.sessions.mutations import SessionsMutation
from gateway.graphql.sessions.queries import SessionsQuery
from gateway.graphql.text_literals import StorableTextLiterals
from gateway.graphql.transport import OperationsByTransport
from gateway.graphql.webhooks.mutations import WebhooksMutation
from gateway.graphql.webhooks.queries import WebhooksQuery
from gateway.trusted_documents.schema import TrustedDocumentsMutation, TrustedDocumentsQuery

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000

QUERIES: tuple[type, ...] = (
    PeopleQuery,
    ProgramsQuery,
    MatchingQuery,
    SessionsQuery,
    FeedbackQuery,
    WebhooksQuery,
    AccessQuery,
    TrustedDocumentsQuery,
    ErasureQuery,
)
MUTATIONS: tuple[type, ...] = (
    PeopleMutation,
    ProgramsMutation,
    MatchingMutation,
    SessionsMutation,
    CalendarsMutation,
    FeedbackMutation,
    WebhooksMutation,
    AccessMutation,
    TrustedDocumentsMutation,
    ErasureMutation,
)

SUBSCRIPTIONS: tuple[type, ...] = (ProgramsSubscription,)

schema = Schema(
    query=merge_types("Query", QUERIES),
    mutation=merge_types("Mutation", MUTATIONS) if MUTATIONS else None,
    subscription=merge_types("Subscription", SUBSCRIPTIONS),
    config=StrawberryConfig(disable_field_suggestions=True, relay_max_results=100),
    extensions=[
        # Factories: a fresh extension per request (MaskErrors keeps per-operation state).
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CostBudget,  # costs what the token limit let through, before validation
        AccessGuard,  # who may reach which field (gateway.access.policy)
        OperationsByTransport,
        StorableTextLiterals,  # NUL and lone surrogates in string literals, naming the argument
        MaskUnexpectedErrors,
    ],
)
