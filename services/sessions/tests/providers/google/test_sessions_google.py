"""The Google Calendar adapter against a local server answering with Google's documented
shapes: the requests it sends, and how it survives Google's failure answers."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sessions.adapters.calendars.google import GoogleCalendar, google_event_id
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
from sessions.domain.slots import Busy, Unknown

LONDON = ZoneInfo("Europe/London")
WINDOW = Interval(datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 14, tzinfo=UTC))
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _spec(hour: int = 10, meet: bool = True, title: str = "Mentoring: Ada & Grace") -> EventSpec:
    start = datetime(2026, 3, 10, hour, tzinfo=LONDON)
    return EventSpec(
        session_id="session-1",
        title=title,
        when=Interval(start, start + timedelta(hours=1)),
        zone=LONDON,
        organizer=Participant("ada@example.com", "Ada"),
        attendees=(Participant("ada@example.com", "Ada"), Participant("grace@example.com")),
        description="Module 1: goals",
        online_meeting=meet,
    )


def _tokens(
    oauth: Any,
    http: httpx.AsyncClient,
    access: str = "access-0",
    expires_at: datetime | None = None,
    seen: list[OAuthTokens] | None = None,
) -> BearerTokens:
    async def stored(tokens: OAuthTokens) -> None:
        if seen is not None:
            seen.append(tokens)

    return BearerTokens(
        GoogleCalendar.name,
        OAuthClient(oauth.url, "cairn", "s3cret"),
        OAuthTokens(access, "refresh-1", expires_at or NOW + timedelta(days=365)),
        http,
        on_refresh=stored,
        clock=lambda: NOW,
    )


@pytest.fixture
def calendar(google: Any, oauth: Any, http: httpx.AsyncClient) -> GoogleCalendar:
    return GoogleCalendar(http, _tokens(oauth, http), base_url=f"{google.served.url}/calendar/v3")


async def test_free_busy_sends_the_documented_query_and_keeps_unreadable_calendars_unknown(
    google: Any, calendar: GoogleCalendar
) -> None:
    google.busy["ada@example.com"] = [("2026-03-10T09:00:00Z", "2026-03-10T10:30:00Z")]
    google.broken["grace@example.com"] = "internalError"
    answer = await calendar.free_busy(
        ["ada@example.com", "grace@example.com", "nobody@example.com"], WINDOW
    )
    (request,) = google.served.made("POST", "/freeBusy")
    assert request.json() == {
        "timeMin": "2026-03-09T00:00:00Z",
        "timeMax": "2026-03-14T00:00:00Z",
        "timeZone": "UTC",
        "items": [
            {"id": "ada@example.com"},
            {"id": "grace@example.com"},
            {"id": "nobody@example.com"},
        ],
    }
    assert request.headers["authorization"] == "Bearer access-0"
    assert answer.busy["ada@example.com"] == (
        Interval(datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 10, 30, tzinfo=UTC)),
    )
    assert answer.unknown == {
        "grace@example.com": "Google could not read it: internalError",
        "nobody@example.com": "Google could not read it: notFound",
    }
    assert isinstance(answer.availability(["ada@example.com"]), Busy)
    grace = answer.availability(["ada@example.com", "grace@example.com"])
    assert isinstance(grace, Unknown) and "internalError" in grace.why


async def test_create_books_one_event_with_a_meet_link_even_when_retried(
    google: Any, calendar: GoogleCalendar
) -> None:
    first = await calendar.create_event("primary", _spec(), idempotency_key="session-1:0")
    (insert,) = google.served.made("POST", "/events")
    body = insert.json()
    assert insert.query == {"conferenceDataVersion": "1", "sendUpdates": "all"}
    assert body["id"] == google_event_id("session-1:0")
    assert re.fullmatch(r"[a-v0-9]{5,1024}", body["id"])
    assert "iCalUID" not in body  # id or iCalUID, never both
    assert body["conferenceData"]["createRequest"]["conferenceSolutionKey"] == {
        "type": "hangoutsMeet"
    }
    assert body["start"] == {"dateTime": "2026-03-10T10:00:00+00:00", "timeZone": "Europe/London"}
    assert body["attendees"][1] == {"email": "grace@example.com", "optional": False}
    assert body["extendedProperties"] == {"private": {"cairnSessionId": "session-1"}}
    assert first.meeting_url is not None and first.meeting_url.startswith(
        "https://meet.google.com/"
    )

    again = await calendar.create_event("primary", _spec(), idempotency_key="session-1:0")
    assert again.event_id == first.event_id
    assert again.meeting_url == first.meeting_url
    assert len(google.events["primary"]) == 1
    assert [r.method for r in google.served.requests] == ["POST", "POST", "PATCH"]


async def test_a_cancelled_event_keeps_its_id_and_booking_it_again_revives_it(
    google: Any, calendar: GoogleCalendar
) -> None:
    handle = await calendar.create_event("primary", _spec(), idempotency_key="k")
    await calendar.cancel_event(handle)
    assert google.events["primary"][handle.event_id]["status"] == "cancelled"
    await calendar.cancel_event(handle)  # Google answers 410: already deleted, not an error
    assert google.served.requests[-1].method == "DELETE"
    revived = await calendar.create_event("primary", _spec(hour=11), idempotency_key="k")
    event = google.events["primary"][handle.event_id]
    assert revived.event_id == handle.event_id
    assert event["status"] == "confirmed"
    assert event["start"]["dateTime"] == "2026-03-10T11:00:00+00:00"
    assert revived.sequence > handle.sequence


async def test_update_patches_the_event_and_keeps_its_meet_link(
    google: Any, calendar: GoogleCalendar
) -> None:
    handle = await calendar.create_event("primary", _spec(), idempotency_key="k")
    moved = await calendar.update_event(handle, _spec(hour=14, title="Mentoring, moved"))
    patch = google.served.made("PATCH")[-1]
    assert patch.query == {"sendUpdates": "all"}
    assert "conferenceData" not in patch.json() and "id" not in patch.json()
    event = google.events["primary"][handle.event_id]
    assert event["summary"] == "Mentoring, moved"
    assert moved.meeting_url == handle.meeting_url
    assert moved.sequence == handle.sequence + 1


async def test_attendee_responses(google: Any, calendar: GoogleCalendar) -> None:
    handle = await calendar.create_event("primary", _spec(meet=False), idempotency_key="k")
    google.events["primary"][handle.event_id]["attendees"][1]["responseStatus"] = "tentative"
    answers = await calendar.responses(handle)
    assert [(a.email, a.response) for a in answers] == [
        ("ada@example.com", Partstat.NEEDS_ACTION),
        ("grace@example.com", Partstat.TENTATIVE),
    ]
    google.events["primary"][handle.event_id]["attendees"][1]["responseStatus"] = "maybe?"
    with pytest.raises(ProviderGarbage, match="maybe"):
        await calendar.responses(handle)


async def test_a_401_refreshes_the_token_once_then_retries(
    google: Any, oauth: Any, http: httpx.AsyncClient
) -> None:
    refreshed: list[OAuthTokens] = []
    tokens = _tokens(oauth, http, seen=refreshed)
    calendar = GoogleCalendar(http, tokens, base_url=f"{google.served.url}/calendar/v3")
    oauth.revoke_all_access()  # the stored access token no longer works
    answer = await calendar.free_busy(["primary"], WINDOW)
    assert answer.busy == {"primary": ()}
    assert [r.headers["authorization"] for r in google.served.requests] == [
        "Bearer access-0",
        f"Bearer {refreshed[0].access_token}",
    ]
    assert len(oauth.served.requests) == 1 and refreshed[0].refresh_token == "refresh-1"
    assert refreshed[0].expires_at == NOW + timedelta(seconds=3600)

    oauth.revoke_all_access()
    google.served.queued.append((401, {}, b'{"error": {"code": 401, "message": "nope"}}'))
    google.served.queued.append((401, {}, b'{"error": {"code": 401, "message": "nope"}}'))
    with pytest.raises(ProviderRejected, match="reconnect"):
        await calendar.free_busy(["primary"], WINDOW)
    assert tokens.refreshes == 2  # one refresh per call, never a loop


async def test_concurrent_calls_that_all_see_a_401_refresh_once(
    google: Any, oauth: Any, http: httpx.AsyncClient
) -> None:
    tokens = _tokens(oauth, http)
    calendar = GoogleCalendar(http, tokens, base_url=f"{google.served.url}/calendar/v3")
    oauth.revoke_all_access()
    answers = await asyncio.gather(*(calendar.free_busy(["primary"], WINDOW) for _ in range(5)))
    assert all(a.busy == {"primary": ()} for a in answers)
    assert tokens.refreshes == 1 and len(oauth.served.requests) == 1


async def test_an_expired_token_is_refreshed_before_the_call(
    google: Any, oauth: Any, http: httpx.AsyncClient
) -> None:
    tokens = _tokens(oauth, http, access="stale", expires_at=NOW + timedelta(seconds=30))
    calendar = GoogleCalendar(http, tokens, base_url=f"{google.served.url}/calendar/v3")
    await calendar.free_busy(["primary"], WINDOW)
    assert len(google.served.requests) == 1  # no 401 first
    assert google.served.requests[0].headers["authorization"] != "Bearer stale"


async def test_a_revoked_refresh_token_asks_to_reconnect(
    google: Any, oauth: Any, http: httpx.AsyncClient
) -> None:
    oauth.refresh_tokens.clear()
    tokens = _tokens(oauth, http, access="stale", expires_at=NOW - timedelta(hours=1))
    calendar = GoogleCalendar(http, tokens, base_url=f"{google.served.url}/calendar/v3")
    with pytest.raises(ProviderRejected, match="invalid_grant") as refused:
        await calendar.free_busy(["primary"], WINDOW)
    assert "reconnect" in str(refused.value)
    assert google.served.requests == []


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        (
            429,
            {"Retry-After": "30"},
            b'{"error": {"code": 429, "message": "slow down"}}',
            timedelta(seconds=30),
        ),
        (503, {}, b'{"error": {"code": 503, "message": "Backend Error"}}', None),
        (
            403,
            {},
            b'{"error": {"code": 403, "message": "Rate Limit Exceeded", "errors": '
            b'[{"domain": "usageLimits", "reason": "rateLimitExceeded"}]}}',
            None,
        ),
    ],
)
async def test_throttling_and_server_errors_are_retry_later(
    google: Any,
    calendar: GoogleCalendar,
    status: int,
    headers: dict[str, str],
    body: bytes,
    wait: timedelta | None,
) -> None:
    google.served.queued.append((status, {"Content-Type": "application/json", **headers}, body))
    with pytest.raises(ProviderUnavailable) as unavailable:
        await calendar.create_event("primary", _spec(), idempotency_key="k")
    assert unavailable.value.retry_after == wait
    assert google.events["primary"] == {}
    handle = await calendar.create_event("primary", _spec(), idempotency_key="k")  # later
    assert list(google.events["primary"]) == [handle.event_id]


async def test_a_bad_request_is_rejected_with_googles_message(
    google: Any, calendar: GoogleCalendar
) -> None:
    with pytest.raises(ProviderRejected, match="Not Found") as rejected:
        await calendar.create_event("someone-else", _spec(), idempotency_key="k")
    assert rejected.value.status == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>Service temporarily moved</html>", "answer starts '<html>"),
        (b'{"kind": "calendar#freeBusy"}', "calendars: Field required"),
        (
            b'{"calendars": {"primary": {"busy": [{"start": "2026-03-10T09:00:00", '
            b'"end": "2026-03-10T10:00:00Z"}]}}}',
            "timezone",
        ),
        (
            b'{"calendars": {"primary": {"busy": [{"start": "2026-03-10T11:00:00Z", '
            b'"end": "2026-03-10T10:00:00Z"}]}}}',
            "does not end after it starts",
        ),
    ],
)
async def test_garbage_answers_say_what_was_wrong(
    google: Any, calendar: GoogleCalendar, body: bytes, words: str
) -> None:
    google.served.queued.append((200, {"Content-Type": "application/json"}, body))
    with pytest.raises(ProviderGarbage) as garbage:
        await calendar.free_busy(["primary"], WINDOW)
    assert words in str(garbage.value)


async def test_a_server_that_is_not_there_is_unavailable(
    http: httpx.AsyncClient, oauth: Any
) -> None:
    calendar = GoogleCalendar(http, _tokens(oauth, http), base_url="http://127.0.0.1:9/v3")
    with pytest.raises(ProviderUnavailable, match="ConnectError"):
        await calendar.free_busy(["primary"], WINDOW)
