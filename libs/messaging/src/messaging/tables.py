"""The outbox and inbox tables, added to each service's own metadata (and its migrations)."""

from dataclasses import dataclass

from persistence.types import UtcDateTime
from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, Text


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox_message",
        metadata,
        # BigInteger on PostgreSQL, INTEGER (the rowid alias, so autoincrement) on SQLite.
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(255), nullable=False),
        Column("key", String(255), nullable=False),
        Column("event_type", String(255), nullable=False),
        Column("source", String(255), nullable=False),
        Column("tenant_id", String(64), nullable=False),
        Column("subject", String(255)),
        Column("data", JSON, nullable=False),
        Column("traceparent", String(128)),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), index=True),
    )
    inbox = Table(
        "inbox_message",
        metadata,
        Column("consumer", String(128), primary_key=True),
        Column("event_id", String(255), primary_key=True),
        Column("event_type", String(255), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
        Column("note", Text),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
