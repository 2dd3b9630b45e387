"""profiles' tables of people and the org: the person, their org moves, and the HRIS's changes
held, parked or refused. SQLModel classes are storage only."""

from datetime import date, datetime
from typing import Any

from persistence.types import UtcDateTime
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field

from profiles.adapters.metadata import ProfilesTable


class Person(ProfilesTable, table=True):
    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id", name="uq_person_tenant_external_id"),
        # The manager chain is walked often (matching): both directions indexed.
        Index("ix_person_tenant_manager", "tenant_id", "manager_external_id"),
        Index("ix_person_tenant_department", "tenant_id", "department"),
        Index("ix_person_tenant_name", "tenant_id", "display_name", "id"),
        Index("ix_person_tenant_user_name", "tenant_id", "user_name"),
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
    # None: never answered in Cairn; False: withdrawn (then nothing is kept, not even the
    # HRIS's answers); True: opted in. Never leaves profiles except in person events.
    self_identification_consent: bool | None = None
    user_name: str | None = Field(default=None, max_length=256)
    # Self-service: the person's own words, never set by the HRIS.
    skills: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    interests: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    bio: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(max_length=16)
    source_version: int = Field(sa_column=Column(BigInteger(), nullable=False))
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
    source_version: int = Field(sa_column=Column(BigInteger(), primary_key=True))
    change: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    parked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


def _serial() -> Any:
    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
    return Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)


class PersonChange(ProfilesTable, table=True):
    """One move in the org (title, level, department, manager) as the HRIS dated it."""

    __tablename__ = "person_change"
    __table_args__ = (Index("ix_person_change_person", "tenant_id", "person_id", "effective_at"),)

    id: int | None = Field(default=None, sa_column=_serial())
    tenant_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    field: str = Field(max_length=32)  # camelCase: title, level, department, managerExternalId
    from_value: str | int | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    to_value: str | int | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    effective_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    source_version: int = Field(sa_column=Column(BigInteger(), nullable=False))
    change_id: str | None = Field(default=None, max_length=256)
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HeldChange(ProfilesTable, table=True):
    """A change effective in the future: kept here, applied when its time comes."""

    __tablename__ = "held_change"
    __table_args__ = (Index("ix_held_change_due", "effective_at"),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    change_id: str = Field(primary_key=True, max_length=256)
    external_id: str = Field(max_length=256)
    source_version: int = Field(sa_column=Column(BigInteger(), nullable=False))
    effective_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    change: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    held_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class OrgChangeRejection(ProfilesTable, table=True):
    """What the HRIS sent that Cairn refused, whole or in part, and why (for talent teams)."""

    __tablename__ = "org_change_rejection"
    __table_args__ = (Index("ix_org_change_rejection_tenant", "tenant_id", "id"),)

    id: int | None = Field(default=None, sa_column=_serial())
    tenant_id: str = Field(max_length=64)
    change_id: str = Field(max_length=256)
    change_type: str = Field(max_length=64)
    external_id: str = Field(max_length=256)
    person_id: str | None = Field(default=None, max_length=64)
    source_version: int = Field(sa_column=Column(BigInteger(), nullable=False))
    effective_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    field: str | None = Field(default=None, max_length=64)  # None: the whole change
    reason: str = Field(sa_column=Column(Text, nullable=False))
    change: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    rejected_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
