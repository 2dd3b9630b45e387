"""Office hours' seats and RSVPs. Overbooking is impossible by construction: a seat is taken
by one conditional write on `office_hours_seats.seats_left`, which a CHECK keeps between zero
and the capacity; a person holds at most one RSVP per session (unique). RSVP ids grow in the
order the writes took the session's seat row, so the waitlist is first-in-first-out by id."""

from persistence.types import UtcDateTime
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from sessions.adapters.tables import metadata

office_hours_seats = Table(
    "office_hours_seats",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("session_id", String(64), primary_key=True),
    Column("program_id", String(64), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("seats_left", Integer, nullable=False),
    CheckConstraint("capacity > 0", name="ck_office_hours_capacity"),
    CheckConstraint("seats_left >= 0", name="ck_office_hours_seats_not_negative"),
    CheckConstraint("seats_left <= capacity", name="ck_office_hours_seats_within_capacity"),
)

office_hours_rsvp = Table(
    "office_hours_rsvp",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # CONFIRMED | WAITLISTED
    Column("rsvped_at", UtcDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "session_id", "person_id", name="uq_office_hours_rsvp_person"),
    CheckConstraint("status IN ('CONFIRMED', 'WAITLISTED')", name="ck_office_hours_rsvp_status"),
    ForeignKeyConstraint(
        ["tenant_id", "session_id"],
        ["office_hours_seats.tenant_id", "office_hours_seats.session_id"],
        name="fk_office_hours_rsvp_seats",
        ondelete="CASCADE",
    ),
    Index("ix_office_hours_rsvp_queue", "tenant_id", "session_id", "status", "id"),
)
