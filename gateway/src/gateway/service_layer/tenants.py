"""Creating tenants (with their first API key and HRIS connection), and recognising API keys."""

import uuid
from dataclasses import dataclass

from messaging.outbox import UnitOfWork, utcnow
from runtime.sealing import Sealer
from service_auth.tokens import Caller

from gateway.access.keys import authenticate_key
from gateway.adapters.tables import ApiKey, Tenant
from gateway.domain.credentials import (
    issue_api_key,
    issue_webhook_secret,
)
from gateway.hris import canonical
from gateway.service_layer.hris_connections import new_connection


@dataclass(frozen=True)
class TenantCredentials:
    tenant_id: str
    api_key: str
    hris_connection_id: str
    hris_secret: str

    def as_json(self) -> dict[str, str]:
        return {
            "tenantId": self.tenant_id,
            "apiKey": self.api_key,
            "hrisConnectionId": self.hris_connection_id,
            "hrisSecret": self.hris_secret,
        }


class InvalidTenantName(ValueError):
    pass


async def create_tenant(uow: UnitOfWork, name: str, sealer: Sealer) -> TenantCredentials:
    """A tenant, its first API key (stored hashed) and a canonical HRIS connection (its
    secret sealed); the plaintext credentials are in the answer only."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidTenantName("name must be 1 to 200 characters")
    now = utcnow()
    tenant = Tenant(id=str(uuid.uuid4()), name=name, created_at=now)
    key = issue_api_key()
    secret = issue_webhook_secret()
    connection = new_connection(sealer, tenant.id, canonical.PROVIDER.name, secret)
    uow.session.add(tenant)
    await uow.session.flush()
    uow.session.add(
        ApiKey(
            id=key.key_id,
            tenant_id=tenant.id,
            secret_hash=key.secret_hash,
            name="default",
            created_at=now,
        )
    )
    uow.session.add(connection)
    await uow.commit()
    return TenantCredentials(tenant.id, key.plaintext, connection.id, secret)


async def caller_for_api_key(uow: UnitOfWork, presented: str) -> Caller | None:
    """A live key's caller (revoked and expired keys are None; see `gateway.access.keys`)."""
    principal = await authenticate_key(uow, presented)
    return principal.caller() if principal is not None else None
