"""HRIS connections: made with their secrets sealed, opened for the request at hand, described
to operators without their secrets, and what last went wrong reaching their provider's API.

The only module that reads or writes a connection's secret columns."""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from runtime.sealing import Sealer
from sqlalchemy import or_, update
from sqlmodel import col, select

from gateway.adapters.tables import HrisConnection, Tenant
from gateway.domain.credentials import issue_connection_id, issue_webhook_secret
from gateway.hris.delivery import HrisProvider, UnsealedConnection
from gateway.hris.registry import PROVIDERS

log = logging.getLogger(__name__)

# A secret the provider shows and we store (Merge's signature key, BambooHR's webhook key and
# API key): shorter than this is a paste gone wrong, or a key anyone could guess.
MIN_PROVIDER_SECRET = 24
_MAX_SECRET = 200
_MAX_ERROR = 500  # HrisConnection.last_error


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


def new_connection(
    sealer: Sealer,
    tenant_id: str,
    provider: str,
    secret: str,
    settings: Mapping[str, Any] | None = None,
) -> HrisConnection:
    """A connection row with its secret and settings sealed (nothing in plaintext)."""
    return HrisConnection(
        id=issue_connection_id(),
        tenant_id=tenant_id,
        provider=provider,
        sealed_secret=sealer.seal(secret),
        sealed_settings=None if settings is None else sealer.seal(json.dumps(dict(settings))),
        created_at=utcnow(),
    )


async def create_hris_connection(
    uow: UnitOfWork,
    sealer: Sealer,
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
    else:
        _check_provider_secret("secret", secret, f"the key {provider} shows")
    stored = _provider_settings(adapter, settings or {})
    connection = new_connection(sealer, tenant_id, provider, secret, stored)
    uow.session.add(connection)
    await uow.commit()
    return ConnectionCredentials(connection.id, secret)


def _check_provider_secret(field: str, value: str, what: str) -> None:
    if len(value) < MIN_PROVIDER_SECRET:
        raise InvalidConnection(
            field, f"must be at least {MIN_PROVIDER_SECRET} characters: give all of {what}"
        )
    if len(value) > _MAX_SECRET:
        raise InvalidConnection(field, f"may be at most {_MAX_SECRET} characters")


def _provider_settings(
    adapter: HrisProvider[Any, Any], given: dict[str, Any]
) -> dict[str, Any] | None:
    if adapter.settings is None:
        if given:
            raise InvalidConnection(
                next(iter(given)), f"{adapter.name} connections take no such setting"
            )
        return None
    try:
        validated = adapter.settings.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise InvalidConnection(
            str(error["loc"][0]) if error.get("loc") else "settings", error["msg"]
        ) from exc
    dumped: dict[str, Any] = validated.model_dump(mode="json")
    for name in adapter.secret_settings:
        _check_provider_secret(name, str(dumped[name]), f"the {name} {adapter.name} shows")
    return dumped


def unsealed(row: HrisConnection, sealer: Sealer) -> UnsealedConnection:
    """The connection with its secrets opened; raises SealedUnreadable when they do not open
    with the configured keys. A row not sealed yet (written by a replica of the release
    before, during a rolling upgrade) is read as it is."""
    secret = row.plaintext_secret if row.sealed_secret is None else sealer.open(row.sealed_secret)
    if secret is None:
        raise ValueError(f"hris connection {row.id} has no signing secret")
    settings = (
        row.plaintext_settings
        if row.sealed_settings is None
        else json.loads(sealer.open(row.sealed_settings))
    )
    return UnsealedConnection(row.id, row.tenant_id, row.provider, secret, settings)


async def active_connection(
    uow: UnitOfWork, connection_id: str, sealer: Sealer
) -> UnsealedConnection | None:
    row = await uow.session.get(HrisConnection, connection_id)
    if row is None or row.disabled_at is not None:
        return None
    return unsealed(row, sealer)


async def record_connection_error(
    uow_factory: UnitOfWorkFactory, connection_id: str, problem: str, at: datetime
) -> None:
    """Keeps what went wrong reaching the provider's API on the connection, for the operator
    (in a transaction of its own: the delivery itself stored nothing)."""
    async with uow_factory() as uow:
        await uow.session.execute(
            update(HrisConnection)
            .where(col(HrisConnection.id) == connection_id)
            .values(last_error=problem[:_MAX_ERROR], last_error_at=at)
        )
        await uow.commit()


async def seal_plaintext_connections(uow_factory: UnitOfWorkFactory, sealer: Sealer) -> int:
    """Seals what was stored in plaintext before secrets were sealed, and empties it; answers
    how many connections. Run at start-up, before any delivery, by the gateway and the CLI:
    the migration that added the sealed columns has no key (keys live in the process's
    settings, and an old migration must not depend on today's settings code)."""
    async with uow_factory() as uow:
        rows = (
            await uow.session.exec(
                select(HrisConnection)
                .where(
                    or_(
                        col(HrisConnection.plaintext_secret).is_not(None),
                        col(HrisConnection.plaintext_settings).is_not(None),
                    )
                )
                .with_for_update()
            )
        ).all()
        for row in rows:
            if row.plaintext_secret is not None:
                row.sealed_secret = sealer.seal(row.plaintext_secret)
                row.plaintext_secret = None
            if row.plaintext_settings is not None:
                row.sealed_settings = sealer.seal(json.dumps(row.plaintext_settings))
                row.plaintext_settings = None
            uow.session.add(row)
        await uow.commit()
    if rows:
        log.info("sealed the secrets of %d hris connections stored in plaintext", len(rows))
    return len(rows)


@dataclass(frozen=True)
class ConnectionSummary:
    """A connection as an operator sees it: never its secrets."""

    row: HrisConnection
    settings: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        row = self.row
        return {
            "hrisConnectionId": row.id,
            "tenantId": row.tenant_id,
            "provider": row.provider,
            "settings": {to_camel(k): v for k, v in self.settings.items()},
            "createdAt": row.created_at.isoformat(),
            "disabledAt": row.disabled_at.isoformat() if row.disabled_at else None,
            "lastError": row.last_error,
            "lastErrorAt": row.last_error_at.isoformat() if row.last_error_at else None,
        }


async def connection_summaries(
    uow: UnitOfWork,
    sealer: Sealer,
    *,
    tenant_id: str | None = None,
    connection_id: str | None = None,
) -> list[ConnectionSummary]:
    """The connections of a tenant, or the one named, oldest first."""
    query = select(HrisConnection).order_by(col(HrisConnection.created_at), col(HrisConnection.id))
    if tenant_id is not None:
        query = query.where(col(HrisConnection.tenant_id) == tenant_id)
    if connection_id is not None:
        query = query.where(col(HrisConnection.id) == connection_id)
    rows: Sequence[HrisConnection] = (await uow.session.exec(query)).all()
    return [ConnectionSummary(row, _shown_settings(row, sealer)) for row in rows]


def _shown_settings(row: HrisConnection, sealer: Sealer) -> dict[str, Any]:
    settings = unsealed(row, sealer).settings or {}
    adapter = PROVIDERS.get(row.provider)
    hidden = set(adapter.secret_settings) if adapter is not None else set(settings)
    return {name: value for name, value in settings.items() if name not in hidden}
