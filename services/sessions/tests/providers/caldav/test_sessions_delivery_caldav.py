"""Sessions delivered to a person's CalDAV calendar by the worker, against the real Radicale:
pushed, moved (a higher SEQUENCE), cancelled (STATUS:CANCELLED), each SYNCED; a calendar the
server refuses leaves the push FAILED with the error, and a later retry succeeds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import caldav
import httpx
import pytest_asyncio
from contracts.sessions import CalendarSync
from icalendar import Calendar
from messaging.outbox import UnitOfWorkFactory, utcnow
from sessions.adapters.calendars.model import ProviderName
from sessions.service_layer.calendar_accounts import CalendarAccess
from sessions.service_layer.calendar_delivery import deliver_due
from sessions.service_layer.calendar_sync import enqueue_pushes, sync_states

from services.sessions.tests.calendar_world import (
    add_people,
    calendar_access,
    connect,
    new_tenant,
    session,
)

PEOPLE = {"mentor": "ada@example.com", "mentee": "lin@example.com"}


@pytest_asyncio.fixture
async def access() -> AsyncIterator[CalendarAccess]:
    made = calendar_access()
    yield made
    await made.close()


async def _stored(url: str) -> list[Any]:
    """The events as an independent client (the `caldav` library) reads them."""

    def read() -> list[Any]:
        with caldav.DAVClient(url=url) as client:
            return [Calendar.from_ical(e.data).events[0] for e in client.calendar(url=url).events()]

    return await asyncio.to_thread(read)


async def _push(uow: UnitOfWorkFactory, tenant: str, snapshot: Any, cancel: bool = False) -> None:
    async with uow() as work:
        await enqueue_pushes(work.session, tenant, snapshot, ["mentor", "mentee"], cancel=cancel)
        await work.commit()


async def _state(uow: UnitOfWorkFactory, tenant: str, session_id: str) -> list[Any]:
    async with uow() as work:
        return (await sync_states(work.session, tenant, [session_id]))[session_id]


async def test_a_session_is_pushed_moved_and_cancelled_in_the_calendar(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    collection: str,
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    await connect(uow, access, tenant, "mentee", ProviderName.CALDAV, collection, {})
    booked = session()

    await _push(uow, tenant, booked)
    assert [r.state for r in await _state(uow, tenant, booked.id)] == [CalendarSync.PENDING]
    assert await deliver_due(uow, access) == 1
    (event,) = await _stored(collection)
    assert str(event["status"]) == "CONFIRMED" and event["dtstart"].dt == booked.starts_at
    assert {str(a).removeprefix("mailto:") for a in event.get("attendee")} == set(PEOPLE.values())
    first_sequence = int(event.get("sequence", 0))
    (row,) = await _state(uow, tenant, booked.id)
    assert (row.person_id, row.provider, row.state, row.error) == (
        "mentee",
        "CALDAV",
        CalendarSync.SYNCED,
        None,
    )

    moved = session(booked.id, revision=2, hour=14)
    await _push(uow, tenant, moved)
    assert await deliver_due(uow, access) == 1
    (event,) = await _stored(collection)  # the same event, not a second one
    assert event["dtstart"].dt == moved.starts_at
    assert int(event["sequence"]) > first_sequence
    moved_sequence = int(event["sequence"])

    await _push(uow, tenant, session(booked.id, revision=3, hour=14), cancel=True)
    assert await deliver_due(uow, access) == 1
    (event,) = await _stored(collection)
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) > moved_sequence
    assert [r.state for r in await _state(uow, tenant, booked.id)] == [CalendarSync.SYNCED]
    assert await deliver_due(uow, access) == 0  # nothing left owed


async def test_an_older_change_arriving_late_does_not_undo_a_newer_one(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    collection: str,
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    await connect(uow, access, tenant, "mentor", ProviderName.CALDAV, collection, {})
    booked = session(revision=5, hour=15)
    await _push(uow, tenant, booked)
    await _push(uow, tenant, session(booked.id, revision=4, hour=9))
    await deliver_due(uow, access)
    (event,) = await _stored(collection)
    assert event["dtstart"].dt == booked.starts_at


async def test_a_refused_calendar_leaves_the_push_failed_and_a_later_retry_succeeds(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    radicale: str,
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    owner = f"{radicale}/late-{uuid.uuid4().hex[:8]}/"
    calendar = f"{owner}sessions/"  # not made yet: the server refuses the event
    await connect(uow, access, tenant, "mentee", ProviderName.CALDAV, calendar, {})
    booked = session()
    await _push(uow, tenant, booked)

    assert await deliver_due(uow, access) == 1
    (row,) = await _state(uow, tenant, booked.id)
    assert row.state is CalendarSync.FAILED
    assert row.error is not None and row.error.startswith("CALDAV: PUT") and "answered" in row.error
    assert await deliver_due(uow, access) == 0  # backing off: not retried at once

    async with httpx.AsyncClient() as http:
        assert (await http.request("MKCOL", owner)).status_code == 201
        assert (await http.request("MKCALENDAR", calendar)).status_code == 201
    later = utcnow() + timedelta(minutes=1)
    assert await deliver_due(uow, access, now=lambda: later) == 1
    (row,) = await _state(uow, tenant, booked.id)
    assert (row.state, row.error) == (CalendarSync.SYNCED, None)
    (event,) = await _stored(calendar)
    assert event["dtstart"].dt == booked.starts_at
