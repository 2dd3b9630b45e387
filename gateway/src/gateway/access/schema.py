"""The access area of the GraphQL API: `me` (the signed-in person of an end-user token), and
for ADMIN keys the tenant's integrator keys (create, list, rotate, revoke) and end-user token
issuers (register, list, remove). Who may call which is `gateway.access.policy`'s to say."""

from datetime import datetime, timedelta

import strawberry
from runtime.refusals import Refused
from strawberry.types import Info

from gateway.access import issuers, keys
from gateway.access.issuers import IssuerRegistration, IssuerSummary, PersonMatch
from gateway.access.keys import IssuedKey, KeySummary
from gateway.access.principal import Scope
from gateway.graphql.context import CairnContext
from gateway.graphql.people.types import Person, person_of
from gateway.graphql.user_errors import INPUT, UserError, user_error

strawberry.enum(
    Scope,
    name="ApiKeyScope",
    description="READ queries; WRITE mutations; ADMIN programs, match runs, keys and token issuers",
)
strawberry.enum(
    PersonMatch,
    name="TokenPersonMatch",
    description="How an end-user token's "
    "person claim finds the person: by email, or by HRIS external id",
)


@strawberry.type(description="An integrator key; its secret is shown once, when issued")
class ApiKey:
    id: strawberry.ID
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="A rotated key: it stops working then (its successor works already)"
    )
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="To the minute: when a request last used it"
    )

    @classmethod
    def of(cls, key: KeySummary) -> "ApiKey":
        return cls(
            id=strawberry.ID(key.id),
            name=key.name,
            scopes=[s for s in Scope if s in key.scopes],
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


@strawberry.type(description="Who may sign end-user tokens for this organization")
class TokenIssuer:
    id: strawberry.ID
    issuer: str
    audience: str
    jwks_url: str | None
    has_public_key: bool
    algorithms: list[str]
    person_claim: str
    person_match: PersonMatch

    @classmethod
    def of(cls, found: IssuerSummary) -> "TokenIssuer":
        return cls(
            id=strawberry.ID(found.id),
            issuer=found.issuer,
            audience=found.audience,
            jwks_url=found.jwks_url,
            has_public_key=found.has_public_key,
            algorithms=list(found.algorithms),
            person_claim=found.person_claim,
            person_match=found.person_match,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[Scope]


@strawberry.input
class RotateApiKeyInput:
    id: strawberry.ID
    grace_seconds: int = strawberry.field(
        default=int(keys.DEFAULT_GRACE.total_seconds()),
        description="How long the old key keeps working beside the new one (at most 30 days)",
    )


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.input(description="Exactly one of jwksUrl (https) and publicKeyPem")
class RegisterTokenIssuerInput:
    issuer: str = strawberry.field(description="The tokens' iss")
    audience: str = strawberry.field(description="The tokens' aud naming Cairn")
    person_match: PersonMatch
    jwks_url: str | None = None
    public_key_pem: str | None = None
    algorithms: list[str] = strawberry.field(
        default_factory=lambda: ["RS256"],
        description="The only algorithms its tokens may use: RS*, PS*, ES*, EdDSA",
    )
    person_claim: str | None = strawberry.field(
        default=None, description="The claim naming the person; default email or sub"
    )


@strawberry.input
class RemoveTokenIssuerInput:
    id: strawberry.ID


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type
class IssuedApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The key to send as `Authorization: Bearer …`: shown this once"
    )
    user_errors: list[UserError]


@strawberry.type
class TokenIssuerPayload:
    token_issuer: TokenIssuer | None
    user_errors: list[UserError]


def refused_errors(refused: Refused) -> list[UserError]:
    return [
        user_error(e.message, refused.code, INPUT, *(e.field.split(".") if e.field else ()))
        for e in refused.errors
    ]


def _tenant(info: Info[CairnContext, None]) -> str:
    return info.context.caller.tenant_id


@strawberry.type
class AccessQuery:
    @strawberry.field(description="The person an end-user token names; null for an API key.")
    async def me(self, info: Info[CairnContext, None]) -> Person | None:
        principal = info.context.principal
        if principal is None or principal.person_id is None:
            return None
        return await person_of(info.context, principal.person_id)

    @strawberry.field(description="The organization's integrator keys, oldest first (ADMIN).")
    async def api_keys(self, info: Info[CairnContext, None]) -> list[ApiKey]:
        found = await info.context.in_gateway_db(lambda uow: keys.list_keys(uow, _tenant(info)))
        return [ApiKey.of(k) for k in found]

    @strawberry.field(description="The organization's end-user token issuers (ADMIN).")
    async def token_issuers(self, info: Info[CairnContext, None]) -> list[TokenIssuer]:
        found = await info.context.in_gateway_db(
            lambda uow: issuers.list_issuers(uow, _tenant(info))
        )
        return [TokenIssuer.of(i) for i in found]


def _issued(issued: IssuedKey) -> IssuedApiKeyPayload:
    return IssuedApiKeyPayload(
        api_key=ApiKey.of(issued.key), secret=issued.plaintext, user_errors=[]
    )


def _not_issued(refused: Refused) -> IssuedApiKeyPayload:
    return IssuedApiKeyPayload(api_key=None, secret=None, user_errors=refused_errors(refused))


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="A new integrator key; its secret is in this answer only.")
    async def create_api_key(
        self, info: Info[CairnContext, None], input: CreateApiKeyInput
    ) -> IssuedApiKeyPayload:
        try:
            issued = await info.context.in_gateway_db(
                lambda uow: keys.create_key(uow, _tenant(info), input.name, set(input.scopes))
            )
        except Refused as refused:
            return IssuedApiKeyPayload(
                api_key=None, secret=None, user_errors=refused_errors(refused)
            )
        return _issued(issued)

    @strawberry.mutation(
        description="A successor with the same name and scopes; the old key keeps working for "
        "graceSeconds, then stops."
    )
    async def rotate_api_key(
        self, info: Info[CairnContext, None], input: RotateApiKeyInput
    ) -> IssuedApiKeyPayload:
        grace = timedelta(seconds=input.grace_seconds)
        try:
            issued = await info.context.in_gateway_db(
                lambda uow: keys.rotate_key(uow, _tenant(info), str(input.id), grace)
            )
        except Refused as refused:
            return IssuedApiKeyPayload(
                api_key=None, secret=None, user_errors=refused_errors(refused)
            )
        return _issued(issued)

    @strawberry.mutation(description="The key stops working at once.")
    async def revoke_api_key(
        self, info: Info[CairnContext, None], input: RevokeApiKeyInput
    ) -> ApiKeyPayload:
        try:
            revoked = await info.context.in_gateway_db(
                lambda uow: keys.revoke_key(uow, _tenant(info), str(input.id))
            )
        except Refused as refused:
            return ApiKeyPayload(api_key=None, user_errors=refused_errors(refused))
        return ApiKeyPayload(api_key=ApiKey.of(revoked), user_errors=[])

    @strawberry.mutation(description="Let an identity provider sign end-user tokens.")
    async def register_token_issuer(
        self, info: Info[CairnContext, None], input: RegisterTokenIssuerInput
    ) -> TokenIssuerPayload:
        registration = IssuerRegistration(
            issuer=input.issuer,
            audience=input.audience,
            person_match=input.person_match,
            jwks_url=input.jwks_url,
            public_key_pem=input.public_key_pem,
            algorithms=tuple(input.algorithms),
            person_claim=input.person_claim,
        )
        loopback = info.context.issuer_http_loopback
        try:
            found = await info.context.in_gateway_db(
                lambda uow: issuers.register_issuer(uow, _tenant(info), registration, loopback),
            )
        except Refused as refused:
            return TokenIssuerPayload(token_issuer=None, user_errors=refused_errors(refused))
        return TokenIssuerPayload(token_issuer=TokenIssuer.of(found), user_errors=[])

    @strawberry.mutation(description="Its tokens stop working at once.")
    async def remove_token_issuer(
        self, info: Info[CairnContext, None], input: RemoveTokenIssuerInput
    ) -> TokenIssuerPayload:
        try:
            found = await info.context.in_gateway_db(
                lambda uow: issuers.remove_issuer(uow, _tenant(info), str(input.id))
            )
        except Refused as refused:
            return TokenIssuerPayload(token_issuer=None, user_errors=refused_errors(refused))
        return TokenIssuerPayload(token_issuer=TokenIssuer.of(found), user_errors=[])
