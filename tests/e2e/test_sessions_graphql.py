"""Sessions end to end through the real stack: people through the signed HRIS webhook, a
program with a curriculum, matching, both sides accepting — then the sessions service books
each pair's series (match.accepted on the real broker) and GraphQL shows it: a page of
matches' sessions in one internal call per field and level, modules from the curriculum,
action items on the next session's agenda, completing and cancelling; the person's ICS feed
fetched through the gateway's public route (no API key) and parsed with icalendar, a cancelled
session keeping its UID with a higher SEQUENCE, and a revoked feed answering 404."""

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id
from gateway.graphql.schema import schema

from tests.e2e.test_gateway_stall import counting_context

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
MODULES = [
    {
        "title": f"Module {n}",
        "discussionGuide": f"Guide {n}",
        "preWork": [f"Read {n}"],
        "actionItemTemplates": [f"Try {n}"],
    }
    for n in range(3)
]
SESSION_FIELDS = """id status sequence final startsAt endsAt heldAt cancelledReason
  host { externalId } attendees { externalId timeZone }
  module { title discussionGuide preWork actionItemTemplates } moduleIndex
  agenda { text done owner { externalId } } actionItems { text }
  attendance { person { externalId } status } match { id }"""
SERIES = f"query($id: ID!) {{ match(id: $id) {{ sessions {{ {SESSION_FIELDS} }} }} }}"
PAGE = """query($id: ID!) { program(id: $id) { matches(first: 10) { edges { node {
  sessions { id host { id } attendees { id } module { title } match { id } program { id } }
} } } } }"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hire(external_id: str, time_zone: str, **employee: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@acme-corp.com",
            "displayName": f"Person {external_id}",
            "timeZone": time_zone,
            "languages": ["en"],
            **employee,
        },
    }


async def ok(system: RunningSystem, key: str, query: str, variables: dict[str, Any]) -> Any:
    body = await system.graphql(key, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body
    return body["data"]


async def mutate(system: RunningSystem, key: str, name: str, kind: str, **input: Any) -> Any:
    """One mutation `name(input: kindInput)` answering its payload's session and userErrors."""
    query = f"""mutation($input: {kind}!) {{ {name}(input: $input) {{
      session {{ {SESSION_FIELDS} }} {ERRORS} }} }}"""
    return (await ok(system, key, query, {"input": input}))[name]


async def accepted_pairs(system: RunningSystem, tenant: dict[str, str]) -> dict[str, Any]:
    """Two mentors in London, two mentees in New York, a program of three weekly sessions,
    matched and accepted by everyone: the program's id, the people's ids, the matches' ids."""
    key = tenant["apiKey"]
    boss = unique("B")
    mentors, mentees = [unique("M") for _ in range(2)], [unique("P") for _ in range(2)]
    changes = [hire(boss, "Europe/London", level=9, department="Board")]
    changes += [
        hire(m, "Europe/London", level=7, department="Sales", managerExternalId=boss)
        for m in mentors
    ]
    changes += [
        hire(m, "America/New_York", level=3, department="Platform", managerExternalId=boss)
        for m in mentees
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202

    async def person_id(external_id: str) -> Any:
        query = "query($e: String) { person(externalId: $e) { id } }"
        return (await ok(system, key, query, {"e": external_id}))["person"]

    ids = {x: (await eventually(partial(person_id, x)))["id"] for x in mentors + mentees}
    starts = date.today() + timedelta(days=14)
    created = await ok(
        system,
        key,
        f"""mutation($input: CreateProgramInput!) {{
          createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}""",
        {
            "input": {
                "name": "Sessions Circle",
                "kind": "ONE_ON_ONE",
                "startsOn": starts.isoformat(),
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;COUNT=3",
                    "sessionMinutes": 45,
                    "modules": MODULES,
                },
                "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
            }
        },
    )
    program_id = created["createProgram"]["program"]["id"]
    opened = (
        f"""mutation($id: ID!) {{ openEnrollment(input: {{programId: $id}}) {{ {ERRORS} }} }}"""
    )
    assert (await ok(system, key, opened, {"id": program_id}))["openEnrollment"]["userErrors"] == []
    enroll = f"""mutation($input: EnrollInput!) {{ enroll(input: $input) {{ {ERRORS} }} }}"""
    for person, role in [*((m, "MENTOR") for m in mentors), *((m, "MENTEE") for m in mentees)]:
        extra = {"capacity": 1} if role == "MENTOR" else {"goals": ["strategy"]}
        answer = await ok(
            system,
            key,
            enroll,
            {"input": {"programId": program_id, "personId": ids[person], "role": role, **extra}},
        )
        assert answer["enroll"]["userErrors"] == []

    raw_program = decode_id("Program", program_id)

    async def pool_known() -> bool:
        path = f"/internal/matching/programs/{raw_program}/cohort"
        answer = await system.internal("matching", path, tenant["tenantId"])
        return answer.status_code == 200 and (
            answer.json()["mentors"],
            answer.json()["mentees"],
        ) == (
            2,
            2,
        )

    await eventually(pool_known, timeout_s=60)
    run = f"""mutation($id: ID!) {{ runMatching(input: {{programId: $id}}) {{
      matchRun {{ id }} {ERRORS} }} }}"""
    run_id = (await ok(system, key, run, {"id": program_id}))["runMatching"]["matchRun"]["id"]

    async def finished() -> Any:
        query = "query($id: ID!) { matchRun(id: $id) { status matchedMentees } }"
        found = (await ok(system, key, query, {"id": run_id}))["matchRun"]
        return found if found["status"] != "RUNNING" else None

    assert (await eventually(finished, timeout_s=90)) == {
        "status": "COMPLETED",
        "matchedMentees": 2,
    }
    query = """query($id: ID!) { program(id: $id) { matches(first: 10) { edges { node {
      id mentor { id } mentees { id } } } } } }"""
    edges = (await ok(system, key, query, {"id": program_id}))["program"]["matches"]["edges"]
    decide = f"""mutation($input: MatchDecisionInput!) {{ acceptMatch(input: $input) {{
      match {{ status }} {ERRORS} }} }}"""
    for edge in edges:
        match = edge["node"]
        for person in (match["mentees"][0]["id"], match["mentor"]["id"]):
            answer = await ok(
                system, key, decide, {"input": {"matchId": match["id"], "personId": person}}
            )
            assert answer["acceptMatch"]["userErrors"] == []
        assert answer["acceptMatch"]["match"]["status"] == "ACCEPTED"
    return {
        "program": program_id,
        "ids": ids,
        "matches": [e["node"] for e in edges],
        "mentees": mentees,
    }


async def test_a_pairs_series_is_booked_shown_held_and_fed(system: RunningSystem) -> None:
    tenant = system.create_tenant("Sessions Co")
    key = tenant["apiKey"]
    pairs = await accepted_pairs(system, tenant)
    match = pairs["matches"][0]

    async def booked(match_id: str = match["id"]) -> Any:
        series = (await ok(system, key, SERIES, {"id": match_id}))["match"]["sessions"]
        return series if len(series) == 3 else None

    series = await eventually(booked, timeout_s=60)
    # The other pair's series too (its acceptance may be applied a moment later), for the page.
    await eventually(partial(booked, pairs["matches"][1]["id"]), timeout_s=60)
    assert [s["sequence"] for s in series] == [0, 1, 2]
    assert [s["final"] for s in series] == [False, False, True]
    assert {s["status"] for s in series} == {"SCHEDULED"}
    assert [s["module"] for s in series] == MODULES  # the curriculum, in order
    assert [s["moduleIndex"] for s in series] == [0, 1, 2]
    for s in series:
        assert s["match"]["id"] == match["id"]
        zones = {a["timeZone"] for a in s["attendees"]}
        assert zones == {"Europe/London", "America/New_York"}
        starts = datetime.fromisoformat(s["startsAt"])
        ends = datetime.fromisoformat(s["endsAt"])
        assert ends - starts == timedelta(minutes=45)
        for zone in zones:  # inside everyone's default hours, Monday to Friday 09:00-17:00
            local_start, local_end = (
                starts.astimezone(ZoneInfo(zone)),
                ends.astimezone(ZoneInfo(zone)),
            )
            assert local_start.weekday() < 5 and local_start.hour >= 9
            assert (local_end.hour, local_end.minute) <= (17, 0)

    # A page of matches' sessions: one internal call per field and level.
    context, calls, http = counting_context(system, tenant["tenantId"])
    try:
        result = await schema.execute(PAGE, {"id": pairs["program"]}, context_value=context)
    finally:
        await http.aclose()
    assert result.errors is None, result.errors
    assert result.data is not None
    edges = result.data["program"]["matches"]["edges"]
    assert [len(e["node"]["sessions"]) for e in edges] == [3, 3]
    print(f"\ninternal calls for a page of matches' sessions: {dict(calls)}")
    assert calls == {
        "/internal/programs/batch": 1,
        f"/internal/matching/programs/{decode_id('Program', pairs['program'])}/matches": 1,
        "/internal/sessions/matches/sessions/batch": 1,
        "/internal/people/batch": 1,
        "/internal/matching/matches/batch": 1,
    }

    # The mentee's sessions, and their hours.
    mentee = match["mentees"][0]["id"]
    mine = await ok(
        system,
        key,
        "query($id: ID!, $from: DateTime) { person(id: $id) { sessions(from: $from) { id } "
        "workingHours { timeZone customized days { weekday start end } } } }",
        {"id": mentee, "from": datetime.now(UTC).isoformat()},
    )
    assert [s["id"] for s in mine["person"]["sessions"]] == [s["id"] for s in series]
    hours = mine["person"]["workingHours"]
    assert (hours["timeZone"], hours["customized"]) == ("America/New_York", False)
    assert [d["weekday"] for d in hours["days"]] == [0, 1, 2, 3, 4]

    # An action item agreed in the first session is on the second one's agenda.
    added = await ok(
        system,
        key,
        f"""mutation($input: AddActionItemInput!) {{ addActionItem(input: $input) {{
          actionItem {{ id text done owner {{ id }} session {{ id }} }} {ERRORS} }} }}""",
        {"input": {"sessionId": series[0]["id"], "ownerId": mentee, "text": "Draft the plan"}},
    )
    item = added["addActionItem"]["actionItem"]
    assert added["addActionItem"]["userErrors"] == []
    assert (item["text"], item["done"], item["session"]["id"]) == (
        "Draft the plan",
        False,
        series[0]["id"],
    )
    query = f"query($id: ID!) {{ session(id: $id) {{ {SESSION_FIELDS} }} }}"
    second = (await ok(system, key, query, {"id": series[1]["id"]}))["session"]
    assert [a["text"] for a in second["agenda"]] == ["Draft the plan"]

    # Held early (people do meet early), with who came.
    held = await mutate(
        system,
        key,
        "completeSession",
        "SessionRefInput",
        sessionId=series[0]["id"],
        attendance=[{"personId": mentee, "status": "ATTENDED"}],
    )
    assert held["userErrors"] == [] and held["session"]["status"] == "COMPLETED"
    assert held["session"]["heldAt"] is not None
    came = {a["person"]["externalId"]: a["status"] for a in held["session"]["attendance"]}
    [mentee_external] = [
        a["externalId"]
        for a in held["session"]["attendees"]
        if a["externalId"] != held["session"]["host"]["externalId"]
    ]
    assert came[mentee_external] == "ATTENDED"

    # Bad input changes nothing and says why.
    past = await mutate(
        system,
        key,
        "rescheduleSession",
        "RescheduleSessionInput",
        sessionId=series[1]["id"],
        startsAt="2020-01-06T15:00:00Z",
    )
    assert past["session"] is None and past["userErrors"], past
    assert past["userErrors"][0]["field"][0] == "input"

    # The feed, through the gateway, without an API key.
    issued = await ok(
        system,
        key,
        f"""mutation($input: CalendarFeedInput!) {{ issueCalendarFeed(input: $input) {{
          calendarFeed {{ url }} {ERRORS} }} }}""",
        {"input": {"personId": mentee}},
    )
    url = issued["issueCalendarFeed"]["calendarFeed"]["url"]
    assert url.startswith(f"{system.url('gateway')}/calendar/") and url.endswith(".ics")

    async def events() -> dict[str, icalendar.cal.Component]:
        answer = await system.http.get(url)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/calendar")
        feed = icalendar.Calendar.from_ical(answer.content)
        return {str(e["UID"]): e for e in feed.walk("VEVENT")}

    before = await events()
    assert len(before) >= 2
    cancelled = await mutate(
        system,
        key,
        "cancelSession",
        "SessionRefInput",
        sessionId=series[2]["id"],
        reason="travelling",
    )
    assert cancelled["session"]["status"] == "CANCELLED", cancelled
    after = await events()
    assert set(after) == set(before)  # the same events, updated in place
    changed = [uid for uid in after if after[uid].get("STATUS") == "CANCELLED"]
    assert len(changed) == 1
    assert int(after[changed[0]]["SEQUENCE"]) > int(before[changed[0]]["SEQUENCE"])

    revoke = f"""mutation($input: CalendarFeedInput!) {{ revokeCalendarFeed(input: $input) {{
      revoked {ERRORS} }} }}"""
    revoked = await ok(system, key, revoke, {"input": {"personId": mentee}})
    assert revoked["revokeCalendarFeed"] == {"revoked": True, "userErrors": []}
    assert (await system.http.get(url)).status_code == 404
    malformed = await system.http.get(f"{system.url('gateway')}/calendar/not-a-token.ics")
    assert malformed.status_code == 404
