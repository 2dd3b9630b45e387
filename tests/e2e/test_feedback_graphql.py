"""Feedback through the public GraphQL API, end to end on the real broker: an org through the
signed HRIS webhook, a program and enrollments through GraphQL, matches and held sessions as
their services publish them; then the attendees' requests in `Person.feedbackRequests`, an
answer through `submitFeedback` that moves `Program.insights`, the refusals that change
nothing, a chart fetched through the gateway's route and read as SVG, and a page of people's
requests costing one call to feedback."""

import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from contracts.matches import MatchAccepted, MatchActivated, MatchStatus
from contracts.sessions import SessionCompleted, SessionSnapshot, SessionStatus
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.schema import schema
from service_auth.tokens import Caller, TokenMinter

from tests.e2e.test_feedback_insights import employee, match_snapshot, seed_program
from tests.e2e.test_programs_graphql import ok, people_ids

pytestmark = pytest.mark.asyncio(loop_scope="session")

SVG = "{http://www.w3.org/2000/svg}"
ERRORS = "userErrors { field message code }"
REQUESTS = """query($id: ID!, $status: String) { person(id: $id) {
  feedbackRequests(status: $status) { id kind status dueAt expiresAt person { id }
    program { name } feedback { rating comment } } } }"""
INSIGHTS = """query($id: ID!) { program(id: $id) { insights {
  enrolledMentors enrolledMentees sessionsCompleted averageRating ratingResponses nps
  npsResponses requests responseRate representation minimumGroupSize method
  objectives { objective { metric target } current onTrack standing }
  series(grain: WEEK) { grain periods { period sessionsCompleted ratingResponses } }
  charts { name title svg png data } exports { csv json } } } }"""
SUBMIT = f"""mutation($input: FeedbackInput!) {{ submitFeedback(input: $input) {{
  feedback {{ id rating recommendScore comment respondent {{ id }} editableUntil }}
  {ERRORS} }} }}"""
PAGE = """{ people(first: 50) { edges { node { id
  feedbackRequests(status: "PENDING") { id kind program { id } } } } } }"""


def held_session(program: str, match_id: str, people: list[str], n: int) -> SessionSnapshot:
    now = datetime.now(UTC)
    return SessionSnapshot(
        id=f"se_{uuid.uuid4().hex}",  # as sessions mints them
        program_id=program,
        match_ids=[match_id],
        host_id=people[0],
        attendee_ids=people,
        starts_at=now - timedelta(hours=2),
        ends_at=now - timedelta(hours=1),
        status=SessionStatus.COMPLETED,
        sequence=n,
        revision=2,
        updated_at=now,
    )


async def insights_of(system: RunningSystem, key: str, program_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await ok(system, key, INSIGHTS, {"id": program_id}))["program"][
        "insights"
    ]
    return found


async def test_an_answer_through_graphql_moves_the_programs_insights(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Feedback GraphQL Co")
    key, tenant_id = tenant["apiKey"], tenant["tenantId"]
    run = uuid.uuid4().hex[:6]
    mentors = [f"FM{i}-{run}" for i in range(2)]
    mentees = [f"FP{i}-{run}" for i in range(3)]
    changes = [employee(m, level=7, department="Sales") for m in mentors]
    changes += [employee(m, level=3, department="Platform") for m in mentees]
    assert (await system.push_changes(tenant, changes)).status_code == 202
    opaque = await people_ids(system, key, mentors + mentees)
    raw = {x: decode_id("Person", v) or "" for x, v in opaque.items()}
    program = await seed_program(
        system,
        key,
        "Answered Leaders",
        opaque,
        mentors,
        mentees,
        datetime.now(UTC).date().isoformat(),
    )
    program_id = encode_id("Program", program)

    # Before anything was held: enrolled, nothing rated.
    before = await eventually(lambda: _counted(system, key, program_id, (2, 3)), timeout_s=60)
    assert (before["ratingResponses"], before["averageRating"], before["nps"]) == (0, None, None)

    # A match and a held session, as matching and sessions publish them.
    mentor, mentee = raw[mentors[0]], raw[mentees[0]]
    now = datetime.now(UTC)
    accepted = match_snapshot(program, mentor, mentee, MatchStatus.ACCEPTED, now, 1)
    accepted = accepted.model_copy(update={"id": f"mt_{uuid.uuid4().hex}"})
    await system.publish(tenant_id, MatchAccepted(match=accepted))
    active = accepted.model_copy(update={"status": MatchStatus.ACTIVE, "revision": 2})
    await system.publish(tenant_id, MatchActivated(match=active))
    held = held_session(program, accepted.id, [mentor, mentee], 0)
    await system.publish(tenant_id, SessionCompleted(session=held, completed_at=now))

    # Each attendee is asked, in Person.feedbackRequests.
    async def asked() -> Any:
        data = await ok(system, key, REQUESTS, {"id": opaque[mentees[0]], "status": "PENDING"})
        return data["person"]["feedbackRequests"]

    [request] = await eventually(asked, timeout_s=60)
    assert (request["kind"], request["status"]) == ("SESSION", "PENDING")
    assert request["person"]["id"] == opaque[mentees[0]]
    assert request["program"]["name"] == "Answered Leaders"
    assert request["feedback"] is None

    # The answer, through the sketch's submitFeedback (by session), as the integrator's key.
    answer = {
        "sessionId": encode_id("Session", held.id),
        "respondentId": opaque[mentees[0]],
        "rating": 5,
        "recommendScore": 10,
        "comment": "We planned my first quarter as a lead",
    }
    submitted = (await ok(system, key, SUBMIT, {"input": answer}))["submitFeedback"]
    assert submitted["userErrors"] == []
    assert submitted["feedback"]["rating"] == 5
    assert submitted["feedback"]["comment"] == answer["comment"]  # the key is an admin's
    assert submitted["feedback"]["respondent"]["id"] == opaque[mentees[0]]

    async def moved() -> Any:
        found = await insights_of(system, key, program_id)
        return found if found["ratingResponses"] == 1 else None

    after = await eventually(moved, timeout_s=60)
    assert after["averageRating"] == 5.0 and after["nps"] == 100.0 and after["npsResponses"] == 1
    assert after["sessionsCompleted"] == 1
    assert after["requests"] == 2 and after["responseRate"] == pytest.approx(1 / 2)
    week = [p for p in after["series"]["periods"] if p["ratingResponses"]]
    assert after["series"]["grain"] == "WEEK" and sum(p["ratingResponses"] for p in week) == 1
    # The request is answered, and its answer shows (the comment: to this admin key).
    answered = await ok(system, key, REQUESTS, {"id": opaque[mentees[0]], "status": "ANSWERED"})
    [done] = answered["person"]["feedbackRequests"]
    assert done["feedback"] == {"rating": 5, "comment": answer["comment"]}

    # A second answer, an out-of-range one and a session of nobody's: refused, nothing changes.
    again = (await ok(system, key, SUBMIT, {"input": answer}))["submitFeedback"]
    assert again["feedback"] is None
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]
    # The mentor's own request, answered out of range: each bad field named, nothing kept.
    wrong = {**answer, "respondentId": opaque[mentors[0]], "rating": 6, "recommendScore": 11}
    refused = (await ok(system, key, SUBMIT, {"input": wrong}))["submitFeedback"]
    assert refused["feedback"] is None
    assert sorted((e["field"], e["code"]) for e in refused["userErrors"]) == [
        (["input", "rating"], "INVALID"),
        (["input", "recommendScore"], "INVALID"),
    ]
    nobody = {**answer, "sessionId": encode_id("Session", f"se_{uuid.uuid4().hex}")}
    missing = (await ok(system, key, SUBMIT, {"input": nobody}))["submitFeedback"]
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [
        (["input", "sessionId"], "NOT_FOUND")
    ]
    unchanged = await insights_of(system, key, program_id)
    assert (unchanged["ratingResponses"], unchanged["averageRating"]) == (1, 5.0)

    # A chart, through the gateway's route with the API key: an SVG with its axis labels.
    links = {c["name"]: c for c in unchanged["charts"]}
    gateway = system.url("gateway")
    assert links["satisfaction"]["svg"] == (
        f"{gateway}/programs/{program_id}/charts/satisfaction.svg?grain=MONTH"
    )
    headers = {"Authorization": f"Bearer {key}"}
    svg = await system.http.get(links["satisfaction"]["svg"], headers=headers)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)  # noqa: S314 - our own service's output
    assert root.tag == f"{SVG}svg"
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert {"month (UTC)", "average rating (1-5)", "NPS (-100 to 100)"} <= texts
    assert {"Average rating", "NPS"} <= texts  # the series' legend
    png = await system.http.get(links["adoption"]["png"], headers=headers)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    csv = await system.http.get(unchanged["exports"]["csv"], headers=headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "section,figure,subgroup,period,value,n,low,high,suppressed"
    # Without the key: nothing.
    assert (await system.http.get(links["satisfaction"]["svg"])).status_code == 401

    # A page of people's requests: one call to feedback, however many people.
    context, calls, http = counting_context(system, tenant_id)
    try:
        result = await schema.execute(PAGE, context_value=context)
    finally:
        await http.aclose()
    assert result.errors is None, result.errors
    assert result.data is not None
    pending = {
        e["node"]["id"]: e["node"]["feedbackRequests"] for e in result.data["people"]["edges"]
    }
    assert len(pending) == len(mentors + mentees)
    assert len(pending[opaque[mentors[0]]]) == 1  # the mentor has not answered yet
    assert pending[opaque[mentees[0]]] == []
    assert calls["/internal/feedback/people/requests/batch"] == 1
    assert sum(n for path, n in calls.items() if path.startswith("/internal/feedback")) == 1


async def _counted(
    system: RunningSystem, key: str, program_id: str, enrolled: tuple[int, int]
) -> dict[str, Any] | None:
    body = await system.graphql(key, INSIGHTS, {"id": program_id})
    if body.get("errors"):  # feedback has not heard of the program yet
        assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE", body
        return None
    found: dict[str, Any] = body["data"]["program"]["insights"]
    return found if (found["enrolledMentors"], found["enrolledMentees"]) == enrolled else None


def counting_context(
    system: RunningSystem, tenant_id: str
) -> tuple[CairnContext, Counter[str], httpx.AsyncClient]:
    """The gateway's schema context for an admin key, calling the real services through a
    client that counts every request by path."""
    calls: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:
        calls[request.url.path] += 1

    http = httpx.AsyncClient(timeout=30, event_hooks={"request": [count]})
    minter = TokenMinter(system.stack.private_key)
    upstreams = Upstreams(
        profiles=ServiceClient(http, system.url("profiles"), "profiles", minter),
        matching=ServiceClient(http, system.url("matching"), "matching", minter),
        sessions=ServiceClient(http, system.url("sessions"), "sessions", minter),
        feedback=ServiceClient(http, system.url("feedback"), "feedback", minter),
    )
    caller = Caller(tenant_id, "apikey:e2e", ("*",))
    return CairnContext(caller=caller, upstreams=upstreams), calls, http
