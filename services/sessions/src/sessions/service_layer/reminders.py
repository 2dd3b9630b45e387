"""Reminders: `session.reminder_due` at each lead time before a booked session, once each.
The (session, lead) key of `reminder_sent` is written in the same transaction as the event's
outbox row, so a restart, a second replica or a slow loop never sends one twice; a session that
moves forgets its reminders (`record`) and is reminded at its new time."""

from datetime import datetime, timedelta

from contracts.sessions import SessionReminderDue, SessionStatus
from messaging.outbox import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import and_, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from sessions.adapters.sessions import session_of_row
from sessions.adapters.tables import ReminderSent, SessionRow

BATCH = 200


async def send_due(uows: UnitOfWorkFactory, now: datetime, leads: tuple[timedelta, ...]) -> int:
    """Emits every reminder due at `now` (any tenant); how many."""
    sent = 0
    for lead in leads:
        minutes = int(lead.total_seconds() // 60)
        while True:
            async with uows() as uow:
                seen, emitted = await _batch(uow, now, minutes)
                await uow.commit()
            sent += emitted
            if seen < BATCH:
                break
    return sent


async def _batch(uow: UnitOfWork, now: datetime, minutes: int) -> tuple[int, int]:
    already = exists().where(
        and_(
            col(ReminderSent.session_id) == col(SessionRow.id),
            col(ReminderSent.lead_minutes) == minutes,
        )
    )
    rows = await uow.session.exec(
        select(SessionRow)
        .where(
            col(SessionRow.status) == SessionStatus.SCHEDULED.value,
            col(SessionRow.starts_at) > now,
            col(SessionRow.starts_at) <= now + timedelta(minutes=minutes),
            ~already,
        )
        .order_by(col(SessionRow.starts_at), col(SessionRow.id))
        .limit(BATCH)
    )
    found = rows.all()
    dialect = (await uow.session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    count = 0
    for row in found:
        claimed = await uow.session.execute(
            insert(ReminderSent)
            .values(session_id=row.id, lead_minutes=minutes, tenant_id=row.tenant_id, sent_at=now)
            .on_conflict_do_nothing(index_elements=["session_id", "lead_minutes"])
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another replica sent it
        event = SessionReminderDue(session=session_of_row(row).snapshot(), lead_minutes=minutes)
        await uow.emit(event, tenant_id=row.tenant_id)
        count += 1
    return len(found), count
