"""Keeping a person's sessions right when their time zone or working hours change (or when
sessions first hears of them): each session still ahead is checked where it is; one that no
longer fits moves to the best slot near its time (the same rules as planning), and one with no
slot left waits UNSCHEDULED with the reason. Each change is announced as session.rescheduled."""

from datetime import datetime, timedelta

from contracts.sessions import SessionKind, SessionStatus
from messaging.outbox import UnitOfWork

from sessions.adapters.sessions import Sessions
from sessions.domain import lifecycle
from sessions.domain.intervals import Interval
from sessions.domain.lifecycle import SYSTEM, Action, Session
from sessions.domain.planning import DEFAULT_MAX_SHIFT
from sessions.domain.slots import NoSlot, Rhythm, SlotRules, check_slot, find_slot
from sessions.service_layer.availability import attendees_of, zone_of
from sessions.service_layer.record import record
from sessions.service_layer.rules import PlanSettings


async def recheck_person(
    uow: UnitOfWork, tenant_id: str, person_id: str, now: datetime, rules: PlanSettings
) -> list[Session]:
    """The sessions that changed, in time order."""
    changed = []
    for session in await Sessions(uow.session, tenant_id).ahead(now, person_id=person_id):
        if session.kind is not SessionKind.ONE_ON_ONE:
            continue  # a published session (office hours) keeps its time: its host moves it
        outcome = await _recheck(uow, tenant_id, session, now, rules)
        if outcome is not None and outcome.changed:
            changed.append(await record(uow, tenant_id, outcome))
    return changed


async def _recheck(
    uow: UnitOfWork, tenant_id: str, session: Session, now: datetime, rules: PlanSettings
) -> lifecycle.Outcome | None:
    earliest = now + rules.notice
    low = max(session.starts_at - DEFAULT_MAX_SHIFT, earliest)
    high = max(session.starts_at + DEFAULT_MAX_SHIFT, low + timedelta(minutes=15))
    gathered = await attendees_of(
        uow.session,
        tenant_id,
        list(session.attendee_ids),
        Interval(min(low, session.starts_at), high + session.duration),
        exclude=[session.id],
    )
    if gathered.unknown:
        return None
    # Where it is, only hours and calendars count: a session already inside the notice is
    # not moved for being close.
    here = SlotRules(session.duration, now)
    if (
        session.status is SessionStatus.SCHEDULED
        and check_slot(gathered.attendees, session.starts_at, here) is None
    ):
        return None
    zone = await zone_of(uow.session, tenant_id, session.host_id)
    found = find_slot(
        gathered.attendees,
        Rhythm(zone, session.starts_at),
        SlotRules(session.duration, now, rules.notice),
        Interval(low, high),
    )
    if isinstance(found, NoSlot):
        if session.status is SessionStatus.SCHEDULED:
            return lifecycle.unschedule(session, SYSTEM, found.message, now)
        return None
    action = Action.SCHEDULE if session.status is SessionStatus.UNSCHEDULED else Action.RESCHEDULE
    return lifecycle.schedule(session, SYSTEM, found.start, now, action=action)
