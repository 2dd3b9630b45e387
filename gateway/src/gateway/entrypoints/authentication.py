"""Who is calling a public endpoint: `Authorization: Bearer <API key>` → the caller, or None.
Each surface answers None in its own protocol (GraphQL error, SCIM error, problem+json)."""

from fastapi import Request
from service_auth.tokens import Caller

from gateway.service_layer.tenants import caller_for_api_key

# The scope that makes an integrator key one of the tenant's admins for feedback (comments,
# flags, insights); every key has the full scope ("*") unless it was issued narrower.
FEEDBACK_ADMIN_SCOPE = "feedback:admin"


def is_tenant_admin(caller: Caller) -> bool:
    """One of the tenant's admins: an integrator key with the full scope or feedback's admin
    scope (end users never are), or the system itself."""
    if caller.principal == "system":
        return True
    admin_scope = "*" in caller.scopes or FEEDBACK_ADMIN_SCOPE in caller.scopes
    return caller.principal.startswith("apikey:") and admin_scope


async def api_key_caller(request: Request) -> Caller | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    async with request.app.state.process.uow() as uow:
        return await caller_for_api_key(uow, presented.strip())
