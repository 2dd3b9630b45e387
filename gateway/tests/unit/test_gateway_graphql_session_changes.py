"""Sessions' mutations and the public calendar feed, on a stub sessions service behind an httpx
MockTransport (the schema, context, service clients and route are the real ones): each
mutation sends exactly the sessions API's shape (camelCase, keys decoded, the acting person as
actorId), answers a refusal as userErrors under `input` and a 404 as NOT_FOUND; an id of
nothing ours is NOT_FOUND before any call. /calendar/{token}.ics needs no API key, refuses a
token of another shape before calling anything, and passes the feed through as text/calendar."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contracts.internal.sessions import SessionView
from contracts.sessions import SessionStatus
from fastapi import FastAPI
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.entrypoints import calendar_feeds
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from service_auth.tokens import Caller, TokenMinter, TokenVerifier, generate_keypair

PRIVATE, PUBLIC = generate_keypair()
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
S = "/internal/sessions"
SESSION = "se_" + "a" * 32
MATCH = "mt_" + "b" * 32
ITEM = "ai_" + "c" * 32
HOST = "00000000-0000-4000-8000-000000000001"
MENTEE = "00000000-0000-4000-8000-000000000002"
PROGRAM = "00000000-0000-4000-8000-000000000003"
TOKEN = "A" * 40 + "-_9"  # the shape sessions mints: 43 url-safe characters
ERRORS = "userErrors { field message code }"


def session_view(**changes: Any) -> dict[str, Any]:
    view = SessionView(
        id=SESSION,
        program_id=PROGRAM,
        match_ids=[MATCH],
        host_id=HOST,
        attendee_ids=[HOST, MENTEE],
        starts_at=NOW,
        ends_at=NOW.replace(hour=10),
        status=SessionStatus.SCHEDULED,
        revision=1,
        updated_at=NOW,
        agenda=[],
        action_items=[],
        attendance=[],
    )
    body: dict[str, Any] = json.loads(view.model_dump_json(by_alias=True))
    return body | changes


def action_item(**changes: Any) -> dict[str, Any]:
    return {
        "id": ITEM,
        "programId": PROGRAM,
        "sessionId": SESSION,
        "matchIds": [MATCH],
        "ownerId": MENTEE,
        "text": "Draft the proposal",
        "dueOn": "2027-01-11",
        "done": False,
        "revision": 1,
        "updatedAt": NOW.isoformat(),
    } | changes


@dataclass
class Sessions:
    """sessions, answering each (method, path) as told (else 404); every call recorded."""

    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any, httpx.Headers]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, body, request.headers))
        status, content = self.answers.get(
            (request.method, request.url.path), (404, {"title": "Not Found", "status": 404})
        )
        if isinstance(content, bytes):
            return httpx.Response(
                status, content=content, headers={"content-type": "text/calendar"}
            )
        return httpx.Response(status, json=content) if content is not None else httpx.Response(204)


@pytest.fixture
async def sessions() -> AsyncIterator[tuple[Sessions, Upstreams]]:
    stub = Sessions()
    minter = TokenMinter(PRIVATE)
    async with httpx.AsyncClient(transport=httpx.MockTransport(stub.handle)) as http:
        client = ServiceClient(http, "http://sessions", "sessions", minter)
        yield stub, Upstreams(profiles=client, matching=client, sessions=client, feedback=client)


async def mutate(upstreams: Upstreams, query: str, **input: Any) -> dict[str, Any]:
    context = CairnContext(
        caller=Caller("tenant-1", "apikey:1"),
        upstreams=upstreams,
        public_base_url="https://cairn.example",
    )
    result = await schema.execute(query, variable_values={"input": input}, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    [answer] = result.data.values()
    assert isinstance(answer, dict)
    return answer


def gid(type_name: str, key: str) -> str:
    return encode_id(type_name, key)


SCHEDULE = f"""mutation($input: ScheduleSessionInput!) {{ scheduleSession(input: $input) {{
  session {{ id status startsAt }} {ERRORS} }} }}"""


async def test_schedule_session_books_through_sessions(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    stub.answers[("POST", f"{S}/sessions")] = (201, session_view())

    answer = await mutate(
        upstreams,
        SCHEDULE,
        matchId=gid("Match", MATCH),
        startsAt="2027-01-04T09:00:00+00:00",
        personId=gid("Person", MENTEE),
    )

    assert answer["userErrors"] == []
    assert answer["session"] == {
        "id": gid("Session", SESSION),
        "status": "SCHEDULED",
        "startsAt": "2027-01-04T09:00:00+00:00",
    }
    [(method, path, body, headers)] = stub.calls
    assert (method, path) == ("POST", f"{S}/sessions")
    assert body == {"matchId": MATCH, "startsAt": "2027-01-04T09:00:00+00:00", "actorId": MENTEE}
    caller = TokenVerifier(PUBLIC, "sessions").verify(headers["authorization"].split()[1])
    assert caller.tenant_id == "tenant-1"


async def test_a_refusal_is_user_errors_naming_the_input_field(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    stub.answers[("POST", f"{S}/sessions")] = (
        422,
        {
            "title": "Invalid request",
            "status": 422,
            "code": "INVALID",
            "errors": [{"field": "startsAt", "message": "is outside Ada's working hours"}],
        },
    )

    answer = await mutate(
        upstreams, SCHEDULE, matchId=gid("Match", MATCH), startsAt="2027-01-04T03:00:00Z"
    )

    assert answer == {
        "session": None,
        "userErrors": [
            {
                "field": ["input", "startsAt"],
                "message": "is outside Ada's working hours",
                "code": "INVALID",
            }
        ],
    }


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"matchId": "bm9wZQ"}, "matchId"),  # not one of our ids
        ({"matchId": gid("Session", SESSION)}, "matchId"),  # an id of another type
        ({"matchId": gid("Match", MATCH), "personId": gid("Match", MATCH)}, "personId"),
    ],
)
async def test_an_id_of_nothing_ours_is_not_found_without_a_call(
    sessions: tuple[Sessions, Upstreams], input: dict[str, Any], field: str
) -> None:
    stub, upstreams = sessions
    answer = await mutate(upstreams, SCHEDULE, **input)
    assert answer["session"] is None
    assert answer["userErrors"] == [
        {
            "field": ["input", field],
            "message": answer["userErrors"][0]["message"],
            "code": "NOT_FOUND",
        }
    ]
    assert stub.calls == []


async def test_a_match_sessions_does_not_know_is_not_found(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    _, upstreams = sessions
    answer = await mutate(upstreams, SCHEDULE, matchId=gid("Match", MATCH))
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
        (["input", "matchId"], "NOT_FOUND")
    ]


SESSION_CHANGES = [
    (
        "rescheduleSession",
        "RescheduleSessionInput",
        {"startsAt": "2027-01-05T10:00:00Z", "scope": "FOLLOWING"},
        "reschedule",
        {"startsAt": "2027-01-05T10:00:00+00:00", "scope": "FOLLOWING"},
    ),
    ("cancelSession", "SessionRefInput", {"reason": "Ill"}, "cancel", {"reason": "Ill"}),
    ("cancelSession", "SessionRefInput", {}, "cancel", {}),
    (
        "completeSession",
        "SessionRefInput",
        {
            "heldAt": "2027-01-03T09:00:00Z",
            "attendance": [
                {"personId": gid("Person", HOST), "status": "ATTENDED"},
                {"personId": gid("Person", MENTEE), "status": "ABSENT"},
            ],
        },
        "complete",
        {"heldAt": "2027-01-03T09:00:00+00:00", "attendance": {HOST: "ATTENDED", MENTEE: "ABSENT"}},
    ),
    (
        "markNoShow",
        "MarkNoShowInput",
        {"absentIds": [gid("Person", MENTEE)]},
        "no-show",
        {"absentIds": [MENTEE]},
    ),
]


@pytest.mark.parametrize(("name", "input_type", "input", "action", "sent"), SESSION_CHANGES)
async def test_each_change_of_a_session_sends_its_shape(
    sessions: tuple[Sessions, Upstreams],
    name: str,
    input_type: str,
    input: dict[str, Any],
    action: str,
    sent: dict[str, Any],
) -> None:
    stub, upstreams = sessions
    path = f"{S}/sessions/{SESSION}/{action}"
    stub.answers[("POST", path)] = (200, session_view(status="CANCELLED"))
    query = f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
      session {{ id status }} {ERRORS} }} }}"""

    answer = await mutate(
        upstreams, query, sessionId=gid("Session", SESSION), personId=gid("Person", HOST), **input
    )

    assert answer == {
        "session": {"id": gid("Session", SESSION), "status": "CANCELLED"},
        "userErrors": [],
    }
    assert [(c[0], c[1], c[2]) for c in stub.calls] == [("POST", path, sent | {"actorId": HOST})]


async def test_a_session_sessions_does_not_know_is_not_found(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    _, upstreams = sessions
    query = f"""mutation($input: SessionRefInput!) {{ cancelSession(input: $input) {{
      session {{ id }} {ERRORS} }} }}"""
    answer = await mutate(upstreams, query, sessionId=gid("Session", SESSION))
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
        (["input", "sessionId"], "NOT_FOUND")
    ]


async def test_action_items_are_added_and_completed(sessions: tuple[Sessions, Upstreams]) -> None:
    stub, upstreams = sessions
    stub.answers[("POST", f"{S}/sessions/{SESSION}/action-items")] = (201, action_item())
    stub.answers[("POST", f"{S}/action-items/{ITEM}/complete")] = (200, action_item(done=True))
    fields = f"actionItem {{ id text dueOn done }} {ERRORS}"

    added = await mutate(
        upstreams,
        f"mutation($input: AddActionItemInput!) {{ addActionItem(input: $input) {{ {fields} }} }}",
        sessionId=gid("Session", SESSION),
        ownerId=gid("Person", MENTEE),
        text="Draft the proposal",
        dueOn="2027-01-11",
    )
    done = await mutate(
        upstreams,
        "mutation($input: CompleteActionItemInput!) { completeActionItem(input: $input) "
        f"{{ {fields} }} }}",
        actionItemId=gid("ActionItem", ITEM),
        personId=gid("Person", MENTEE),
    )

    assert added["actionItem"] == {
        "id": gid("ActionItem", ITEM),
        "text": "Draft the proposal",
        "dueOn": "2027-01-11",
        "done": False,
    }
    assert done["actionItem"]["done"] is True and done["userErrors"] == []
    assert [c[2] for c in stub.calls] == [
        {"ownerId": MENTEE, "text": "Draft the proposal", "dueOn": "2027-01-11"},
        {"actorId": MENTEE},
    ]


async def test_working_hours_and_the_calendar_feed(sessions: tuple[Sessions, Upstreams]) -> None:
    stub, upstreams = sessions
    hours = {"personId": HOST, "timeZone": "Asia/Kolkata", "customized": True}
    days = [{"weekday": 0, "start": "10:00", "end": "18:30"}]
    stub.answers[("PUT", f"{S}/people/{HOST}/working-hours")] = (200, hours | {"days": days})
    stub.answers[("POST", f"{S}/people/{HOST}/calendar-feed")] = (
        200,
        {"token": TOKEN, "path": f"/calendar/{TOKEN}.ics"},
    )
    stub.answers[("DELETE", f"{S}/people/{HOST}/calendar-feed")] = (204, None)
    person = gid("Person", HOST)

    set_hours = await mutate(
        upstreams,
        "mutation($input: SetWorkingHoursInput!) { setWorkingHours(input: $input) { "
        f"workingHours {{ timeZone customized days {{ weekday start end }} }} {ERRORS} }} }}",
        personId=person,
        timeZone="Asia/Kolkata",
        days=days,
    )
    feed = await mutate(
        upstreams,
        "mutation($input: CalendarFeedInput!) { issueCalendarFeed(input: $input) { "
        f"calendarFeed {{ url }} {ERRORS} }} }}",
        personId=person,
    )
    revoke = "mutation($input: CalendarFeedInput!) { revokeCalendarFeed(input: $input) { "
    revoke += f"revoked {ERRORS} }} }}"
    revoked = await mutate(upstreams, revoke, personId=person)
    unknown = await mutate(upstreams, revoke, personId=gid("Person", MENTEE))

    assert set_hours["workingHours"] == {
        "timeZone": "Asia/Kolkata",
        "customized": True,
        "days": days,
    }
    assert stub.calls[0][2] == {"timeZone": "Asia/Kolkata", "days": days}
    # The URL is on the gateway's public address: the feed is reached through it.
    assert feed["calendarFeed"] == {"url": f"https://cairn.example/calendar/{TOKEN}.ics"}
    assert revoked == {"revoked": True, "userErrors": []}
    assert unknown["revoked"] is False
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "personId"], "NOT_FOUND")
    ]


async def test_calendars_connect_with_the_providers_fields_only(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    connection = {
        "id": "cc_" + "d" * 32,
        "personId": HOST,
        "provider": "GOOGLE",
        "state": "CONNECTED",
        "lastError": None,
        "connectedAt": NOW.isoformat(),
    }
    stub.answers[("POST", f"{S}/people/{HOST}/calendar-connections")] = (201, connection)

    answer = await mutate(
        upstreams,
        "mutation($input: ConnectCalendarInput!) { connectCalendar(input: $input) { "
        f"calendarConnection {{ id provider state }} {ERRORS} }} }}",
        personId=gid("Person", HOST),
        provider="GOOGLE",
        oauth={"accessToken": "at", "refreshToken": "rt", "expiresAt": "2027-01-04T10:00:00Z"},
        caldav={"url": "https://dav.example/ada/", "password": "never sent"},
    )

    assert answer["calendarConnection"] == {
        "id": gid("CalendarConnection", "cc_" + "d" * 32),
        "provider": "GOOGLE",
        "state": "CONNECTED",
    }
    assert stub.calls[0][2] == {
        "provider": "GOOGLE",
        "accessToken": "at",
        "refreshToken": "rt",
        "expiresAt": "2027-01-04T10:00:00+00:00",
    }


async def test_office_hours_are_published_and_seats_taken(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    stub.answers[("POST", f"{S}/office-hours")] = (
        201,
        session_view(kind="OFFICE_HOURS", capacity=10, matchIds=[]),
    )
    stub.answers[("POST", f"{S}/sessions/{SESSION}/rsvp")] = (
        200,
        {"personId": MENTEE, "status": "WAITLISTED", "position": 3},
    )

    published = await mutate(
        upstreams,
        "mutation($input: PublishOfficeHoursInput!) { publishOfficeHours(input: $input) { "
        f"session {{ kind capacity }} {ERRORS} }} }}",
        programId=gid("Program", PROGRAM),
        hostId=gid("Person", HOST),
        startsAt="2027-01-04T09:00:00Z",
        durationMinutes=60,
        capacity=10,
    )
    rsvp = await mutate(
        upstreams,
        "mutation($input: RsvpInput!) { rsvpSession(input: $input) { "
        f"rsvp {{ status position }} {ERRORS} }} }}",
        sessionId=gid("Session", SESSION),
        personId=gid("Person", MENTEE),
    )

    assert published["session"] == {"kind": "OFFICE_HOURS", "capacity": 10}
    assert rsvp["rsvp"] == {"status": "WAITLISTED", "position": 3}
    assert stub.calls[0][2] == {
        "programId": PROGRAM,
        "hostId": HOST,
        "startsAt": "2027-01-04T09:00:00+00:00",
        "durationMinutes": 60,
        "capacity": 10,
    }
    assert stub.calls[1][2] == {"personId": MENTEE}


# --- the public calendar feed ---------------------------------------------------------------


async def fetch_feed(upstreams: Upstreams, path: str) -> httpx.Response:
    app = FastAPI()
    app.include_router(calendar_feeds.router)
    app.state.upstreams = upstreams
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        return await client.get(path)  # no Authorization: the token is the credential


ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Cairn//EN\r\nEND:VCALENDAR\r\n"


async def test_the_feed_passes_through_as_text_calendar(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    stub.answers[("GET", f"{S}/calendar-feeds/{TOKEN}.ics")] = (200, ICS)

    answer = await fetch_feed(upstreams, f"/calendar/{TOKEN}.ics")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.content == ICS
    [(_, _, _, headers)] = stub.calls
    assert TokenVerifier(PUBLIC, "sessions").verify(headers["authorization"].split()[1])


@pytest.mark.parametrize(
    "token",
    ["short", TOKEN + "A", TOKEN[:-1] + ".", TOKEN[:-1] + "%2E", "%2E%2E", TOKEN[:-1] + "="],
)
async def test_a_token_of_another_shape_is_404_before_any_call(
    sessions: tuple[Sessions, Upstreams], token: str
) -> None:
    stub, upstreams = sessions
    answer = await fetch_feed(upstreams, f"/calendar/{token}.ics")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert stub.calls == []


@pytest.mark.parametrize(
    ("upstream", "status"),
    [
        ((404, {"title": "Not Found", "status": 404}), 404),  # unknown or revoked
        ((500, {"title": "boom", "status": 500}), 503),
        ((401, {"title": "Unauthorized", "status": 401}), 503),  # our own token refused
        ((200, {"not": "a calendar"}), 503),
    ],
)
async def test_what_sessions_answers_is_mapped(
    sessions: tuple[Sessions, Upstreams], upstream: tuple[int, Any], status: int
) -> None:
    stub, upstreams = sessions
    stub.answers[("GET", f"{S}/calendar-feeds/{TOKEN}.ics")] = upstream
    answer = await fetch_feed(upstreams, f"/calendar/{TOKEN}.ics")
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


async def test_deletions_answered_204_are_done_and_404_not_found(
    sessions: tuple[Sessions, Upstreams],
) -> None:
    stub, upstreams = sessions
    connection = "cc_" + "d" * 32
    stub.answers[("DELETE", f"{S}/calendar-connections/{connection}")] = (204, None)
    stub.answers[("DELETE", f"{S}/sessions/{SESSION}/rsvp/{MENTEE}")] = (204, None)
    stub.answers[("GET", f"{S}/sessions/{SESSION}/rsvps")] = (
        200,
        [{"personId": HOST, "status": "CONFIRMED", "position": None}],
    )
    disconnect = "mutation($input: DisconnectCalendarInput!) { disconnectCalendar(input: $input) "
    disconnect += f"{{ disconnected {ERRORS} }} }}"
    cancel = "mutation($input: RsvpInput!) { cancelRsvp(input: $input) { "
    cancel += f"rsvps {{ status position person {{ id }} }} {ERRORS} }} }}"

    gone = await mutate(
        upstreams, disconnect, calendarConnectionId=gid("CalendarConnection", connection)
    )
    unknown = await mutate(
        upstreams, disconnect, calendarConnectionId=gid("CalendarConnection", "cc_" + "e" * 32)
    )
    stub.answers[("POST", "/internal/people/batch")] = (
        200,
        {
            "items": [
                {
                    "id": HOST,
                    "email": "h@example.com",
                    "displayName": "H",
                    "timeZone": "UTC",
                    "status": "ACTIVE",
                }
            ]
        },
    )
    freed = await mutate(
        upstreams, cancel, sessionId=gid("Session", SESSION), personId=gid("Person", MENTEE)
    )

    assert gone == {"disconnected": True, "userErrors": []}
    assert unknown["disconnected"] is False
    assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]
    assert freed == {
        "rsvps": [{"status": "CONFIRMED", "position": None, "person": {"id": gid("Person", HOST)}}],
        "userErrors": [],
    }
