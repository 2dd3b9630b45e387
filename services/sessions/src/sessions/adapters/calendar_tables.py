"""The calendars people connect, and what each session still owes each of those calendars.

`calendar_connection` keeps a person's provider account with its credentials sealed
(`runtime.sealing`: OAuth tokens, CalDAV passwords; never in plaintext). `calendar_push` is
one row per (session, connected calendar): the session as it should look there (`session`,
its `revision`), whether it should be gone (`cancel`), and how delivering it went: state
SYNCED / PENDING / FAILED with the error, attempts, when to try next, and the provider's
handle on the event once it exists. A newer change of the session overwrites the row's
wanted state (calendars only need the newest), so nothing queues up stale and nothing is lost.
"""

from persistence.types import UtcDateTime
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sessions.adapters.tables import metadata

calendar_connection = Table(
    "calendar_connection",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("provider", String(16), nullable=False),  # CALDAV | GOOGLE | MICROSOFT
    # CalDAV: the collection URL; Google: the calendar id; Microsoft: the mailbox ("me").
    Column("calendar_id", String(1000), nullable=False),
    Column("sealed_credentials", Text, nullable=False),
    Column("state", String(16), nullable=False),  # CONNECTED | FAILED
    Column("last_error", Text),
    Column("connected_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # One account per provider and person: connecting again replaces it (delete first).
    UniqueConstraint("tenant_id", "person_id", "provider", name="uq_calendar_connection_person"),
)

calendar_push = Table(
    "calendar_push",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("connection_id", String(32), nullable=False),
    Column("session", JSON, nullable=False),  # the SessionSnapshot to show
    Column("revision", Integer, nullable=False),  # its revision
    Column("cancel", Boolean, nullable=False),
    Column("state", String(16), nullable=False),  # contracts.sessions.CalendarSync
    Column("error", Text),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    # A worker holds the row until then; another one may take it after (a crashed worker).
    Column("claimed_until", UtcDateTime()),
    Column("handle", JSON),  # the provider's EventHandle once the event exists
    # A create was sent once (its answer may have been lost): a cancel must then find it.
    Column("create_sent", Boolean, nullable=False),
    Column("delivered_revision", Integer),
    Column("delivered_cancel", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "session_id", "connection_id", name="uq_calendar_push_target"),
    CheckConstraint("attempts >= 0", name="ck_calendar_push_attempts"),
    Index("ix_calendar_push_due", "state", "next_attempt_at"),
    Index("ix_calendar_push_connection", "connection_id"),
)
