"""feedback's own tables (its database alone). SQLModel classes are storage only.

Replicas of other services' state keep the newest revision and only what the figures, the
requests and early warning need. The one sensitive attribute kept is `underrepresented`
(the representation figure of enrolled people needs it; a person's events come before their
enrollments, so it is kept with the person's career): never demographics, never served.
"""

from datetime import date, datetime
from typing import Any

from messaging.tables import messaging_tables
from persistence.types import UtcDateTime
from roster.replica import roster_table
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from feedback.domain.figures import Tally

metadata = MetaData()
messaging = messaging_tables(metadata)
roster = roster_table(metadata)


class FeedbackTable(SQLModel, registry=registry(metadata=metadata)):
    pass


class KnownProgram(FeedbackTable, table=True):
    __tablename__ = "known_program"

    tenant_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16)
    starts_on: date | None = None
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int
    # The program's early-warning thresholds as an admin set them (None: the defaults).
    warning_thresholds: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class KnownEnrollment(FeedbackTable, table=True):
    __tablename__ = "known_enrollment"
    __table_args__ = (
        Index("ix_known_enrollment_program", "tenant_id", "program_id"),
        Index("ix_known_enrollment_person", "tenant_id", "person_id"),
    )

    tenant_id: str = Field(primary_key=True, max_length=64)
    enrollment_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    role: str = Field(max_length=16)
    status: str = Field(max_length=16)
    joined_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revision: int


class OrgPerson(FeedbackTable, table=True):
    """A person's career as the HRIS told it: level, department and title now, and every org
    move with its effective time (for promotion and mobility outcomes)."""

    __tablename__ = "org_person"

    tenant_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16)
    hired_on: date | None = None
    left_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    level: int | None = None
    department: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    # Sensitive (consented self-identification): only for the representation figures of
    # enrolled people, suppressed below k; never served for a person.
    underrepresented: bool | None = None
    moves: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    revision: int


class OrgVersion(FeedbackTable, table=True):
    """Grows with every change to a tenant's people or enrollments: the protected part of
    the insights (counts of people, suppression, comparison) is rebuilt only when it moved."""

    __tablename__ = "org_version"

    tenant_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class KnownMatch(FeedbackTable, table=True):
    __tablename__ = "known_match"
    __table_args__ = (
        Index("ix_known_match_program", "tenant_id", "program_id"),
        Index("ix_known_match_status", "status"),
    )

    tenant_id: str = Field(primary_key=True, max_length=64)
    match_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    mentor_id: str = Field(max_length=64)
    mentee_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    activated_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_held_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_held_session_id: str | None = Field(default=None, max_length=64)
    pulses_sent: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revision: int


class KnownSession(FeedbackTable, table=True):
    __tablename__ = "known_session"

    tenant_id: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revision: int


class SessionMatch(FeedbackTable, table=True):
    """Which matches a session serves (one for a pair, each member's for a circle)."""

    __tablename__ = "session_match"
    __table_args__ = (Index("ix_session_match_match", "tenant_id", "match_id"),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(primary_key=True, max_length=64)
    match_id: str = Field(primary_key=True, max_length=64)


class FeedbackRequestRow(FeedbackTable, table=True):
    __tablename__ = "feedback_request"
    __table_args__ = (
        # A redelivered event plans the same request: its key makes it a no-op.
        UniqueConstraint("tenant_id", "key", name="uq_feedback_request_key"),
        Index("ix_feedback_request_person", "tenant_id", "person_id"),
        Index("ix_feedback_request_session", "tenant_id", "session_id"),
        Index("ix_feedback_request_open", "status", "expires_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    key: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    program_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    match_id: str | None = Field(default=None, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)
    requested_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    status: str = Field(max_length=16)
    answered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revision: int = 1


class FeedbackResponseRow(FeedbackTable, table=True):
    __tablename__ = "feedback_response"
    __table_args__ = (
        # One answer per request, whatever races: the database says no to a second.
        UniqueConstraint("tenant_id", "request_id", name="uq_feedback_response_request"),
        Index("ix_feedback_response_session", "tenant_id", "session_id"),
        Index("ix_feedback_response_match", "tenant_id", "match_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    request_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    program_id: str = Field(max_length=64)
    match_id: str | None = Field(default=None, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)
    respondent_id: str = Field(max_length=64)
    rating: int
    recommend: int | None = None
    goal_progress: int | None = None
    # Never in an event; shown to the tenant's admins only.
    comment: str | None = Field(default=None, sa_column=Column(Text))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    revision: int = 1
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class MatchFlagRow(FeedbackTable, table=True):
    __tablename__ = "match_flag"
    __table_args__ = (
        # The same facts never flag the same match twice.
        UniqueConstraint("tenant_id", "key", name="uq_match_flag_key"),
        Index("ix_match_flag_program", "tenant_id", "program_id"),
        Index("ix_match_flag_match", "tenant_id", "match_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    key: str = Field(max_length=1000)
    match_id: str = Field(max_length=64)
    program_id: str = Field(max_length=64)
    reason_code: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    flagged_by: str = Field(max_length=64)
    flagged_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


# A program's tallies per period (ALL, each ISO week, each month): one column per measure,
# changed only by atomic increments, so concurrent consumers never lose a count.
program_figures = Table(
    "program_figures",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("program_id", String(64), primary_key=True),
    Column("grain", String(8), primary_key=True),
    Column("period", String(16), primary_key=True),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in Tally._fields),
)
