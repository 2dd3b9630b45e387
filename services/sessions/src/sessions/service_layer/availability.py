"""Who can meet when: each attendee's zone and working hours, and what their calendars say.

Busy times are Cairn's own booked sessions (`booked_busy`: overbooking a person inside Cairn
is impossible because every slot is searched against them) together with what their
connected calendars (CalDAV, Google, Microsoft) answer through `calendar_sync.busy_for`; a
calendar that cannot be read makes the person `Unknown`, so no slot is offered on a guess."""

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from runtime.refusals import Refused
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.people import People
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.domain.intervals import Interval
from sessions.domain.slots import Attendee, Busy, Unknown
from sessions.domain.zones import zone_named
from sessions.service_layer.calendar_sync import busy_for


async def booked_busy(
    db: AsyncSession,
    tenant_id: str,
    person_ids: Sequence[str],
    window: Interval,
    exclude: Sequence[str] = (),
) -> dict[str, Busy]:
    """Each person's booked sessions overlapping `window` as busy time (the sessions in
    `exclude`, being moved, left out)."""
    booked = await Sessions(db, tenant_id).booked(person_ids, window, exclude)
    return {p: Busy(tuple(intervals)) for p, intervals in booked.items()}


async def availability(
    db: AsyncSession,
    tenant_id: str,
    person_ids: Sequence[str],
    window: Interval,
    exclude: Sequence[str] = (),
) -> dict[str, Busy | Unknown]:
    booked = await booked_busy(db, tenant_id, person_ids, window, exclude)
    calendars = await busy_for(db, tenant_id, person_ids, window)
    out: dict[str, Busy | Unknown] = {}
    for person_id in person_ids:
        theirs = calendars.get(person_id, Busy())
        own = booked.get(person_id, Busy())
        out[person_id] = (
            theirs if isinstance(theirs, Unknown) else Busy(own.intervals + theirs.intervals)
        )
    return out


@dataclass(frozen=True)
class Gathered:
    attendees: list[Attendee]
    unknown: list[str]  # people sessions has not heard of (yet): no zone, no hours


async def attendees_of(
    db: AsyncSession,
    tenant_id: str,
    person_ids: Sequence[str],
    window: Interval,
    exclude: Sequence[str] = (),
) -> Gathered:
    """Everyone's zone (their own setting, else HR's), hours and availability over `window`."""
    people = await Replicas(db, tenant_id).people(person_ids)
    hours = await People(db, tenant_id).hours(person_ids)
    free_busy = await availability(db, tenant_id, person_ids, window, exclude)
    out: list[Attendee] = []
    unknown: list[str] = []
    for person_id in person_ids:
        person = people.get(person_id)
        own = hours[person_id]
        if person is None:
            unknown.append(person_id)
            continue
        out.append(
            Attendee(
                person_id,
                _zone(own.time_zone or person.time_zone),
                free_busy.get(person_id, Busy()),
                own.hours,
            )
        )
    return Gathered(out, unknown)


async def zone_of(db: AsyncSession, tenant_id: str, person_id: str) -> ZoneInfo:
    """The zone a person's sessions are shown in: their own setting, else HR's (UTC for a
    person sessions has not heard of yet)."""
    person = (await Replicas(db, tenant_id).people([person_id])).get(person_id)
    own = (await People(db, tenant_id).hours([person_id]))[person_id]
    name = own.time_zone or (person.time_zone if person is not None else "UTC")
    return _zone(name)


def _zone(name: str) -> ZoneInfo:
    """A zone HR sent that is not in the tz database is read as UTC rather than stopping
    every plan of that person; their own setting is checked when it is made."""
    try:
        return zone_named(name)
    except Refused:
        return ZoneInfo("UTC")
