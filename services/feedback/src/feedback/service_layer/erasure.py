"""Forgetting a person (`person.erased`): the roster keeps a tombstone; the comments and tags
the person wrote are deleted, their answers stay as numbers under their opaque id (so every
figure and insight stays what it was); the title feedback kept of them goes; every other copy
of their identifiers (another's comment naming them, a flag's reason, org moves, the outbox)
is replaced.
Then feedback confirms."""

from contracts.people import PersonErased
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork
from persistence.redaction import redact_table
from roster.erasure import confirm_erasure
from roster.replica import TOMBSTONE_REVISION
from sqlalchemy import Table, update
from sqlmodel import col

from feedback.adapters.tables import (
    FeedbackResponseRow,
    KnownMatch,
    MatchFlagRow,
    OrgPerson,
    messaging,
    roster,
)

_QUOTING: tuple[Table, ...] = (
    FeedbackResponseRow.__table__,  # type: ignore[attr-defined]
    MatchFlagRow.__table__,  # type: ignore[attr-defined]
    KnownMatch.__table__,  # type: ignore[attr-defined]
    # Org moves (theirs: a title naming them; another's: them as the new manager). Rewritten,
    # not dropped: a move stays a move, so promotion and mobility outcomes stay what they were.
    OrgPerson.__table__,  # type: ignore[attr-defined]
    roster.table,  # another person's manager
)


async def on_person_erased(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, PersonErased)
    tenant_id, person_id = received.tenant_id, event.person_id
    replacements = await roster.erase(uow, tenant_id, person_id)
    await uow.session.execute(
        update(FeedbackResponseRow)
        .where(
            col(FeedbackResponseRow.tenant_id) == tenant_id,
            col(FeedbackResponseRow.respondent_id) == person_id,
        )
        .values(comment=None, tags=[])
    )
    await uow.session.execute(
        update(OrgPerson)
        .where(col(OrgPerson.tenant_id) == tenant_id, col(OrgPerson.person_id) == person_id)
        # No later person event (a replay) writes the title back.
        .values(title=None, revision=TOMBSTONE_REVISION)
    )
    for table in _QUOTING:
        await redact_table(uow.session, table, tenant_id, replacements)
    await confirm_erasure(
        uow,
        service="feedback",
        tenant_id=tenant_id,
        person_id=person_id,
        replacements=replacements,
        outbox=messaging.outbox,
    )


def erasure_handlers() -> dict[str, Handler]:
    return {PersonErased.event_type: on_person_erased}
