"""The gateway's own tables: tenants, their API keys, HRIS connections and what the gateway
learns from their deliveries."""

from datetime import datetime
from typing import Any

from persistence.types import UtcDateTime
from sqlalchemy import JSON, BigInteger, Column, Index, String, Text
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class Tenant(GatewayTable, table=True):
    __tablename__ = "tenant"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ApiKey(GatewayTable, table=True):
    """Stored as a SHA-256 of the secret part: keys are high-entropy, so a slow hash adds
    nothing, and the lookup id keeps verification a single indexed read."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=200)
    scopes: str = Field(default="*", max_length=500)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # A rotated key stays valid until then, beside its successor (`gateway.access.keys`).
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class HrisConnection(GatewayTable, table=True):
    """One HRIS pushing to us: its opaque id selects the tenant, the provider and the secret.

    The signing secret is symmetric (HMAC needs it as issued) and the provider's settings hold
    API keys, so both are kept sealed (`runtime.sealing`, the gateway's keys): a copy of the
    database alone gives neither. `gateway.service_layer.hris_connections` seals and opens
    them; nothing else reads these columns."""

    __tablename__ = "hris_connection"

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    provider: str = Field(default="canonical", max_length=32)
    sealed_secret: str | None = Field(default=None, sa_column=Column(Text()))
    # What the provider needs beyond the secret (e.g. BambooHR's API base and key), as the
    # provider module's settings model dumps it, as JSON, sealed: no new columns per provider.
    sealed_settings: str | None = Field(default=None, sa_column=Column(Text()))
    # As stored before secrets were sealed: sealed and emptied when the gateway starts
    # (`seal_plaintext_connections`). The columns stay for a rolling upgrade, while replicas
    # of the release before read them.
    plaintext_secret: str | None = Field(
        default=None, sa_column=Column("signing_secret", String(200))
    )
    plaintext_settings: dict[str, Any] | None = Field(
        default=None, sa_column=Column("settings", JSON(none_as_null=True))
    )
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # What last went wrong reaching the provider's API (an unknown employee, a refused API key,
    # a wrong API base, no answer in time), for the operator: `cairn hris-connection show`.
    last_error: str | None = Field(default=None, max_length=500)
    last_error_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class HrisIdentity(GatewayTable, table=True):
    """A provider's own id for an employee, and the HRIS employee id it stands for, as learned
    from verified deliveries. Merge names managers by its own ids; this turns them into the
    HRIS ids every other channel uses."""

    __tablename__ = "hris_identity"

    connection_id: str = Field(foreign_key="hris_connection.id", primary_key=True, max_length=64)
    provider_id: str = Field(primary_key=True, max_length=256)
    external_id: str = Field(max_length=256)
    learned_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HrisPendingManager(GatewayTable, table=True):
    """A change named a manager by a provider id we had not learned yet. When that manager's
    identity arrives, the link is sent as its own change at the version that named it, so the
    outcome does not depend on which of the two deliveries came first."""

    __tablename__ = "hris_pending_manager"
    __table_args__ = (
        Index("ix_hris_pending_manager_manager", "connection_id", "manager_provider_id"),
    )

    connection_id: str = Field(foreign_key="hris_connection.id", primary_key=True, max_length=64)
    employee_external_id: str = Field(primary_key=True, max_length=256)
    source_version: int = Field(sa_column=Column(BigInteger(), primary_key=True))
    manager_provider_id: str = Field(max_length=256)
    effective_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HrisDeliveryReceipt(GatewayTable, table=True):
    """A delivery accepted from an HRIS connection, written in the transaction that stored its
    changes in the outbox: once settled, a redelivery (a sender's retry, or a replay of the
    signed bytes) is answered as the first was and changes nothing, without fetching or
    normalizing again. Kept for `RECEIPT_RETENTION`, well past every replay window."""

    __tablename__ = "hris_delivery_receipt"
    __table_args__ = (Index("ix_hris_delivery_receipt_received", "received_at"),)

    connection_id: str = Field(foreign_key="hris_connection.id", primary_key=True, max_length=64)
    # SHA-256 (hex) of the sender's delivery id: fixed length, whatever the sender chose.
    delivery_digest: str = Field(primary_key=True, max_length=64)
    changes: int  # how many changes the delivery was accepted with: the answer to repeat
    # False while a redelivery could still bring something new (BambooHR: the employee was
    # read within the second the notification was signed in; see HrisProvider.settles).
    settled: bool
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
