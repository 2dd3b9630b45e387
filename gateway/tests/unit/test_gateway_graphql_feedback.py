"""Feedback's reads through the real schema, context and service clients, on stub services
behind an httpx MockTransport: a page of people's requests, a list of programs' insights and a
page of matches' flags each cost one call to feedback (per program for flags); comments,
insights and flags reach the tenant's admins only."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from contracts.feedback import EvidenceKind, FeedbackRequestKind, FlagEvidence, FlagReason
from contracts.internal.feedback import (
    ChartLinkView,
    ChartName,
    FeedbackRequestStatus,
    FeedbackRequestView,
    FeedbackView,
    FlagView,
    ObjectiveProgressView,
    ObjectiveStanding,
    PersonFeedbackRequests,
    ProgramInsightsView,
    RepresentationView,
    ShareView,
)
from contracts.internal.matching import PersonMatches
from contracts.internal.programs import ProgramView
from contracts.internal.sessions import SessionView
from contracts.matches import MatchOrigin, MatchSnapshot, MatchStatus
from contracts.pages import Connection, Edge, Items
from contracts.people import PersonStatus, PersonView
from contracts.programs import (
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicyTerms,
    ObjectiveMetric,
    ProgramKind,
    ProgramStatus,
)
from contracts.sessions import SessionKind, SessionStatus
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.schema import schema
from pydantic import BaseModel
from service_auth.tokens import Caller, TokenMinter, generate_keypair

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PROGRAM = "7d4b5a2e-3f1c-4e8a-9b6d-0c2e4f6a8b1d"
SESSION = "se_" + "5" * 32
RESPONSE = "0b1c2d3e-4f50-4617-8899-aabbccddeeff"
PEOPLE = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(12)]
BASE = "https://cairn.example.com"


def person(key: str) -> PersonView:
    return PersonView(
        id=key,
        external_id=f"ext-{key}",
        email=f"{key}@example.com",
        display_name=f"Person {key}",
        time_zone="Europe/Berlin",
        status=PersonStatus.ACTIVE,
    )


def program(key: str) -> ProgramView:
    return ProgramView(
        id=key,
        name=f"Program {key}",
        kind=ProgramKind.ONE_ON_ONE,
        status=ProgramStatus.ACTIVE,
        description=None,
        starts_on=None,
        ends_on=None,
        objectives=[],
        curriculum=CurriculumSnapshot(
            cadence="FREQ=WEEKLY;COUNT=6", session_minutes=45, modules=[]
        ),
        matching_policy=MatchingPolicyTerms().snapshot(),
        enrollment_window=EnrollmentWindowSnapshot(opens_at=None, closes_at=None),
        eligibility=EligibilitySnapshot(levels=[], departments=[], roles=[]),
        revision=1,
        updated_at=NOW,
        created_at=NOW,
    )


def match(key: str, mentor: str, mentees: list[str]) -> MatchSnapshot:
    return MatchSnapshot(
        id=key,
        program_id=PROGRAM,
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id=mentor,
        mentee_ids=mentees,
        score=0.8,
        reasons=[],
        status=MatchStatus.ACTIVE,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=[mentor, *mentees],
        proposed_at=NOW,
        expires_at=None,
        decided_at=None,
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        revision=1,
        updated_at=NOW,
    )


def request_view(key: str, person_id: str, match_id: str | None = None) -> FeedbackRequestView:
    return FeedbackRequestView(
        id=key,
        program_id=PROGRAM,
        kind=FeedbackRequestKind.SESSION,
        respondent_id=person_id,
        match_id=match_id,
        session_id=SESSION,
        requested_at=NOW,
        expires_at=NOW + timedelta(days=14),
        due_at=NOW + timedelta(days=7),
        status=FeedbackRequestStatus.PENDING,
    )


def feedback_view(respondent: str, comment: str | None = "too many meetings") -> FeedbackView:
    return FeedbackView(
        id=RESPONSE,
        request_id="r-1",
        program_id=PROGRAM,
        kind=FeedbackRequestKind.SESSION,
        session_id=SESSION,
        respondent_id=respondent,
        rating=4,
        recommend_score=9,
        comment=comment,
        revision=1,
        submitted_at=NOW,
        updated_at=NOW,
        editable_until=NOW + timedelta(hours=48),
    )


def session_view(key: str, host: str, mentee: str) -> SessionView:
    return SessionView(
        id=key,
        program_id=PROGRAM,
        kind=SessionKind.ONE_ON_ONE,
        match_ids=[],
        host_id=host,
        attendee_ids=[host, mentee],
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW - timedelta(days=1) + timedelta(minutes=45),
        status=SessionStatus.COMPLETED,
        sequence=0,
        final=False,
        revision=1,
        updated_at=NOW,
        agenda=[],
        action_items=[],
        attendance=[],
    )


def insights_view(program_id: str) -> ProgramInsightsView:
    hidden = ShareView(suppressed=True)
    return ProgramInsightsView(
        program_id=program_id,
        as_of=NOW,
        minimum_group_size=5,
        enrolled_mentors=6,
        enrolled_mentees=9,
        enrolled_peers=0,
        open_matches=2,
        active_matches=4,
        sessions_completed=11,
        sessions_per_active_match=2.75,
        average_rating=4.2,
        rating_responses=10,
        nps=30.0,
        nps_responses=10,
        requests=14,
        response_rate=10 / 14,
        representation=RepresentationView(
            mentees=ShareView(count=5, of=9, share=5 / 9), mentors=hidden, promoted=hidden
        ),
        outcomes=[],
        method="coarsened exact matching",
        objectives=[
            ObjectiveProgressView(
                metric=ObjectiveMetric.SATISFACTION,
                target=4.0,
                due_on=date(2026, 6, 30),
                current=4.2,
                standing=ObjectiveStanding.ON_TRACK,
                on_track=True,
            )
        ],
        charts=[
            ChartLinkView(name=n, title=n.value.title(), svg="/x.svg", png="/x.png")
            for n in ChartName
        ],
    )


def flag(key: str, match_id: str) -> FlagView:
    return FlagView(
        id=key,
        match_id=match_id,
        program_id=PROGRAM,
        reason_code=FlagReason.LOW_SESSION_RATING,
        reason="a session was rated 1",
        flagged_by="early-warning",
        flagged_at=NOW,
        evidence=[FlagEvidence(kind=EvidenceKind.RATING, ref_id=RESPONSE, at=NOW, detail="1")],
    )


@dataclass
class StubServices:
    people: dict[str, PersonView] = field(default_factory=dict)
    programs: dict[str, ProgramView] = field(default_factory=dict)
    matches: dict[str, MatchSnapshot] = field(default_factory=dict)
    requests: dict[str, list[FeedbackRequestView]] = field(default_factory=dict)
    responses: dict[str, FeedbackView] = field(default_factory=dict)
    insights: dict[str, ProgramInsightsView] = field(default_factory=dict)
    flags: list[FlagView] = field(default_factory=list)
    sessions: dict[str, SessionView] = field(default_factory=dict)
    calls: list[tuple[str, str, str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        route = (request.url.host, request.method, request.url.path)
        self.calls.append((*route, body))
        answer = self._answer(route, body)
        if answer is None:
            return httpx.Response(404, json={"title": "Not Found", "status": 404})
        return httpx.Response(200, content=answer.model_dump_json(by_alias=True))

    def count(self, host: str, method: str, path: str) -> int:
        return Counter(call[:3] for call in self.calls)[(host, method, path)]

    def feedback_calls(self) -> list[tuple[str, str, str, Any]]:
        return [c for c in self.calls if c[0] == "feedback"]

    def _answer(self, route: tuple[str, str, str], body: Any) -> BaseModel | None:
        people_requests = "/internal/feedback/people/requests/batch"
        match route:
            case ("profiles", "POST", "/internal/people/batch"):
                return Items[PersonView](items=[self.people[k] for k in body["ids"]])
            case ("profiles", "POST", "/internal/programs/batch"):
                return Items[ProgramView](items=[self.programs[k] for k in body["ids"]])
            case ("profiles", "GET", "/internal/people"):
                edges = [Edge[PersonView](cursor=p.id, node=p) for p in self.people.values()]
                return Connection[Edge[PersonView]](
                    edges=edges, total_count=len(edges), has_next_page=False
                )
            case ("profiles", "GET", "/internal/programs"):
                return Items[ProgramView](items=list(self.programs.values()))
            case ("matching", "POST", "/internal/matching/people/matches/batch"):
                return Items[PersonMatches](
                    items=[
                        PersonMatches(
                            person_id=k,
                            items=[m for m in self.matches.values() if k in m.mentee_ids],
                        )
                        for k in body["personIds"]
                    ]
                )
            case ("matching", "GET", _) if route[2].endswith("/matches"):
                edges = [Edge[MatchSnapshot](cursor=m.id, node=m) for m in self.matches.values()]
                return Connection[Edge[MatchSnapshot]](
                    edges=edges, total_count=len(edges), has_next_page=False
                )
            case ("feedback", "POST", path) if path == people_requests:
                return Items[PersonFeedbackRequests](
                    items=[
                        PersonFeedbackRequests(person_id=k, items=self.requests.get(k, []))
                        for k in body["personIds"]
                    ]
                )
            case ("feedback", "POST", "/internal/feedback/responses/batch"):
                found = [self.responses[k] for k in body["ids"] if k in self.responses]
                return Items[FeedbackView](items=found)
            case ("feedback", "POST", "/internal/feedback/programs/insights/batch"):
                found = [self.insights[k] for k in body["programIds"] if k in self.insights]
                return Items[ProgramInsightsView](items=found)
            case ("sessions", "POST", "/internal/sessions/sessions/batch"):
                found_sessions = [self.sessions[k] for k in body["ids"] if k in self.sessions]
                return Items[SessionView](items=found_sessions)
            case ("feedback", "GET", path) if path.endswith("/flags"):
                return Items[FlagView](items=self.flags)
        raise AssertionError(f"unexpected call {route}")


@pytest.fixture
async def stub() -> AsyncIterator[tuple[StubServices, httpx.AsyncClient, TokenMinter]]:
    services = StubServices()
    minter = TokenMinter(generate_keypair()[0])
    async with httpx.AsyncClient(transport=httpx.MockTransport(services.handle)) as http:
        yield services, http, minter


def context(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter], scopes: tuple[str, ...] = ("*",)
) -> CairnContext:
    _, http, minter = stub
    upstreams = Upstreams(
        profiles=ServiceClient(http, "http://profiles", "profiles", minter),
        matching=ServiceClient(http, "http://matching", "matching", minter),
        sessions=ServiceClient(http, "http://sessions", "sessions", minter),
        feedback=ServiceClient(http, "http://feedback", "feedback", minter),
    )
    return CairnContext(
        caller=Caller("tenant-1", "apikey:1", scopes), upstreams=upstreams, public_base_url=BASE
    )


async def execute(context: CairnContext, query: str, **variables: Any) -> Any:
    return await schema.execute(query, variable_values=variables, context_value=context)


async def run(context: CairnContext, query: str, **variables: Any) -> dict[str, Any]:
    result = await execute(context, query, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


PAGE_OF_REQUESTS = """{ people(first: 20) { edges { node { externalId
  feedbackRequests(status: "pending") { id kind status dueAt person { externalId }
    match { id } program { name } } } } } }"""


@pytest.mark.parametrize("size", [1, 12])
async def test_a_page_of_peoples_requests_is_one_call_to_feedback(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter], size: int
) -> None:
    services = stub[0]
    people = PEOPLE[:size]
    services.people = {k: person(k) for k in ["mentor", *people]}
    services.programs = {PROGRAM: program(PROGRAM)}
    services.matches = {
        f"mt_{i:032x}": match(f"mt_{i:032x}", "mentor", [k]) for i, k in enumerate(people)
    }
    services.requests = {
        k: [request_view(f"rq-{i}", k, f"mt_{i:032x}")] for i, k in enumerate(people)
    }

    data = await run(context(stub), PAGE_OF_REQUESTS)

    rows = [e["node"] for e in data["people"]["edges"] if e["node"]["feedbackRequests"]]
    assert len(rows) == size
    for i, row in enumerate(rows):
        [asked] = row["feedbackRequests"]
        assert asked["id"] == encode_id("FeedbackRequest", f"rq-{i}")
        assert (asked["kind"], asked["status"]) == ("SESSION", "PENDING")
        assert asked["person"]["externalId"] == row["externalId"]
        assert asked["match"]["id"] == encode_id("Match", f"mt_{i:032x}")
        assert asked["program"]["name"] == f"Program {PROGRAM}"
    batch = "/internal/feedback/people/requests/batch"
    assert services.count("feedback", "POST", batch) == 1
    [body] = [c[3] for c in services.calls if c[2] == batch]
    assert sorted(body["personIds"]) == sorted(services.people) and body["status"] == ["PENDING"]
    # The matches they name: one call for everyone; programs, one for all.
    assert services.count("matching", "POST", "/internal/matching/people/matches/batch") == 1
    assert services.count("profiles", "POST", "/internal/programs/batch") == 1


async def test_answers_of_a_page_of_requests_are_one_call_and_know_their_request(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    services = stub[0]
    services.people = {k: person(k) for k in PEOPLE[:3]}
    answered = request_view("rq-1", PEOPLE[0]).model_copy(update={"response_id": RESPONSE})
    services.requests = {PEOPLE[0]: [answered, request_view("rq-2", PEOPLE[0])]}
    services.responses = {RESPONSE: feedback_view(PEOPLE[0])}

    data = await run(
        context(stub),
        "{ people(first: 5) { edges { node { feedbackRequests { id "
        "feedback { rating request { id } } } } } } }",
    )

    asked = [r for e in data["people"]["edges"] for r in e["node"]["feedbackRequests"]]
    assert [r["feedback"] for r in asked] == [
        {"rating": 4, "request": {"id": encode_id("FeedbackRequest", "rq-1")}},
        None,
    ]
    assert services.count("feedback", "POST", "/internal/feedback/responses/batch") == 1
    assert [c[2] for c in services.feedback_calls()] == [
        "/internal/feedback/people/requests/batch",
        "/internal/feedback/responses/batch",
    ]


async def test_the_sessions_of_a_page_of_requests_and_answers_are_one_call_to_sessions(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    services = stub[0]
    people = PEOPLE[:6]
    services.people = {k: person(k) for k in ["mentor", *people]}
    held = {k: f"se_{i:032x}" for i, k in enumerate(people)}
    services.sessions = {held[k]: session_view(held[k], "mentor", k) for k in people}
    pulse = request_view("rq-pulse", people[0]).model_copy(
        update={"kind": FeedbackRequestKind.PULSE, "session_id": None}
    )
    services.requests = {
        k: [
            request_view(f"rq-{i}", k).model_copy(
                update={"session_id": held[k], "response_id": f"{RESPONSE[:-2]}{i:02x}"}
            )
        ]
        for i, k in enumerate(people)
    }
    services.requests[people[0]].append(pulse)
    services.responses = {
        f"{RESPONSE[:-2]}{i:02x}": feedback_view(k).model_copy(
            update={"id": f"{RESPONSE[:-2]}{i:02x}", "session_id": held[k]}
        )
        for i, k in enumerate(people)
    }

    data = await run(
        context(stub),
        "{ people(first: 10) { edges { node { id feedbackRequests { kind "
        "session { id status host { externalId } } feedback { session { id } } } } } } }",
    )

    for edge in data["people"]["edges"]:
        key = decode_id("Person", edge["node"]["id"])
        for asked in edge["node"]["feedbackRequests"]:
            if asked["kind"] == "PULSE":  # a pulse follows no session
                assert asked["session"] is None and asked["feedback"] is None
                continue
            session_id = encode_id("Session", held[str(key)])
            assert asked["session"] == {
                "id": session_id,
                "status": "COMPLETED",
                "host": {"externalId": "ext-mentor"},
            }
            assert asked["feedback"] == {"session": {"id": session_id}}
    # Every request's and answer's session: one call to sessions, each session asked once.
    assert services.count("sessions", "POST", "/internal/sessions/sessions/batch") == 1
    [body] = [c[3] for c in services.calls if c[0] == "sessions"]
    assert sorted(body["ids"]) == sorted(held.values())


async def test_an_unknown_request_status_is_refused_naming_the_argument(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    stub[0].people = {PEOPLE[0]: person(PEOPLE[0])}
    result = await execute(
        context(stub),
        'query($id: ID!) { person(id: $id) { feedbackRequests(status: "LOST") { id } } }',
        id=encode_id("Person", PEOPLE[0]),
    )
    assert result.errors is not None
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "field": "status"}
    assert "PENDING" in error.message
    assert stub[0].feedback_calls() == []


ANSWER = """query($id: ID!) { feedback(id: $id) { rating recommendScore comment tags
  respondent { externalId } editableUntil } }"""


@pytest.mark.parametrize(
    ("scopes", "shown"), [(("*",), True), (("feedback:admin",), True), (("people:read",), False)]
)
async def test_a_comment_is_shown_to_the_tenants_admins_only(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
    scopes: tuple[str, ...],
    shown: bool,
) -> None:
    services = stub[0]
    services.people = {PEOPLE[1]: person(PEOPLE[1])}
    # Even were feedback to answer it, a caller who is no admin never sees the comment.
    services.responses = {RESPONSE: feedback_view(PEOPLE[1])}

    data = await run(context(stub, scopes), ANSWER, id=encode_id("Feedback", RESPONSE))

    assert data["feedback"]["comment"] == ("too many meetings" if shown else None)
    assert data["feedback"]["rating"] == 4 and data["feedback"]["recommendScore"] == 9


PROGRAMS_INSIGHTS = """{ programs { id insights { enrolledMentors enrolledMentees
  participationRate activeMatches sessionsCompleted sessionsPerActiveMatch averageRating nps
  ratingResponses npsResponses responseRate representation minimumGroupSize method
  objectives { objective { metric target dueOn } current onTrack standing }
  charts(grain: WEEK) { name svg png data } exports { csv json } } } }"""


async def test_a_list_of_programs_insights_is_one_call_with_absolute_chart_links(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    services = stub[0]
    keys = [PROGRAM, "11111111-2222-4333-8444-555555555555", "99999999-2222-4333-8444-555555555555"]
    services.programs = {k: program(k) for k in keys}
    services.insights = {k: insights_view(k) for k in keys}

    data = await run(context(stub), PROGRAMS_INSIGHTS)

    assert services.count("feedback", "POST", "/internal/feedback/programs/insights/batch") == 1
    [body] = [c[3] for c in services.feedback_calls()]
    assert sorted(body["programIds"]) == sorted(keys)
    for shown in data["programs"]:
        insights = shown["insights"]
        assert (insights["enrolledMentors"], insights["nps"], insights["npsResponses"]) == (
            6,
            30.0,
            10,
        )
        assert insights["representation"]["mentors"] == {
            "count": None,
            "of": None,
            "share": None,
            "suppressed": True,
        }
        assert insights["objectives"] == [
            {
                "objective": {"metric": "SATISFACTION", "target": 4.0, "dueOn": "2026-06-30"},
                "current": 4.2,
                "onTrack": True,
                "standing": "ON_TRACK",
            }
        ]
        at = f"{BASE}/programs/{shown['id']}"
        charts = {c["name"]: c for c in insights["charts"]}
        assert charts["adoption"]["svg"] == f"{at}/charts/adoption.svg?grain=WEEK"
        assert charts["satisfaction"]["png"] == f"{at}/charts/satisfaction.png?grain=WEEK"
        assert charts["outcomes"]["data"] == f"{at}/charts/outcomes.json"
        assert insights["exports"] == {"csv": f"{at}/insights.csv", "json": f"{at}/insights.json"}


async def test_insights_are_for_admins_only(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    stub[0].programs = {PROGRAM: program(PROGRAM)}
    result = await execute(
        context(stub, ("people:read",)),
        "query($id: ID!) { program(id: $id) { name insights { nps } } }",
        id=encode_id("Program", PROGRAM),
    )
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "NOT_FOUND"}]
    assert stub[0].feedback_calls() == []


MATCH_FLAGS = """query($id: ID!) { program(id: $id) { matches(first: 20) { edges { node { id
  flags { reasonCode reason flaggedBy { id } evidence { kind refId detail } } } } } } }"""


async def test_a_page_of_matches_flags_is_one_call_and_for_admins_only(
    stub: tuple[StubServices, httpx.AsyncClient, TokenMinter],
) -> None:
    services = stub[0]
    services.programs = {PROGRAM: program(PROGRAM)}
    keys = [f"mt_{i:032x}" for i in range(6)]
    services.matches = {k: match(k, "mentor", [PEOPLE[0]]) for k in keys}
    services.flags = [flag("f-1", keys[1]), flag("f-2", keys[4])]

    data = await run(context(stub), MATCH_FLAGS, id=encode_id("Program", PROGRAM))

    flags = {e["node"]["id"]: e["node"]["flags"] for e in data["program"]["matches"]["edges"]}
    assert flags[encode_id("Match", keys[0])] == []
    assert flags[encode_id("Match", keys[1])] == [
        {
            "reasonCode": "LOW_SESSION_RATING",
            "reason": "a session was rated 1",
            "flaggedBy": None,
            "evidence": [{"kind": "RATING", "refId": RESPONSE, "detail": "1"}],
        }
    ]
    assert services.count("feedback", "GET", f"/internal/feedback/programs/{PROGRAM}/flags") == 1

    services.calls.clear()
    data = await run(context(stub, ("people:read",)), MATCH_FLAGS, id=encode_id("Program", PROGRAM))
    assert all(e["node"]["flags"] is None for e in data["program"]["matches"]["edges"])
    assert services.feedback_calls() == []


def test_ids_of_feedback_round_trip() -> None:
    for type_name, key in (
        ("Session", SESSION),
        ("Feedback", RESPONSE),
        ("FeedbackRequest", RESPONSE),
    ):
        assert decode_id(type_name, encode_id(type_name, key)) == key
        assert decode_id(type_name, encode_id(type_name, "../x")) is None
