"""Who may manage webhooks: an API key with the admin scope (`admin`, or `*`: every scope),
for its own tenant only; and what such a resolver needs from the app (the gateway's unit of
work and sealer)."""

from dataclasses import dataclass

from messaging.outbox import UnitOfWorkFactory
from runtime.sealing import Sealer
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.errors import CairnError


class Forbidden(CairnError):
    code = "FORBIDDEN"


@dataclass(frozen=True)
class Admin:
    tenant_id: str
    uow: UnitOfWorkFactory
    sealer: Sealer


def admin(info: Info[CairnContext, None]) -> Admin:
    caller = info.context.caller
    # Keys only: the policy (gateway.access) already asked for the ADMIN scope.
    if not (caller.is_tenant_admin and caller.principal.startswith("apikey:")):
        raise Forbidden("webhooks are managed with an API key that has the admin scope")
    request = info.context.request
    assert request is not None  # set by the router for every query
    state = request.app.state
    return Admin(caller.tenant_id, state.process.uow, state.sealer)
