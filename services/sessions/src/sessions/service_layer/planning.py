"""Planning a match's whole series when it is accepted: the program's cadence expanded from
the later of its start and the acceptance, each occurrence placed at the best slot inside
everyone's working hours and free in their calendars (`domain.planning`), every session given
its curriculum module. An occurrence with no slot is kept UNSCHEDULED with the reason.

The series keeps the host's clock: the cadence is expanded in the host's zone, at the local
time the first occurrence found (tried first at 10:00), so later sessions keep that weekday
and time when they can. Planning happens once per match, however often its acceptance
arrives (`Replicas.claim_planning`)."""

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts.matches import MatchSnapshot
from contracts.programs import CurriculumSnapshot, ProgramSnapshot
from contracts.sessions import SessionKind, SessionStatus
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused

from sessions.adapters.replicas import Replicas
from sessions.domain.cadence import Cadence, Occurrence, expand_cadence
from sessions.domain.intervals import Interval
from sessions.domain.lifecycle import Session
from sessions.domain.planning import DEFAULT_MAX_SHIFT, PlannedOccurrence, plan_series
from sessions.domain.slots import NoSlot, SlotFound, SlotRules
from sessions.service_layer.availability import attendees_of, zone_of
from sessions.service_layer.record import record_new
from sessions.service_layer.rules import PlanSettings

log = logging.getLogger(__name__)

FIRST_TRY = time(10)


def new_session_id() -> str:
    return f"se_{uuid.uuid4().hex}"


def participants(match: MatchSnapshot) -> list[str]:
    """The host (the mentor; the first peer) first, then the others."""
    return list(dict.fromkeys([match.mentor_id, *match.mentee_ids]))


async def plan_match(
    uow: UnitOfWork, tenant_id: str, match: MatchSnapshot, now: datetime, rules: PlanSettings
) -> list[Session]:
    """The match's series, planned and announced (`session.scheduled` each); nothing if it
    was planned before or its program is not known."""
    replicas = Replicas(uow.session, tenant_id)
    program = await replicas.program(match.program_id)
    if program is None:
        # The acceptance overtook the program (another topic): planned when it arrives.
        log.info("match %s waits for program %s", match.id, match.program_id)
        return []
    if not await replicas.claim_planning(match.id, now):
        return []
    try:
        cadence = Cadence.parse(program.curriculum.cadence)
    except Refused as refused:
        log.warning("program %s has a cadence sessions cannot read: %s", program.id, refused)
        return []
    people = participants(match)
    accepted_at = match.decided_at or now
    duration = timedelta(minutes=program.curriculum.session_minutes)
    slot_rules = SlotRules(duration, now, rules.notice)

    # The host's zone anchors the series' rhythm.
    zone = await zone_of(uow.session, tenant_id, people[0])

    async def plan(local_time: time) -> tuple[list[Occurrence], list[PlannedOccurrence]]:
        occurrences = _occurrences(cadence, program, zone, local_time, accepted_at, rules)
        if not occurrences:
            return [], []
        window = _window(occurrences, duration)
        gathered = await attendees_of(uow.session, tenant_id, people, window)
        if gathered.unknown:
            return occurrences, []
        planned = plan_series(occurrences, gathered.attendees, zone=zone, rules=slot_rules)
        return occurrences, list(planned)

    occurrences, planned = await plan(FIRST_TRY)
    if planned and isinstance(planned[0].result, SlotFound):
        found = planned[0].result.start.astimezone(zone).time().replace(tzinfo=None)
        if found != FIRST_TRY:
            occurrences, planned = await plan(found)
    unknown = await _unknown_people(uow, tenant_id, people)
    created: list[Session] = []
    for occurrence in occurrences:
        placed = planned[occurrence.index].result if planned else None
        session = _session(
            match,
            program.curriculum,
            occurrence,
            duration,
            placed,
            unknown,
            sequence=occurrence.index,
            now=now,
        )
        created.append(await record_new(uow, tenant_id, session, now))
    return created


async def _unknown_people(uow: UnitOfWork, tenant_id: str, people: Sequence[str]) -> list[str]:
    known = await Replicas(uow.session, tenant_id).people(people)
    return [p for p in people if p not in known]


def _occurrences(
    cadence: Cadence,
    program: ProgramSnapshot,
    zone: ZoneInfo,
    local_time: time,
    accepted_at: datetime,
    rules: PlanSettings,
) -> list[Occurrence]:
    plan = expand_cadence(
        cadence,
        zone=zone,
        local_time=local_time,
        accepted_at=accepted_at,
        program_starts_on=program.starts_on,
        program_ends_on=program.ends_on,
        limit=rules.plan_limit,
    )
    return list(plan.occurrences)


def _window(occurrences: Sequence[Occurrence], duration: timedelta) -> Interval:
    """Where any of the occurrences may land: their search windows reach at most
    `DEFAULT_MAX_SHIFT` either way."""
    return Interval(
        occurrences[0].target - DEFAULT_MAX_SHIFT,
        occurrences[-1].target + DEFAULT_MAX_SHIFT + duration,
    )


def _session(
    match: MatchSnapshot,
    curriculum: CurriculumSnapshot,
    occurrence: Occurrence,
    duration: timedelta,
    placed: SlotFound | NoSlot | None,
    unknown: Sequence[str],
    *,
    sequence: int,
    now: datetime,
) -> Session:
    modules = curriculum.modules
    module = modules[sequence] if sequence < len(modules) else None
    if isinstance(placed, SlotFound):
        starts_at, status, reason = placed.start, SessionStatus.SCHEDULED, None
    else:
        starts_at, status = occurrence.target, SessionStatus.UNSCHEDULED
        reason = (
            placed.message
            if isinstance(placed, NoSlot)
            else f"sessions does not know {', '.join(unknown)} yet (no time zone or hours)"
        )
    people = participants(match)
    return Session(
        id=new_session_id(),
        program_id=match.program_id,
        kind=SessionKind.ONE_ON_ONE,
        match_ids=(match.id,),
        group_id=None,
        host_id=people[0],
        attendee_ids=tuple(people),
        starts_at=starts_at,
        ends_at=starts_at + duration,
        status=status,
        sequence=sequence,
        module_index=sequence if module is not None else None,
        module_title=module.title if module is not None else None,
        final=occurrence.final,
        unscheduled_reason=reason,
        capacity=None,
        revision=1,
        held_at=None,
        cancelled_reason=None,
        cancelled_by=None,
        updated_at=now,
    )
