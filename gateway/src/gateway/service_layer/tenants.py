"""Creating tenants and their HRIS connections, and recognising their API keys."""

import uuid
from dataclasses import dataclass
from typing import Any

from messaging.outbox import UnitOfWork, utcnow
from pydantic import BaseModel, ValidationError
from service_auth.tokens import Caller
from sqlmodel import select

from gateway.adapters.tables import ApiKey, HrisConnection, Tenant
from gateway.domain.credentials import (
    issue_api_key,
    issue_connection_id,
    issue_webhook_secret,
    parse_api_key,
    secret_matches,
)
from gateway.hris.registry import PROVIDERS


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


async def create_tenant(uow: UnitOfWork, name: str) -> TenantCredentials:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidTenantName("name must be 1 to 200 characters")
    now = utcnow()
    tenant = Tenant(id=str(uuid.uuid4()), name=name, created_at=now)
    key = issue_api_key()
    connection = HrisConnection(
        id=issue_connection_id(),
        tenant_id=tenant.id,
        signing_secret=issue_webhook_secret(),
        created_at=now,
    )
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
    return TenantCredentials(tenant.id, key.plaintext, connection.id, connection.signing_secret)


@dataclass(frozen=True)
class ConnectionCredentials:
    hris_connection_id: str
    secret: str

    def as_json(self) -> dict[str, str]:
        return {"hrisConnectionId": self.hris_connection_id, "secret": self.secret}


class InvalidConnection(ValueError):
    """A connection that cannot be made as asked; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_MAX_SECRET = 200  # HrisConnection.signing_secret


async def create_hris_connection(
    uow: UnitOfWork,
    tenant_id: str,
    provider: str,
    *,
    secret: str | None = None,
    settings: dict[str, Any] | None = None,
) -> ConnectionCredentials:
    """A new HRIS connection of `tenant_id` for `provider`. Providers that sign with their own
    key (Merge, BambooHR) need it as `secret`; for the canonical format Cairn issues one.
    `settings` are the provider's own (e.g. BambooHR's `api_base`, `api_key`)."""
    adapter = PROVIDERS.get(provider)
    if adapter is None:
        raise InvalidConnection("provider", f"must be one of {', '.join(sorted(PROVIDERS))}")
    if await uow.session.get(Tenant, tenant_id) is None:
        raise InvalidConnection("tenant_id", f"no tenant {tenant_id!r}")
    if adapter.issues_secret:
        if secret is not None:
            raise InvalidConnection(
                "secret", f"{provider} connections are signed with a secret Cairn issues"
            )
        secret = issue_webhook_secret()
    elif secret is None or not secret.strip():
        raise InvalidConnection(
            "secret", f"{provider} signs with its own key: give the key {provider} shows"
        )
    elif len(secret) > _MAX_SECRET:
        raise InvalidConnection("secret", f"may be at most {_MAX_SECRET} characters")
    stored = _provider_settings(provider, adapter.settings, settings or {})
    connection = HrisConnection(
        id=issue_connection_id(),
        tenant_id=tenant_id,
        provider=provider,
        signing_secret=secret,
        settings=stored,
        created_at=utcnow(),
    )
    uow.session.add(connection)
    await uow.commit()
    return ConnectionCredentials(connection.id, secret)


def _provider_settings(
    provider: str, model: type[BaseModel] | None, given: dict[str, Any]
) -> dict[str, Any] | None:
    if model is None:
        if given:
            raise InvalidConnection(
                next(iter(given)), f"{provider} connections take no such setting"
            )
        return None
    try:
        validated = model.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise InvalidConnection(
            str(error["loc"][0]) if error.get("loc") else "settings", error["msg"]
        ) from exc
    dumped: dict[str, Any] = validated.model_dump(mode="json")
    return dumped


async def caller_for_api_key(uow: UnitOfWork, presented: str) -> Caller | None:
    parsed = parse_api_key(presented)
    if parsed is None:
        return None
    key_id, secret = parsed
    key = (await uow.session.exec(select(ApiKey).where(ApiKey.id == key_id))).first()
    if key is None or key.revoked_at is not None or not secret_matches(secret, key.secret_hash):
        return None
    return Caller(
        tenant_id=key.tenant_id, principal=f"apikey:{key.id}", scopes=tuple(key.scopes.split())
    )


async def active_connection(uow: UnitOfWork, connection_id: str) -> HrisConnection | None:
    connection = await uow.session.get(HrisConnection, connection_id)
    if connection is None or connection.disabled_at is not None:
        return None
    return connection
