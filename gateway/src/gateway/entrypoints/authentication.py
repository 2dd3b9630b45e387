"""Who is calling a public endpoint: `Authorization: Bearer <API key>` → the caller, or None.
Each surface answers None in its own protocol (GraphQL error, SCIM error, problem+json)."""

from fastapi import Request
from service_auth.tokens import Caller

from gateway.service_layer.tenants import caller_for_api_key


async def api_key_caller(request: Request) -> Caller | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    async with request.app.state.process.uow() as uow:
        return await caller_for_api_key(uow, presented.strip())
