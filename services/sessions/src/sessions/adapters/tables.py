"""sessions's own tables (its database alone). SQLModel classes are storage only.

Replicas of other services' state (people through the roster, programs, matches) keep the
newest revision; sessions, attendance, action items, working hours, feed tokens and the
reminders already sent are sessions' own. Other table modules of this service (calendars,
office hours) register on the same `metadata`."""

from datetime import date, datetime
from typing import Any

from messaging.tables import messaging_tables
from persistence.types import UtcDateTime
from roster.replica import roster_table
from sqlalchemy import JSON, Column, Index, MetaData, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

metadata = MetaData()
messaging = messaging_tables(metadata)
# Sessions need a person's zone, email, name and status: never self-identification.
roster = roster_table(metadata)


class SessionsTable(SQLModel, registry=registry(metadata=metadata)):
    pass


class KnownProgram(SessionsTable, table=True):
    """A published program as profiles last described it (its curriculum above all)."""

    __tablename__ = "known_program"

    tenant_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int


class KnownMatch(SessionsTable, table=True):
    """A match as matching last described it; `planned_at` is set once its series is planned,
    so a replayed or repeated `match.accepted` plans nothing twice."""

    __tablename__ = "known_match"

    tenant_id: str = Field(primary_key=True, max_length=64)
    match_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int
    planned_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class SessionRow(SessionsTable, table=True):
    __tablename__ = "session"
    __table_args__ = (
        Index("ix_session_tenant_start", "tenant_id", "starts_at", "id"),
        Index("ix_session_program", "tenant_id", "program_id", "starts_at"),
        Index("ix_session_status_start", "status", "starts_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    program_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    match_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    group_id: str | None = Field(default=None, max_length=64)
    host_id: str = Field(max_length=64)
    attendee_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    status: str = Field(max_length=16)
    sequence: int = 0
    module_index: int | None = None  # the curriculum module, by its place
    module_title: str | None = Field(default=None, sa_column=Column(Text))
    final: bool = False
    unscheduled_reason: str | None = Field(default=None, sa_column=Column(Text))
    capacity: int | None = None
    revision: int
    held_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    cancelled_reason: str | None = Field(default=None, sa_column=Column(Text))
    cancelled_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SessionAttendee(SessionsTable, table=True):
    """One invited person of a session (the host included), with their attendance once the
    session is recorded. Also how a person's sessions and busy times are found."""

    __tablename__ = "session_attendee"
    __table_args__ = (Index("ix_session_attendee_person", "tenant_id", "person_id"),)

    session_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    attendance: str | None = Field(default=None, max_length=16)


class SessionMatch(SessionsTable, table=True):
    """Which matches a session serves: a match's series is found through it."""

    __tablename__ = "session_match"
    __table_args__ = (Index("ix_session_match_match", "tenant_id", "match_id"),)

    session_id: str = Field(primary_key=True, max_length=64)
    match_id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)


class ActionItemRow(SessionsTable, table=True):
    __tablename__ = "action_item"
    __table_args__ = (Index("ix_action_item_session", "tenant_id", "session_id"),)

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    program_id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)
    match_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    owner_id: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date | None = None
    done: bool = False
    done_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revision: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class WorkingHoursRow(SessionsTable, table=True):
    """A person's own working hours (and zone, if not their HR one); no row: the default."""

    __tablename__ = "working_hours"

    tenant_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    time_zone: str | None = Field(default=None, max_length=64)
    weekly: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class FeedTokenRow(SessionsTable, table=True):
    """A person's calendar feed: only the token's SHA-256 digest; the digest alone finds the
    tenant and person. Rotating replaces the digest; revoking deletes the row."""

    __tablename__ = "feed_token"
    __table_args__ = (Index("ix_feed_token_digest", "digest", unique=True),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    digest: str = Field(max_length=64)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ReminderSent(SessionsTable, table=True):
    """A reminder emitted: the key makes each (session, lead time) go out once, whatever
    restarts or replicas do."""

    __tablename__ = "reminder_sent"

    session_id: str = Field(primary_key=True, max_length=64)
    lead_minutes: int = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    sent_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
