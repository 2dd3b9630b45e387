"""Accepted org changes into the gateway's outbox, in the caller's transaction: every path that
accepts org changes (HRIS deliveries, SCIM writes) stores them here, and the relay publishes
them once the transaction has committed. The broker is transport; the outbox is the record."""

from collections.abc import Sequence

from contracts.hris import HrisChangeReceived
from messaging.outbox import UnitOfWork
from sqlalchemy import select

from gateway.adapters.metadata import messaging

# Bound parameters per lookup: well under SQLite's and PostgreSQL's limits.
_LOOKUP_CHUNK = 1000


async def store_changes(
    uow: UnitOfWork, tenant_id: str, events: Sequence[tuple[str, HrisChangeReceived]]
) -> int:
    """Emits each (event id, event) not stored before; answers how many were new.

    Event ids derive from (source, change id), so a change sent again (an HRIS retry under a
    new delivery id, or twice in one delivery) is the same event: it is stored once. Consumers'
    inboxes would drop a second copy anyway; the outbox's unique event id must not see one."""
    outbox = messaging.outbox
    wanted = list(dict.fromkeys(event_id for event_id, _ in events))
    stored: set[str] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found = await uow.session.execute(
            select(outbox.c.event_id).where(outbox.c.event_id.in_(chunk))
        )
        stored.update(found.scalars())
    fresh: dict[str, HrisChangeReceived] = {}
    for event_id, event in events:
        if event_id not in stored:
            fresh.setdefault(event_id, event)
    # One statement for the whole delivery: a row at a time costs a round trip each.
    await uow.emit_many(list(fresh.values()), tenant_id=tenant_id, event_ids=list(fresh))
    return len(fresh)
