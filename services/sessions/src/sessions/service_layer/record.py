"""Saving what a session's action did, with everything that goes with it in the same
transaction: its event in the outbox, reminders forgotten when it moved (so they go out at the
new time), and the attendees' calendars told."""

from datetime import datetime

from contracts.sessions import SessionScheduled
from messaging.outbox import UnitOfWork

from sessions.adapters.sessions import Sessions
from sessions.domain.lifecycle import Outcome, Session


async def record(uow: UnitOfWork, tenant_id: str, outcome: Outcome) -> Session:
    if not outcome.changed:
        return outcome.session
    sessions = Sessions(uow.session, tenant_id)
    await sessions.save(outcome)
    await sessions.forget_reminders(outcome.session.id)
    assert outcome.event is not None
    await uow.emit(outcome.event, tenant_id=tenant_id)
    return outcome.session


async def record_new(uow: UnitOfWork, tenant_id: str, session: Session, now: datetime) -> Session:
    """A session placed (or kept UNSCHEDULED with its reason) for the first time."""
    await Sessions(uow.session, tenant_id).add(session, now)
    await uow.emit(SessionScheduled(session=session.snapshot()), tenant_id=tenant_id)
    return session
