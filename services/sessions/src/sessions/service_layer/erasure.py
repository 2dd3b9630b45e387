"""Forgetting a person (`person.erased`): the roster keeps a tombstone; their calendar
connections (with the sealed credentials) and what waits to be pushed to them, their working
hours and calendar feed go; sessions keep them as an opaque attendee id (attendance counts stay
right), and every copy of their identifiers (a cancellation reason naming them, the session
copies waiting for other attendees' calendars, the outbox) is replaced. Then sessions
confirms."""

from contracts.people import PersonErased
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork
from persistence.redaction import redact_table
from roster.erasure import confirm_erasure
from sqlalchemy import Table, delete

from sessions.adapters.calendar_tables import calendar_connection, calendar_push
from sessions.adapters.tables import (
    ActionItemRow,
    FeedTokenRow,
    KnownMatch,
    SessionRow,
    WorkingHoursRow,
    messaging,
    roster,
)

# Tables whose rows belong to others too and may quote the person.
_QUOTING: tuple[Table, ...] = (
    SessionRow.__table__,  # type: ignore[attr-defined]
    KnownMatch.__table__,  # type: ignore[attr-defined]
    ActionItemRow.__table__,  # type: ignore[attr-defined]
    calendar_push,
    roster.table,  # another person's manager
)
# Tables whose rows are the person's own.
_OWN: tuple[Table, ...] = (
    calendar_push,
    calendar_connection,
    WorkingHoursRow.__table__,  # type: ignore[attr-defined]
    FeedTokenRow.__table__,  # type: ignore[attr-defined]
)


async def on_person_erased(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, PersonErased)
    tenant_id, person_id = received.tenant_id, event.person_id
    replacements = await roster.erase(uow, tenant_id, person_id)
    for table in _OWN:
        await uow.session.execute(
            delete(table).where(table.c.tenant_id == tenant_id, table.c.person_id == person_id)
        )
    for table in _QUOTING:
        await redact_table(uow.session, table, tenant_id, replacements)
    await confirm_erasure(
        uow,
        service="sessions",
        tenant_id=tenant_id,
        person_id=person_id,
        replacements=replacements,
        outbox=messaging.outbox,
    )


def erasure_handlers() -> dict[str, Handler]:
    return {PersonErased.event_type: on_person_erased}
