"""The Microsoft Graph adapter against a local server answering with Graph's documented
shapes: getSchedule's offset-less times and Windows zone names, errors inside a 200,
transactionId retries, Teams links, and Graph's failure answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sessions.adapters.calendars.graph import GraphCalendar, zone_of
from sessions.adapters.calendars.model import (
    EventSpec,
    Participant,
    Partstat,
    ProviderGarbage,
    ProviderRejected,
    ProviderUnavailable,
)
from sessions.adapters.calendars.oauth import BearerTokens, OAuthClient, OAuthTokens
from sessions.domain.intervals import Interval
from sessions.domain.slots import Unknown

NEW_YORK = ZoneInfo("America/New_York")
# The week of 9 March 2026: the US is on daylight time, Europe not yet.
WINDOW = Interval(datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _spec(hour: int = 10, teams: bool = True, title: str = "Mentoring: Ada & Grace") -> EventSpec:
    start = datetime(2026, 3, 10, hour, tzinfo=NEW_YORK)
    return EventSpec(
        session_id="session-7",
        title=title,
        when=Interval(start, start + timedelta(minutes=45)),
        zone=NEW_YORK,
        organizer=Participant("ada@contoso.com", "Ada"),
        attendees=(
            Participant("grace@contoso.com", "Grace"),
            Participant("alan@contoso.com", required=False),
        ),
        description="Module 2",
        online_meeting=teams,
    )


def _calendar(graph: Any, oauth: Any, http: httpx.AsyncClient, **kw: Any) -> GraphCalendar:
    tokens = BearerTokens(
        GraphCalendar.name,
        OAuthClient(oauth.url, "cairn", "s3cret", scope="Calendars.ReadWrite offline_access"),
        OAuthTokens("access-0", "refresh-1", NOW + timedelta(days=365)),
        http,
        clock=lambda: NOW,
    )
    return GraphCalendar(http, tokens, base_url=f"{graph.served.url}/v1.0", **kw)


@pytest.fixture
def calendar(graph: Any, oauth: Any, http: httpx.AsyncClient) -> GraphCalendar:
    return _calendar(graph, oauth, http, mailbox="ada@contoso.com")


async def test_get_schedule_reads_offset_less_times_in_the_windows_zone_it_asked_for(
    graph: Any, oauth: Any, http: httpx.AsyncClient
) -> None:
    graph.schedules["grace@contoso.com"] = [
        (_utc(2026, 3, 9, 14), _utc(2026, 3, 9, 15), "Busy"),
        (_utc(2026, 3, 9, 15), _utc(2026, 3, 9, 15, 30), "Tentative"),
        (_utc(2026, 3, 9, 16), _utc(2026, 3, 9, 17), "Free"),
        (_utc(2026, 3, 9, 18), _utc(2026, 3, 9, 19), "Oof"),
        (_utc(2026, 3, 9, 20), _utc(2026, 3, 9, 21), "WorkingElsewhere"),
    ]
    calendar = _calendar(graph, oauth, http, schedule_zone="Pacific Standard Time")
    answer = await calendar.free_busy(["grace@contoso.com"], WINDOW)
    (request,) = graph.served.made("POST", "/getSchedule")
    assert request.path == "/v1.0/me/calendar/getSchedule"
    assert request.headers["prefer"] == 'outlook.timezone="Pacific Standard Time"'
    assert request.json() == {
        "schedules": ["grace@contoso.com"],
        "startTime": {"dateTime": "2026-03-09T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2026-03-10T00:00:00", "timeZone": "UTC"},
        "availabilityViewInterval": 15,
    }
    # What came over the wire: 07:00 Pacific (PDT since 8 March), without an offset.
    item = json.loads(graph.served.answers[0][2])["value"][0]["scheduleItems"][0]
    assert (item["status"], item["start"]) == (
        "Busy",
        {"dateTime": "2026-03-09T07:00:00.0000000", "timeZone": "Pacific Standard Time"},
    )
    assert answer.busy["grace@contoso.com"] == (
        Interval(_utc(2026, 3, 9, 14), _utc(2026, 3, 9, 15, 30)),  # Busy + Tentative, joined
        Interval(_utc(2026, 3, 9, 18), _utc(2026, 3, 9, 19)),  # Oof
    )


async def test_a_schedule_error_inside_a_200_is_unknown_never_free(
    graph: Any, calendar: GraphCalendar
) -> None:
    graph.failing["grace@contoso.com"] = ("ErrorMailboxNotFound", "Mailbox not found")
    answer = await calendar.free_busy(["grace@contoso.com", "alan@contoso.com"], WINDOW)
    assert answer.unknown == {"grace@contoso.com": "Graph could not read it: Mailbox not found"}
    assert answer.busy == {"alan@contoso.com": ()}
    availability = answer.availability(["grace@contoso.com"])
    assert isinstance(availability, Unknown) and "Mailbox not found" in availability.why
    assert graph.served.requests[0].path == "/v1.0/users/ada%40contoso.com/calendar/getSchedule"


async def test_a_mailbox_sharing_only_its_availability_view_is_read_from_it(
    graph: Any, calendar: GraphCalendar
) -> None:
    graph.view_only.add("grace@contoso.com")
    graph.schedules["grace@contoso.com"] = [(_utc(2026, 3, 9, 9), _utc(2026, 3, 9, 9, 30), "Busy")]
    answer = await calendar.free_busy(["grace@contoso.com"], WINDOW)
    assert answer.busy["grace@contoso.com"] == (
        Interval(_utc(2026, 3, 9, 9), _utc(2026, 3, 9, 9, 30)),
    )


async def test_create_with_teams_and_a_transaction_id_is_one_event_however_often_retried(
    graph: Any, calendar: GraphCalendar
) -> None:
    first = await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="session-7:0")
    again = await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="session-7:0")
    assert again.event_id == first.event_id and len(graph.events) == 1
    request = graph.served.made("POST", "/calendar/events")[0]
    assert request.path == "/v1.0/users/ada%40contoso.com/calendar/events"
    body = request.json()
    assert body["transactionId"] == "session-7:0"
    assert body["isOnlineMeeting"] is True
    assert body["onlineMeetingProvider"] == "teamsForBusiness"
    assert body["start"] == {"dateTime": "2026-03-10T14:00:00", "timeZone": "UTC"}  # 10:00 EDT
    assert body["attendees"] == [
        {"emailAddress": {"address": "grace@contoso.com", "name": "Grace"}, "type": "required"},
        {"emailAddress": {"address": "alan@contoso.com"}, "type": "optional"},
    ]
    assert first.meeting_url is not None and "teams.microsoft.com" in first.meeting_url
    assert first.ical_uid == graph.events[first.event_id]["iCalUId"]


async def test_update_keeps_the_teams_meeting_and_cancel_tells_the_attendees(
    graph: Any, calendar: GraphCalendar
) -> None:
    handle = await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="k")
    moved = await calendar.update_event(handle, _spec(hour=13, title="Moved"))
    patch = graph.served.made("PATCH")[0]
    assert "isOnlineMeeting" not in patch.json() and "transactionId" not in patch.json()
    event = graph.events[handle.event_id]
    assert event["isOnlineMeeting"] and event["onlineMeeting"]["joinUrl"] == handle.meeting_url
    assert moved.meeting_url == handle.meeting_url and event["subject"] == "Moved"

    await calendar.cancel_event(moved, comment="The pairing ended")
    cancel = graph.served.made("POST", "/cancel")[0]
    assert cancel.json() == {"comment": "The pairing ended"}
    assert event["isCancelled"]
    await calendar.cancel_event(moved)  # 404 now: already gone, not an error


async def test_attendee_responses(graph: Any, calendar: GraphCalendar) -> None:
    handle = await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="k")
    graph.events[handle.event_id]["attendees"][0]["status"]["response"] = "tentativelyAccepted"
    answers = await calendar.responses(handle)
    assert [(a.email, a.response) for a in answers] == [
        ("grace@contoso.com", Partstat.TENTATIVE),
        ("alan@contoso.com", Partstat.NEEDS_ACTION),
    ]
    assert graph.served.requests[-1].query == {"$select": "attendees"}


async def test_an_expired_access_token_is_refreshed_once(
    graph: Any, oauth: Any, calendar: GraphCalendar
) -> None:
    oauth.revoke_all_access()
    await calendar.free_busy(["grace@contoso.com"], WINDOW)
    (refresh,) = oauth.served.requests
    assert refresh.form()["scope"] == "Calendars.ReadWrite offline_access"
    assert [r.headers["authorization"] == "Bearer access-0" for r in graph.served.requests] == [
        True,
        False,
    ]


async def test_throttled_with_an_http_date_retry_after(graph: Any, calendar: GraphCalendar) -> None:
    calendar.api.clock = lambda: datetime(2026, 3, 1, 12, tzinfo=UTC)
    graph.served.queued.append(
        (
            429,
            {"Retry-After": "Sun, 01 Mar 2026 12:02:00 GMT"},
            b'{"error": {"code": "TooManyRequests", "message": "Please retry later."}}',
        )
    )
    with pytest.raises(ProviderUnavailable, match="Please retry later") as unavailable:
        await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="k")
    assert unavailable.value.retry_after == timedelta(minutes=2)
    assert graph.events == {}


async def test_a_refused_change_is_rejected(graph: Any, calendar: GraphCalendar) -> None:
    handle = await calendar.create_event("ada@contoso.com", _spec(), idempotency_key="k")
    graph.served.queued.append(
        (400, {}, b'{"error": {"code": "ErrorInvalidRequest", "message": "Bad start"}}')
    )
    with pytest.raises(ProviderRejected, match="Bad start") as rejected:
        await calendar.update_event(handle, _spec(hour=11))
    assert rejected.value.status == 400


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "answer starts empty"),
        (
            b'{"value": [{"scheduleId": "grace@contoso.com", "scheduleItems": [{"status": "Busy",'
            b' "start": {"dateTime": "soon", "timeZone": "UTC"}, "end": {"dateTime": '
            b'"2026-03-09T10:00:00", "timeZone": "UTC"}}]}]}',
            "soon",
        ),
        (
            b'{"value": [{"scheduleId": "grace@contoso.com", "scheduleItems": [{"status": "Busy",'
            b' "start": {"dateTime": "2026-03-09T09:00:00", "timeZone": "Mars Standard Time"},'
            b' "end": {"dateTime": "2026-03-09T10:00:00", "timeZone": "UTC"}}]}]}',
            "Mars Standard Time",
        ),
        (b'{"value": [{"scheduleId": "grace@contoso.com", "availabilityView": "02x"}]}', "02x"),
    ],
)
async def test_garbage_answers_say_what_was_wrong(
    graph: Any, calendar: GraphCalendar, body: bytes, words: str
) -> None:
    graph.served.queued.append((200, {"Content-Type": "application/json"}, body))
    with pytest.raises(ProviderGarbage) as garbage:
        await calendar.free_busy(["grace@contoso.com"], WINDOW)
    assert words in str(garbage.value)


def test_windows_and_iana_zone_names() -> None:
    assert zone_of("Pacific Standard Time") == ZoneInfo("America/Los_Angeles")
    assert zone_of("W. Europe Standard Time") == ZoneInfo("Europe/Berlin")
    assert zone_of("India Standard Time") == ZoneInfo("Asia/Calcutta")
    assert zone_of("Asia/Singapore") == ZoneInfo("Asia/Singapore")
    with pytest.raises(ValueError, match="neither"):
        zone_of("Atlantis Time")
