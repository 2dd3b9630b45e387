"""profiles' own tables (its database alone). SQLModel classes are storage only."""

from datetime import date, datetime
from typing import Any

from messaging.tables import messaging_tables
from persistence.types import UtcDateTime
from sqlalchemy import JSON, Column, Index, MetaData, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

metadata = MetaData()


class ProfilesTable(SQLModel, registry=registry(metadata=metadata)):
    pass


class Person(ProfilesTable, table=True):
    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id", name="uq_person_tenant_external_id"),
        # The manager chain is walked often (matching): both directions indexed.
        Index("ix_person_tenant_manager", "tenant_id", "manager_external_id"),
        Index("ix_person_tenant_department", "tenant_id", "department"),
        Index("ix_person_tenant_name", "tenant_id", "display_name", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    external_id: str = Field(max_length=256)
    email: str = Field(max_length=320)
    display_name: str = Field(max_length=512)
    given_name: str | None = Field(default=None, max_length=256)
    family_name: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=512)
    department: str | None = Field(default=None, max_length=512)
    location: str | None = Field(default=None, max_length=512)
    time_zone: str = Field(max_length=64)
    level: int | None = None
    manager_external_id: str | None = Field(default=None, max_length=256)
    hire_date: date | None = None
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    underrepresented: bool | None = None
    demographics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    status: str = Field(max_length=16)
    source_version: int
    # The sourceVersion that last set each field: partial changes converge in any order.
    field_versions: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    revision: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ParkedChange(ProfilesTable, table=True):
    """A change for someone we do not know yet (it arrived before the hire); replayed in
    sourceVersion order once they exist, so out-of-order deliveries converge."""

    __tablename__ = "parked_change"

    tenant_id: str = Field(primary_key=True, max_length=64)
    external_id: str = Field(primary_key=True, max_length=256)
    source_version: int = Field(primary_key=True)
    change: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    parked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)

# Every table module registers on `metadata` (Alembic and the app import this module only).
from profiles.adapters import program_tables  # noqa: E402, F401
