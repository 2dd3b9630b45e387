"""Office hours: a leader publishes an OFFICE_HOURS session with seats; the program's mentees
RSVP until it is full, then wait in a first-in-first-out line that moves up when someone
with a seat cancels.

Overbooking is impossible by construction. A seat is taken by ONE conditional write
(`seats_left = seats_left - 1 WHERE seats_left > 0`) that a CHECK keeps at zero or above; a
person holds one RSVP per session (unique). Every writer takes the session's seat row first
(the conditional write itself, or `FOR UPDATE` on PostgreSQL; SQLite runs one writer at a
time), so a seat freed by a cancel is never missed by a mentee joining the line at the same
moment, and RSVP ids grow in the order writers got the row: the line's order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.internal.session_calendars import RsvpView
from contracts.matches import MatchStatus
from contracts.office_hours import RsvpStatus, SessionRsvpChanged
from contracts.problems import Code
from contracts.sessions import SessionKind, SessionStatus
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused, invalid, not_found
from sqlalchemy import Text, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from sessions.adapters.office_hours_tables import office_hours_rsvp as rsvps
from sessions.adapters.office_hours_tables import office_hours_seats as seats
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.adapters.tables import KnownMatch
from sessions.domain.lifecycle import Session
from sessions.service_layer.calendar_sync import push_to
from sessions.service_layer.planning import new_session_id
from sessions.service_layer.record import record_new

MAX_TITLE = 200
# Mentees of the program: in one of its matches that was accepted (and maybe held or done).
_IN_PROGRAM = (MatchStatus.ACCEPTED.value, MatchStatus.ACTIVE.value, MatchStatus.COMPLETED.value)


@dataclass(frozen=True)
class Publication:
    program_id: str
    host_id: str
    starts_at: datetime
    duration: timedelta
    capacity: int
    title: str | None = None


async def publish(uow: UnitOfWork, tenant_id: str, asked: Publication, now: datetime) -> Session:
    """A new SCHEDULED office-hours session with all its seats free (session.scheduled in the
    outbox, the host's calendars asked to show it)."""
    if asked.starts_at <= now:
        raise invalid("startsAt", f"{asked.starts_at.isoformat()} has passed; pick a time ahead")
    title = (asked.title or "").strip() or None
    if title is not None and len(title) > MAX_TITLE:
        raise invalid("title", f"at most {MAX_TITLE} characters")
    replicas = Replicas(uow.session, tenant_id)
    if await replicas.program(asked.program_id) is None:
        raise not_found("program", "programId")
    if not await replicas.people([asked.host_id]):
        raise not_found("person", "hostId")
    session = Session(
        id=new_session_id(),
        program_id=asked.program_id,
        kind=SessionKind.OFFICE_HOURS,
        match_ids=(),
        group_id=None,
        host_id=asked.host_id,
        attendee_ids=(asked.host_id,),
        starts_at=asked.starts_at,
        ends_at=asked.starts_at + asked.duration,
        status=SessionStatus.SCHEDULED,
        sequence=0,
        module_index=None,
        module_title=title,
        final=False,
        unscheduled_reason=None,
        capacity=asked.capacity,
        revision=1,
        held_at=None,
        cancelled_reason=None,
        cancelled_by=None,
        updated_at=now,
    )
    await record_new(uow, tenant_id, session, now)
    await uow.session.execute(
        insert(seats).values(
            tenant_id=tenant_id,
            session_id=session.id,
            program_id=asked.program_id,
            capacity=asked.capacity,
            seats_left=asked.capacity,
        )
    )
    return session  # record_new told the host's calendars


async def _office_hours(uow: UnitOfWork, tenant_id: str, session_id: str) -> Session:
    found = await Sessions(uow.session, tenant_id).get(session_id)
    if found is None or found.kind is not SessionKind.OFFICE_HOURS:
        raise not_found("office hours")
    return found


async def rsvp(
    uow: UnitOfWork, tenant_id: str, session_id: str, person_id: str, now: datetime
) -> RsvpView:
    """A seat if one is free, else the end of the line. Asking again answers where the
    person stands."""
    session = await _office_hours(uow, tenant_id, session_id)
    if session.status is not SessionStatus.SCHEDULED or session.starts_at <= now:
        state = "started" if session.status is SessionStatus.SCHEDULED else session.status.lower()
        raise Refused(Code.NOT_ALLOWED_IN_STATE, None, f"these office hours are {state}")
    if person_id == session.host_id:
        raise invalid("personId", "the host holds these office hours: no RSVP needed")
    if not await _mentee_of(uow, tenant_id, session.program_id, person_id):
        raise Refused(
            Code.INELIGIBLE, "personId", "only the program's mentees can RSVP to its office hours"
        )
    key = (rsvps.c.tenant_id == tenant_id) & (rsvps.c.session_id == session_id)
    mine = key & (rsvps.c.person_id == person_id)
    status = RsvpStatus.WAITLISTED
    try:
        async with uow.session.begin_nested():  # a double RSVP racing this one undoes both
            if await _take_seat(uow, tenant_id, session_id):
                status = RsvpStatus.CONFIRMED
            await uow.session.execute(
                insert(rsvps).values(
                    tenant_id=tenant_id,
                    session_id=session_id,
                    person_id=person_id,
                    status=status.value,
                    rsvped_at=now,
                )
            )
    except IntegrityError:
        already = await _standing(uow, mine, key)
        if already is None:  # not the unique RSVP: something else is wrong
            raise
        return already
    position = None
    if status is RsvpStatus.CONFIRMED:
        await push_to(uow.session, tenant_id, session.snapshot(), [person_id], cancel=False)
    else:  # the line's length now, this RSVP included: nobody else wrote meanwhile
        position = await _line_length(uow, key)
    await _announce(uow, tenant_id, session, person_id, status, position)
    return RsvpView(person_id=person_id, status=status, position=position)


async def _line_length(uow: UnitOfWork, key: ColumnElement[bool]) -> int:
    counted = await uow.session.execute(
        select(func.count())
        .select_from(rsvps)
        .where(key, rsvps.c.status == RsvpStatus.WAITLISTED.value)
    )
    return int(counted.scalar_one())


async def _announce(
    uow: UnitOfWork,
    tenant_id: str,
    session: Session,
    person_id: str,
    status: RsvpStatus | None,
    position: int | None = None,
    moved_up: bool = False,
) -> None:
    event = SessionRsvpChanged(
        session_id=session.id,
        program_id=session.program_id,
        person_id=person_id,
        status=status,
        position=position,
        moved_up=moved_up,
    )
    await uow.emit(event, tenant_id=tenant_id)


async def _take_seat(uow: UnitOfWork, tenant_id: str, session_id: str) -> bool:
    """The one conditional write that takes a seat; when it finds none, the seat row is
    locked and the write tried once more, so a cancel committing meanwhile is seen."""
    row = (seats.c.tenant_id == tenant_id) & (seats.c.session_id == session_id)
    take = (
        update(seats).where(row, seats.c.seats_left > 0).values(seats_left=seats.c.seats_left - 1)
    )
    if (await uow.session.execute(take)).rowcount == 1:  # type: ignore[attr-defined]
        return True
    await uow.session.execute(select(seats.c.seats_left).where(row).with_for_update())
    return bool((await uow.session.execute(take)).rowcount == 1)  # type: ignore[attr-defined]


async def _standing(
    uow: UnitOfWork, mine: ColumnElement[bool], key: ColumnElement[bool]
) -> RsvpView | None:
    found = (
        await uow.session.execute(select(rsvps.c.id, rsvps.c.person_id, rsvps.c.status).where(mine))
    ).first()
    if found is None:
        return None
    if found.status == RsvpStatus.CONFIRMED.value:
        return RsvpView(person_id=found.person_id, status=RsvpStatus.CONFIRMED, position=None)
    ahead = await uow.session.execute(
        select(func.count())
        .select_from(rsvps)
        .where(key, rsvps.c.status == RsvpStatus.WAITLISTED.value, rsvps.c.id <= found.id)
    )
    return RsvpView(
        person_id=found.person_id, status=RsvpStatus.WAITLISTED, position=ahead.scalar_one()
    )


async def cancel_rsvp(
    uow: UnitOfWork, tenant_id: str, session_id: str, person_id: str
) -> str | None:
    """The person's RSVP taken back; a seat they held goes to the first in line (answered),
    or is free again. Their calendars drop the session."""
    session = await _office_hours(uow, tenant_id, session_id)
    row = (seats.c.tenant_id == tenant_id) & (seats.c.session_id == session_id)
    # The seat row first, as every writer: a mentee joining the line meanwhile is seen.
    await uow.session.execute(select(seats.c.seats_left).where(row).with_for_update())
    key = (rsvps.c.tenant_id == tenant_id) & (rsvps.c.session_id == session_id)
    held = (
        await uow.session.execute(
            select(rsvps.c.id, rsvps.c.status).where(key, rsvps.c.person_id == person_id)
        )
    ).first()
    if held is None:
        raise not_found("RSVP")
    await uow.session.execute(delete(rsvps).where(rsvps.c.id == held.id))
    promoted = None
    if held.status == RsvpStatus.CONFIRMED.value:
        first = (
            await uow.session.execute(
                select(rsvps.c.id, rsvps.c.person_id)
                .where(key, rsvps.c.status == RsvpStatus.WAITLISTED.value)
                .order_by(rsvps.c.id)
                .limit(1)
            )
        ).first()
        if first is None:
            await uow.session.execute(
                update(seats).where(row).values(seats_left=seats.c.seats_left + 1)
            )
        else:  # the seat passes straight on: it is never free for a moment
            await uow.session.execute(
                update(rsvps)
                .where(rsvps.c.id == first.id)
                .values(status=RsvpStatus.CONFIRMED.value)
            )
            promoted = str(first.person_id)
        snapshot = session.snapshot()
        await push_to(uow.session, tenant_id, snapshot, [person_id], cancel=True)
        if promoted is not None:
            await push_to(uow.session, tenant_id, snapshot, [promoted], cancel=False)
    await _announce(uow, tenant_id, session, person_id, None)
    if promoted is not None:
        await _announce(uow, tenant_id, session, promoted, RsvpStatus.CONFIRMED, moved_up=True)
    return promoted


async def rsvps_of(uow: UnitOfWork, tenant_id: str, session_id: str) -> list[RsvpView]:
    """Seats first, then the line in order (positions from 1)."""
    await _office_hours(uow, tenant_id, session_id)
    rows = await uow.session.execute(
        select(rsvps.c.person_id, rsvps.c.status)
        .where(rsvps.c.tenant_id == tenant_id, rsvps.c.session_id == session_id)
        .order_by(rsvps.c.id)
    )
    confirmed: list[RsvpView] = []
    waiting: list[RsvpView] = []
    for r in rows:
        if r.status == RsvpStatus.CONFIRMED.value:
            confirmed.append(RsvpView(person_id=r.person_id, status=RsvpStatus.CONFIRMED))
        else:
            waiting.append(
                RsvpView(
                    person_id=r.person_id, status=RsvpStatus.WAITLISTED, position=len(waiting) + 1
                )
            )
    return confirmed + waiting


async def _mentee_of(uow: UnitOfWork, tenant_id: str, program_id: str, person_id: str) -> bool:
    rows = await uow.session.execute(
        select(col(KnownMatch.snapshot)).where(
            col(KnownMatch.tenant_id) == tenant_id,
            col(KnownMatch.program_id) == program_id,
            col(KnownMatch.status).in_(_IN_PROGRAM),
            # Only the person's matches are read (RSVPs hold the write lock on SQLite): the
            # text narrows, the parsed snapshot decides.
            cast(col(KnownMatch.snapshot), Text).contains(json.dumps(person_id), autoescape=True),
        )
    )
    return any(person_id in (s.get("menteeIds") or []) for (s,) in rows)
