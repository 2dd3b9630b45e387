"""A session's use cases through the API: book one for a match (at a given time, checked, or
at the next slot that fits everyone), move one or the rest of its series, cancel, record it
held or missed. Each asks the lifecycle (`domain.lifecycle`) what changes and `record`s it; a
time is checked against everyone's hours, calendars and the notice before anything is written,
and a refusal leaves nothing half done."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.sessions import AttendanceStatus, SessionKind, SessionStatus
from messaging.outbox import UnitOfWork
from runtime.refusals import invalid, not_found

from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.domain import lifecycle
from sessions.domain.intervals import Interval
from sessions.domain.lifecycle import Action, Actor, Session
from sessions.domain.slots import NoSlot, Rhythm, SlotRules, check_slot, find_slot
from sessions.service_layer.availability import attendees_of, zone_of
from sessions.service_layer.planning import new_session_id, participants
from sessions.service_layer.record import record, record_new
from sessions.service_layer.rules import PlanSettings

SEARCH = timedelta(days=14)  # how far ahead "the next slot that fits" looks
MAX_MINUTES = 8 * 60


class Scope(StrEnum):
    THIS = "THIS"
    FOLLOWING = "FOLLOWING"  # this session and every later one of its series still ahead


@dataclass(frozen=True)
class Booking:
    match_id: str
    starts_at: datetime | None
    duration_minutes: int | None


async def session_or_404(uow: UnitOfWork, tenant_id: str, session_id: str) -> Session:
    found = await Sessions(uow.session, tenant_id).get(session_id, lock=True)
    if found is None:
        raise not_found("session")
    return found


async def book(
    uow: UnitOfWork,
    tenant_id: str,
    booking: Booking,
    actor: Actor,
    now: datetime,
    rules: PlanSettings,
) -> Session:
    """One more session for a match, beyond its plan."""
    match = await Replicas(uow.session, tenant_id).match(booking.match_id)
    if match is None:
        raise not_found("match", "matchId")
    people = participants(match)
    if actor.person_id is not None and actor.person_id not in people:
        raise invalid("actorId", "this person is not part of the match")
    program = await Replicas(uow.session, tenant_id).program(match.program_id)
    minutes = booking.duration_minutes or (
        program.curriculum.session_minutes if program is not None else 60
    )
    if not 1 <= minutes <= MAX_MINUTES:
        raise invalid("durationMinutes", f"must be from 1 to {MAX_MINUTES} minutes")
    duration = timedelta(minutes=minutes)
    series = (await Sessions(uow.session, tenant_id).of_matches([match.id]))[match.id]
    sequence = max((s.sequence for s in series), default=-1) + 1
    if booking.starts_at is not None:
        starts_at = booking.starts_at
        _ahead(starts_at, now)
        await _check(uow, tenant_id, people, starts_at, duration, now, rules, "startsAt")
    else:
        starts_at = await _next_slot(uow, tenant_id, people, duration, now, rules)
    modules = program.curriculum.modules if program is not None else []
    module = modules[sequence] if sequence < len(modules) else None
    session = Session(
        id=new_session_id(),
        program_id=match.program_id,
        kind=SessionKind.ONE_ON_ONE,
        match_ids=(match.id,),
        group_id=None,
        host_id=people[0],
        attendee_ids=tuple(people),
        starts_at=starts_at,
        ends_at=starts_at + duration,
        status=SessionStatus.SCHEDULED,
        sequence=sequence,
        module_index=sequence if module is not None else None,
        module_title=module.title if module is not None else None,
        final=False,
        unscheduled_reason=None,
        capacity=None,
        revision=1,
        held_at=None,
        cancelled_reason=None,
        cancelled_by=None,
        updated_at=now,
    )
    return await record_new(uow, tenant_id, session, now)


async def reschedule(
    uow: UnitOfWork,
    tenant_id: str,
    session_id: str,
    starts_at: datetime,
    scope: Scope,
    actor: Actor,
    now: datetime,
    rules: PlanSettings,
) -> Session:
    """Moves the session (THIS), or it and the rest of its series by the same shift
    (FOLLOWING); every moved session is checked, and one that does not fit refuses them all."""
    session = await session_or_404(uow, tenant_id, session_id)
    _ahead(starts_at, now)
    moving = [session]
    if scope is Scope.FOLLOWING and session.match_ids:
        series = await Sessions(uow.session, tenant_id).ahead(now, match_id=session.match_ids[0])
        moving += [s for s in series if s.sequence > session.sequence and s.id != session.id]
    shift = starts_at - session.starts_at
    moved_ids = [s.id for s in moving]
    outcomes = []
    for s in moving:
        new_start = starts_at if s.id == session.id else s.starts_at + shift
        field = "startsAt" if s.id == session.id else f"following.{s.sequence}"
        action = Action.SCHEDULE if s.status is SessionStatus.UNSCHEDULED else Action.RESCHEDULE
        outcome = lifecycle.schedule(s, actor, new_start, now, action=action)
        if outcome.changed:
            await _check(
                uow, tenant_id, s.attendee_ids, new_start, s.duration, now, rules, field, moved_ids
            )
        outcomes.append(outcome)
    for outcome in outcomes:
        await record(uow, tenant_id, outcome)
    return outcomes[0].session


async def cancel(
    uow: UnitOfWork,
    tenant_id: str,
    session_id: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> Session:
    session = await session_or_404(uow, tenant_id, session_id)
    return await record(uow, tenant_id, lifecycle.cancel(session, actor, reason, now))


async def complete(
    uow: UnitOfWork,
    tenant_id: str,
    session_id: str,
    actor: Actor,
    now: datetime,
    held_at: datetime | None,
    attendance: dict[str, AttendanceStatus] | None,
) -> Session:
    session = await session_or_404(uow, tenant_id, session_id)
    outcome = lifecycle.complete(session, actor, now, held_at, attendance)
    return await record(uow, tenant_id, outcome)


async def no_show(
    uow: UnitOfWork,
    tenant_id: str,
    session_id: str,
    absent_ids: list[str],
    actor: Actor,
    now: datetime,
) -> Session:
    session = await session_or_404(uow, tenant_id, session_id)
    return await record(uow, tenant_id, lifecycle.no_show(session, actor, absent_ids, now))


def _ahead(starts_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None:
        raise invalid("startsAt", "give the time with its offset (e.g. 2027-03-02T10:00:00Z)")
    if starts_at <= now:
        raise invalid("startsAt", f"{starts_at.isoformat()} has passed; pick a time ahead")


async def _check(
    uow: UnitOfWork,
    tenant_id: str,
    people: tuple[str, ...] | list[str],
    starts_at: datetime,
    duration: timedelta,
    now: datetime,
    rules: PlanSettings,
    field: str,
    moving: list[str] | None = None,
) -> None:
    """Refuses (naming `field`) a time outside someone's hours, busy, or within the notice."""
    window = Interval(starts_at, starts_at + duration)
    gathered = await attendees_of(uow.session, tenant_id, list(people), window, moving or ())
    if gathered.unknown:
        raise invalid(field, f"sessions does not know {', '.join(gathered.unknown)} yet")
    why = check_slot(gathered.attendees, starts_at, SlotRules(duration, now, rules.notice))
    if why is not None:
        raise invalid(field, why.message)


async def _next_slot(
    uow: UnitOfWork,
    tenant_id: str,
    people: list[str],
    duration: timedelta,
    now: datetime,
    rules: PlanSettings,
) -> datetime:
    earliest = now + rules.notice
    window = Interval(earliest, earliest + SEARCH)
    gathered = await attendees_of(
        uow.session, tenant_id, people, Interval(earliest, window.end + duration)
    )
    if gathered.unknown:
        raise invalid("matchId", f"sessions does not know {', '.join(gathered.unknown)} yet")
    zone = await zone_of(uow.session, tenant_id, people[0])
    found = find_slot(
        gathered.attendees, Rhythm(zone, earliest), SlotRules(duration, now, rules.notice), window
    )
    if isinstance(found, NoSlot):
        raise invalid(
            "startsAt", f"no time in the next {SEARCH.days} days fits everyone: {found.message}"
        )
    return found.start
