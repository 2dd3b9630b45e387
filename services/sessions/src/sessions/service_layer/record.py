"""Saving what a session's action did, with everything that goes with it in the same
transaction: its event in the outbox, reminders forgotten when it moved (so they go out at the
new time), and a push to each attendee's connected calendar (`calendar_sync.enqueue_pushes`:
CANCELLED and UNSCHEDULED sessions are taken out, the others written as they now stand)."""

from datetime import datetime

from contracts.sessions import SessionScheduled, SessionStatus
from messaging.outbox import UnitOfWork

from sessions.adapters.sessions import Sessions
from sessions.domain.lifecycle import Outcome, Session
from sessions.service_layer.calendar_sync import enqueue_pushes

# A session without a time is in no calendar: one that loses its time is taken out.
OUT_OF_CALENDARS = frozenset({SessionStatus.CANCELLED, SessionStatus.UNSCHEDULED})


async def record(uow: UnitOfWork, tenant_id: str, outcome: Outcome) -> Session:
    if not outcome.changed:
        return outcome.session
    sessions = Sessions(uow.session, tenant_id)
    await sessions.save(outcome)
    await sessions.forget_reminders(outcome.session.id)
    assert outcome.event is not None
    await uow.emit(outcome.event, tenant_id=tenant_id)
    await _push(uow, tenant_id, outcome.session)
    return outcome.session


async def record_new(uow: UnitOfWork, tenant_id: str, session: Session, now: datetime) -> Session:
    """A session placed (or kept UNSCHEDULED with its reason) for the first time."""
    await Sessions(uow.session, tenant_id).add(session, now)
    await uow.emit(SessionScheduled(session=session.snapshot()), tenant_id=tenant_id)
    await _push(uow, tenant_id, session)
    return session


async def _push(uow: UnitOfWork, tenant_id: str, session: Session) -> None:
    """Every attendee's connected calendar told, in this transaction (delivered later)."""
    await enqueue_pushes(
        uow.session,
        tenant_id,
        session.snapshot(),
        list(session.attendee_ids),
        cancel=session.status in OUT_OF_CALENDARS,
    )
