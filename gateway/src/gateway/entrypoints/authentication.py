"""Who is calling a public endpoint: `Authorization: Bearer <API key>` → the caller, or None.
Each surface answers None in its own protocol (GraphQL error, SCIM error, problem+json).
GraphQL also takes end-user tokens (`principal`)."""

from fastapi import Request
from opentelemetry import trace
from service_auth.tokens import Caller
from starlette.datastructures import State

from gateway.access.keys import authenticate_key
from gateway.access.principal import Principal
from gateway.access.tokens import EndUsers, TokenRefused, looks_like_jwt
from gateway.adapters.upstream import UpstreamUnavailable
from gateway.service_layer.tenants import caller_for_api_key

# The span attribute (and request line) naming who made a request: every use attributable.
PRINCIPAL_ATTRIBUTE = "cairn.principal"


class Unauthenticated(Exception):
    pass


class AuthenticationUnavailable(Exception):
    """Who an end-user token names cannot be looked up now (profiles unreachable): 503."""


async def api_key_caller(request: Request) -> Caller | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    async with request.app.state.process.uow() as uow:
        caller = await caller_for_api_key(uow, presented.strip())
    if caller is not None:
        attribute(caller.principal)
    return caller


async def principal(request: Request) -> Principal:
    """An integrator key's or an end-user token's principal; Unauthenticated says why not."""
    return await principal_for(request.app.state, request.headers.get("authorization", ""))


async def principal_for(state: State, authorization: str) -> Principal:
    """The principal `Authorization: <authorization>` names, with the app's state (HTTP's
    header, or a websocket's `connection_init` payload)."""
    scheme, _, presented = authorization.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise Unauthenticated("send Authorization: Bearer <API key or end-user token>")
    async with state.process.uow() as uow:
        if looks_like_jwt(presented):
            end_users: EndUsers | None = getattr(state, "end_users", None)
            if end_users is None:
                raise Unauthenticated("end-user tokens are not accepted here")
            try:
                found = await end_users.principal(uow, presented)
            except TokenRefused as exc:
                raise Unauthenticated(str(exc)) from exc
            except UpstreamUnavailable as exc:
                raise AuthenticationUnavailable("cannot look up the token's person") from exc
        else:
            key = await authenticate_key(uow, presented)
            if key is None:
                raise Unauthenticated("the API key is not valid")
            found = key
    attribute(found.caller().principal)
    return found


def attribute(who: str) -> None:
    trace.get_current_span().set_attribute(PRINCIPAL_ATTRIBUTE, who)
