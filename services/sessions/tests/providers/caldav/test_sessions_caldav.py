"""The CalDAV adapter round trip against a real Radicale, through its real HTTP: create with
If-None-Match, retries that make no second copy, updates with a higher SEQUENCE, attendees'
answers, cancellation, free/busy; and what a server answering garbage gets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import httpx
import pytest
from icalendar import Calendar
from sessions.adapters.calendars.dav import CalDavCalendar
from sessions.adapters.calendars.model import (
    EventSpec,
    Participant,
    Partstat,
    ProviderGarbage,
    ProviderRejected,
)
from sessions.domain.intervals import Interval

SINGAPORE = ZoneInfo("Asia/Singapore")
STAMP = datetime(2026, 3, 1, 12, tzinfo=UTC)
WINDOW = Interval(datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC))


def _spec(hour: int = 9, title: str = "Mentoring: Ada & Lin") -> EventSpec:
    start = datetime(2026, 3, 10, hour, tzinfo=SINGAPORE)
    return EventSpec(
        session_id="session-3",
        title=title,
        when=Interval(start, start + timedelta(hours=1)),
        zone=SINGAPORE,
        organizer=Participant("ada@example.com", "Ada"),
        attendees=(Participant("ada@example.com", "Ada"), Participant("lin@example.com", "Lin")),
    )


@pytest.fixture
def dav(http: httpx.AsyncClient) -> CalDavCalendar:
    return CalDavCalendar(http, clock=lambda: STAMP)


async def _stored(url: str) -> Any:
    """The event as an independent client (the `caldav` library) reads it."""

    def read() -> Any:
        with caldav.DAVClient(url=url) as client:
            events = client.calendar(url=url).events()
            return [Calendar.from_ical(e.data).events[0] for e in events]

    return await asyncio.to_thread(read)


async def test_create_update_and_cancel_round_trip(dav: CalDavCalendar, collection: str) -> None:
    handle = await dav.create_event(collection, _spec(), idempotency_key="session-3")
    assert handle.event_id.startswith(collection) and handle.event_id.endswith(".ics")
    assert handle.ical_uid == "session-3@cairn" and handle.etag
    (event,) = await _stored(collection)
    assert str(event["uid"]) == "session-3@cairn"
    assert int(event["sequence"]) == 0 and str(event["status"]) == "CONFIRMED"
    assert event["dtstart"].dt == datetime(2026, 3, 10, 9, tzinfo=SINGAPORE)
    assert event["dtstart"].params["TZID"] == "Asia/Singapore"
    assert str(event["x-cairn-session-id"]) == "session-3"

    moved = await dav.update_event(handle, _spec(hour=14))
    (event,) = await _stored(collection)
    assert str(event["uid"]) == "session-3@cairn"
    assert moved.sequence == int(event["sequence"]) == 1
    assert event["dtstart"].dt.astimezone(UTC) == datetime(2026, 3, 10, 6, tzinfo=UTC)

    await dav.cancel_event(moved, comment="the match ended")
    (event,) = await _stored(collection)  # kept, so clients drop it
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2
    assert str(event["comment"]) == "the match ended"
    await dav.cancel_event(moved)  # already cancelled: nothing more
    (event,) = await _stored(collection)
    assert int(event["sequence"]) == 2


async def test_a_retried_create_makes_no_second_copy(dav: CalDavCalendar, collection: str) -> None:
    first = await dav.create_event(collection, _spec(), idempotency_key="session-3")
    again = await dav.create_event(collection, _spec(), idempotency_key="session-3")
    assert again.event_id == first.event_id and again.ical_uid == first.ical_uid
    assert len(await _stored(collection)) == 1
    assert again.sequence == 1  # brought to the spec over the copy already there


async def test_free_busy_counts_booked_events_and_not_cancelled_ones(
    dav: CalDavCalendar, collection: str, radicale: str
) -> None:
    empty = await dav.free_busy([collection], WINDOW)
    assert empty.busy == {collection: ()}  # the answer's window alone is not busy
    handle = await dav.create_event(collection, _spec(), idempotency_key="a")
    await dav.create_event(collection, _spec(hour=16), idempotency_key="b")
    answer = await dav.free_busy([collection, f"{radicale}/nobody/nothing/"], WINDOW)
    assert answer.busy[collection] == (
        Interval(datetime(2026, 3, 10, 1, tzinfo=UTC), datetime(2026, 3, 10, 2, tzinfo=UTC)),
        Interval(datetime(2026, 3, 10, 8, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC)),
    )
    assert "404" in answer.unknown[f"{radicale}/nobody/nothing/"]
    await dav.cancel_event(handle)
    after = await dav.free_busy([collection], WINDOW)
    assert len(after.busy[collection]) == 1


async def test_attendees_answers_survive_a_retitle_but_not_a_new_time(
    dav: CalDavCalendar, collection: str, http: httpx.AsyncClient
) -> None:
    handle = await dav.create_event(collection, _spec(), idempotency_key="session-3")
    # Lin accepts in her own client, which writes the event back.
    stored = (await http.get(handle.event_id)).content.decode()
    accepted = stored.replace("CN=Lin;PARTSTAT=NEEDS-ACTION", "CN=Lin;PARTSTAT=ACCEPTED")
    assert accepted != stored
    put = await http.put(
        handle.event_id, content=accepted, headers={"Content-Type": "text/calendar"}
    )
    assert put.status_code in (201, 204)
    answers = {a.email: a.response for a in await dav.responses(handle)}
    assert answers == {
        "ada@example.com": Partstat.NEEDS_ACTION,
        "lin@example.com": Partstat.ACCEPTED,
    }

    retitled = await dav.update_event(handle, _spec(title="Mentoring: goals"))
    answers = {a.email: a.response for a in await dav.responses(retitled)}
    assert answers["lin@example.com"] is Partstat.ACCEPTED
    moved = await dav.update_event(retitled, _spec(hour=15))
    answers = {a.email: a.response for a in await dav.responses(moved)}
    assert answers["lin@example.com"] is Partstat.NEEDS_ACTION  # asked again


async def test_another_event_at_our_address_is_not_overwritten(
    dav: CalDavCalendar, collection: str, http: httpx.AsyncClient
) -> None:
    href = CalDavCalendar.resource_for(collection, "session-3")
    foreign = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
        "UID:someone-else@example.com\r\nDTSTAMP:20260301T000000Z\r\n"
        "DTSTART:20260310T010000Z\r\nDTEND:20260310T020000Z\r\nSUMMARY:theirs\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert (
        await http.put(href, content=foreign, headers={"Content-Type": "text/calendar"})
    ).status_code == 201
    with pytest.raises(ProviderRejected, match=r"someone-else@example\.com"):
        await dav.create_event(collection, _spec(), idempotency_key="session-3")
    (event,) = await _stored(collection)
    assert str(event["summary"]) == "theirs"


async def test_an_update_of_an_event_that_is_gone_is_rejected(
    dav: CalDavCalendar, collection: str, http: httpx.AsyncClient
) -> None:
    handle = await dav.create_event(collection, _spec(), idempotency_key="session-3")
    assert (await http.delete(handle.event_id)).status_code in (200, 204)
    with pytest.raises(ProviderRejected, match="gone"):
        await dav.update_event(handle, _spec(hour=11))
    await dav.cancel_event(handle)  # gone already: nothing to cancel


async def test_a_server_answering_garbage(
    serve: Callable[..., Any], http_reply: Callable[..., Any], http: httpx.AsyncClient
) -> None:
    served = serve(lambda request: http_reply(200, b"BEGIN:VCALENDAR\r\nthis is not it"))
    dav = CalDavCalendar(http)
    with pytest.raises(ProviderGarbage, match="free-busy answer"):
        await dav.free_busy([f"{served.url}/cal/"], WINDOW)
    (request,) = served.requests
    assert request.method == "REPORT" and request.headers["depth"] == "1"
    assert b"free-busy-query" in request.body and b'start="20260309T000000Z"' in request.body
