"""Forgetting a person (`person.erased`): the roster keeps a tombstone, matches keep the
person's opaque id (so counts and a program's history stay right) with any copy of their
identifiers in a match's reasons replaced, and matching confirms."""

from contracts.people import PersonErased
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork
from persistence.redaction import redact_table
from roster.erasure import confirm_erasure

from matching.adapters.tables import MatchRow, messaging, roster


async def on_person_erased(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, PersonErased)
    tenant_id = received.tenant_id
    replacements = await roster.erase(uow, tenant_id, event.person_id)
    # Matches keep the opaque id; the roster's others may name the person (their manager).
    for table in (MatchRow.__table__, roster.table):  # type: ignore[attr-defined]
        await redact_table(uow.session, table, tenant_id, replacements)
    await confirm_erasure(
        uow,
        service="matching",
        tenant_id=tenant_id,
        person_id=event.person_id,
        replacements=replacements,
        outbox=messaging.outbox,
    )


def erasure_handlers() -> dict[str, Handler]:
    return {PersonErased.event_type: on_person_erased}
