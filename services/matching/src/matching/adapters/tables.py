"""matching's own tables (its database alone). SQLModel classes are storage only.

Replicas of other services' state (people, programs, enrollments) keep the newest revision;
matches and match runs are matching's own."""

from datetime import datetime
from typing import Any

from messaging.tables import messaging_tables
from persistence.types import UtcDateTime
from roster.replica import roster_table
from sqlalchemy import JSON, Column, Index, MetaData, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

metadata = MetaData()
messaging = messaging_tables(metadata)
# Fair matching weighs consented self-identification: matching alone keeps it.
roster = roster_table(metadata, keeps_self_identification=True)


class MatchingTable(SQLModel, registry=registry(metadata=metadata)):
    pass


class KnownProgram(MatchingTable, table=True):
    """A published program as profiles last described it (its whole event snapshot)."""

    __tablename__ = "known_program"

    tenant_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int


class KnownEnrollment(MatchingTable, table=True):
    __tablename__ = "known_enrollment"
    __table_args__ = (Index("ix_known_enrollment_program", "tenant_id", "program_id", "status"),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    enrollment_id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    role: str = Field(max_length=16)
    goals: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity: int | None = None
    status: str = Field(max_length=16)
    revision: int


class MatchRow(MatchingTable, table=True):
    __tablename__ = "match"
    __table_args__ = (
        Index("ix_match_program", "tenant_id", "program_id", "proposed_at", "id"),
        Index("ix_match_mentor", "tenant_id", "mentor_id"),
        Index("ix_match_mentee", "tenant_id", "mentee_id"),
        Index("ix_match_expiry", "status", "expires_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    program_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    mentor_id: str = Field(max_length=64)
    mentee_id: str = Field(max_length=64)
    score: float
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    origin: str = Field(max_length=16)
    run_id: str | None = Field(default=None, max_length=64)
    accepted_by: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    proposed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    flagged_for_review: bool = False
    sessions_completed: int = 0
    last_session_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    revision: int
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class HeldSession(MatchingTable, table=True):
    """A held session counted towards a match: a session is counted once per match, however
    often `session.completed` arrives for it."""

    __tablename__ = "held_session"

    tenant_id: str = Field(primary_key=True, max_length=64)
    match_id: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(primary_key=True, max_length=64)
    ended_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class MenteeRating(MatchingTable, table=True):
    """A mentee's rating of their mentor, one per feedback response (a corrected response
    replaces its rating): the mentor's record that the FEEDBACK criterion scores."""

    __tablename__ = "mentee_rating"
    __table_args__ = (Index("ix_mentee_rating_mentor", "tenant_id", "mentor_id"),)

    tenant_id: str = Field(primary_key=True, max_length=64)
    response_id: str = Field(primary_key=True, max_length=64)
    mentor_id: str = Field(max_length=64)
    rating: int
    revision: int


class MatchRunRow(MatchingTable, table=True):
    __tablename__ = "match_run"
    __table_args__ = (Index("ix_match_run_program", "tenant_id", "program_id", "status"),)

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    program_id: str = Field(max_length=64)
    dry_run: bool
    status: str = Field(max_length=16)
    # Set when a worker takes the run; a run with none is waiting for one.
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    matched_mentees: int = 0
    unmatched_mentees: int = 0
    mean_score: float | None = None
    by_group: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    unmatched: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    error: str | None = Field(default=None, sa_column=Column(Text))
    optimality: str | None = Field(default=None, max_length=16)  # PROVEN or BEST_FOUND
    optimality_gap: float | None = None
    # The matching policy the run used (the program's when asked, or a dry run's trial).
    policy: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class MatchRunPair(MatchingTable, table=True):
    """What a run proposed (or, dry, would have), best first."""

    __tablename__ = "match_run_pair"

    run_id: str = Field(primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    mentor_id: str = Field(max_length=64)
    mentee_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    score: float
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
