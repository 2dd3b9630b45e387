"""The gateway's own tables: tenants, their API keys and HRIS connections."""

from datetime import datetime

from messaging.tables import messaging_tables
from persistence.types import UtcDateTime
from sqlalchemy import Column, MetaData
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

metadata = MetaData()


class GatewayTable(SQLModel, registry=registry(metadata=metadata)):
    pass


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


class HrisConnection(GatewayTable, table=True):
    """One HRIS pushing to us: its opaque id selects the tenant, the provider and the secret.
    The signing secret is symmetric, so it is kept as issued (HMAC needs it)."""

    __tablename__ = "hris_connection"

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    provider: str = Field(default="canonical", max_length=32)
    signing_secret: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


messaging = messaging_tables(metadata)
