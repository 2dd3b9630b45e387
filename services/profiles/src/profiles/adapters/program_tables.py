"""profiles' tables for programs and enrollments. Storage only: the nested parts of a program
(objectives, curriculum, policy, eligibility) are JSON in their event-snapshot shape."""

from datetime import date, datetime
from typing import Any

from persistence.types import UtcDateTime
from sqlalchemy import JSON, Column, ForeignKey, Index, String, Text, text
from sqlmodel import Field

from profiles.adapters.metadata import ProfilesTable

_ACTIVE = text("status = 'ACTIVE'")


class Program(ProfilesTable, table=True):
    __tablename__ = "program"
    __table_args__ = (Index("ix_program_tenant_status", "tenant_id", "status", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    description: str | None = Field(default=None, sa_column=Column(Text))
    starts_on: date | None = None
    ends_on: date | None = None
    objectives: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    curriculum: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    matching_policy: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    enrollment_opens_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    enrollment_closes_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    eligibility: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Enrollment(ProfilesTable, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (
        # One active enrollment per person and role in a program, even under concurrent requests.
        Index(
            "uq_enrollment_active_role",
            "tenant_id",
            "program_id",
            "person_id",
            "role",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index("ix_enrollment_program_page", "tenant_id", "program_id", "created_at", "id"),
        Index("ix_enrollment_tenant_person", "tenant_id", "person_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    program_id: str = Field(
        sa_column=Column(String(64), ForeignKey("program.id", ondelete="CASCADE"), nullable=False)
    )
    person_id: str = Field(max_length=64)
    role: str = Field(max_length=16)
    goals: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity: int | None = None
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    revision: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
