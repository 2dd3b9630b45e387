"""Sessions through the real schema, context and service clients, on stub services behind an
httpx MockTransport: a page of matches' sessions (and of people's) costs one internal call per
field and level, however many there are; what a session names (people, program, matches) is
loaded in one batch each; the mutations send the sessions API exactly its shapes and answer
its refusals as userErrors, an id of nothing ours as NOT_FOUND without calling anything."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from contracts.internal.programs import ProgramView
from contracts.internal.sessions import (
    AttendanceView,
    MatchSessions,
    ModuleView,
    PersonSessions,
    SessionView,
    SyncView,
    WorkingDay,
    WorkingHoursView,
)
from contracts.matches import MatchOrigin, MatchSnapshot, MatchStatus
from contracts.pages import Connection, Edge, Items
from contracts.people import PersonStatus, PersonView
from contracts.programs import (
    CurriculumModuleSnapshot,
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicyTerms,
    ProgramKind,
    ProgramStatus,
)
from contracts.sessions import ActionItemSnapshot, CalendarSync, SessionStatus
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from pydantic import BaseModel
from service_auth.tokens import Caller, TokenMinter, generate_keypair

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
PROGRAM = "7d4b5a2e-3f1c-4e8a-9b6d-0c2e4f6a8b1d"
S = "/internal/sessions"


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def person(key: str) -> PersonView:
    return PersonView(
        id=key,
        external_id=f"ext-{key}",
        email=f"{key}@example.com",
        display_name=f"Person {key}",
        time_zone="Europe/London",
        status=PersonStatus.ACTIVE,
    )


def program() -> ProgramView:
    module = CurriculumModuleSnapshot(
        title="Leading change",
        discussion_guide="What changed?",
        pre_work=["Read chapter 1"],
        action_item_templates=["Name one change you will lead"],
    )
    return ProgramView(
        id=PROGRAM,
        name="Circle",
        kind=ProgramKind.ONE_ON_ONE,
        status=ProgramStatus.ACTIVE,
        description=None,
        starts_on=None,
        ends_on=None,
        objectives=[],
        curriculum=CurriculumSnapshot(
            cadence="FREQ=WEEKLY;COUNT=6", session_minutes=45, modules=[module]
        ),
        matching_policy=MatchingPolicyTerms().snapshot(),
        enrollment_window=EnrollmentWindowSnapshot(opens_at=None, closes_at=None),
        eligibility=EligibilitySnapshot(levels=[], departments=[], roles=[]),
        revision=1,
        updated_at=NOW,
        created_at=NOW,
    )


def match(n: int) -> MatchSnapshot:
    return MatchSnapshot(
        id=f"mt_{n:032x}",
        program_id=PROGRAM,
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id=uid(1000 + n),
        mentee_ids=[uid(2000 + n)],
        score=0.8,
        reasons=[],
        status=MatchStatus.ACCEPTED,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=[uid(1000 + n), uid(2000 + n)],
        proposed_at=NOW,
        expires_at=None,
        decided_at=None,
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        revision=1,
        updated_at=NOW,
    )


def item(n: int, owner: str, session_id: str, *, done: bool = False) -> ActionItemSnapshot:
    return ActionItemSnapshot(
        id=f"ai_{n:032x}",
        program_id=PROGRAM,
        session_id=session_id,
        match_ids=[],
        owner_id=owner,
        text=f"item {n}",
        due_on=None,
        done=done,
        revision=1,
        updated_at=NOW,
    )


def session(m: MatchSnapshot, seq: int) -> SessionView:
    session_id = f"se_{int(m.id[3:], 16) * 100 + seq:032x}"
    host, mentee = m.mentor_id, m.mentee_ids[0]
    return SessionView(
        id=session_id,
        program_id=PROGRAM,
        match_ids=[m.id],
        host_id=host,
        attendee_ids=[host, mentee],
        starts_at=NOW + timedelta(weeks=seq),
        ends_at=NOW + timedelta(weeks=seq, minutes=45),
        status=SessionStatus.SCHEDULED if seq else SessionStatus.COMPLETED,
        sequence=seq,
        module=ModuleView(
            index=0, title="Leading change", discussion_guide="What changed?", pre_work=["Read"]
        ),
        final=seq == 2,
        revision=1,
        updated_at=NOW,
        agenda=[item(seq, mentee, session_id)] if seq else [],
        action_items=[item(100 + seq, host, session_id)],
        attendance=[AttendanceView(person_id=host, status=None)],
        sync=[SyncView(person_id=mentee, provider="GOOGLE", state=CalendarSync.FAILED, error="x")],
    )


@dataclass
class Stub:
    """profiles, matching and sessions as these operations need them; every call recorded.
    `answers` overrides by (method, path): a status and a JSON body."""

    people: dict[str, PersonView] = field(default_factory=dict)
    matches: dict[str, MatchSnapshot] = field(default_factory=dict)
    sessions: dict[str, list[SessionView]] = field(default_factory=dict)  # by match id
    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, str, Any, dict[str, Any]]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        route = (request.url.host, request.method, request.url.path)
        self.calls.append((*route, body, dict(request.url.params.multi_items())))
        if (request.method, request.url.path) in self.answers:
            status, content = self.answers[(request.method, request.url.path)]
            return httpx.Response(status, json=content)
        answer = self._answer(route, body)
        if answer is None:
            return httpx.Response(404, json={"title": "Not Found", "status": 404})
        return httpx.Response(200, content=answer.model_dump_json(by_alias=True))

    def count(self, path: str) -> int:
        return Counter(call[2] for call in self.calls)[path]

    def all_sessions(self) -> list[SessionView]:
        return [s for series in self.sessions.values() for s in series]

    def _answer(self, route: tuple[str, str, str], body: Any) -> BaseModel | None:
        path = route[2]
        if path == "/internal/people/batch":
            return Items[PersonView](items=[self.people[k] for k in body["ids"]])
        if path == "/internal/programs/batch":
            return Items[ProgramView](items=[program()])
        if path == "/internal/matching/matches/batch":
            return Items[MatchSnapshot](items=[self.matches[k] for k in body["ids"]])
        if path.startswith("/internal/matching/matches/"):
            return self.matches.get(path.rsplit("/", 1)[1])
        if path.startswith("/internal/matching/programs/"):
            edges = [Edge[MatchSnapshot](cursor=m.id, node=m) for m in self.matches.values()]
            return Connection[Edge[MatchSnapshot]](
                edges=edges, total_count=len(edges), has_next_page=False
            )
        if path == f"{S}/matches/sessions/batch":
            return Items[MatchSessions](
                items=[MatchSessions(match_id=k, items=self.sessions[k]) for k in body["matchIds"]]
            )
        if path == f"{S}/people/sessions/batch":
            return Items[PersonSessions](
                items=[
                    PersonSessions(
                        person_id=p, items=[s for s in self.all_sessions() if p in s.attendee_ids]
                    )
                    for p in body["personIds"]
                ]
            )
        if path == f"{S}/sessions/batch":
            found = {s.id: s for s in self.all_sessions()}
            return Items[SessionView](items=[found[k] for k in body["ids"] if k in found])
        if path == f"{S}/sessions":
            edges = [Edge[SessionView](cursor=s.id, node=s) for s in self.all_sessions()]
            return Connection[Edge[SessionView]](
                edges=edges, total_count=len(edges), has_next_page=False
            )
        if path.endswith("/working-hours"):
            return WorkingHoursView(
                person_id=path.split("/")[-2],
                time_zone="Europe/London",
                days=[WorkingDay(weekday=0, start="09:00", end="17:00")],
                customized=False,
            )
        raise AssertionError(f"unexpected call {route}")


@pytest.fixture
async def services() -> AsyncIterator[tuple[Stub, CairnContext]]:
    stub = Stub()
    minter = TokenMinter(generate_keypair()[0])
    async with httpx.AsyncClient(transport=httpx.MockTransport(stub.handle)) as http:
        upstreams = Upstreams(
            profiles=ServiceClient(http, "http://profiles", "profiles", minter),
            matching=ServiceClient(http, "http://matching", "matching", minter),
            sessions=ServiceClient(http, "http://sessions", "sessions", minter),
            feedback=ServiceClient(http, "http://feedback", "feedback", minter),
        )
        context = CairnContext(
            caller=Caller("tenant-1", "apikey:1"),
            upstreams=upstreams,
            public_base_url="https://cairn.example",
        )
        yield stub, context


def cohort(stub: Stub, matches: int, per_match: int = 3) -> list[MatchSnapshot]:
    made = [match(n) for n in range(1, matches + 1)]
    for m in made:
        stub.matches[m.id] = m
        stub.sessions[m.id] = [session(m, seq) for seq in range(per_match)]
        for key in [m.mentor_id, *m.mentee_ids]:
            stub.people[key] = person(key)
    return made


async def run(context: CairnContext, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


PAGE_OF_MATCHES_SESSIONS = """query($id: ID!) { program(id: $id) { matches(first: 12) { edges {
  node { id sessions { id status sequence final startsAt host { email }
    module { title discussionGuide preWork actionItemTemplates } moduleIndex
    agenda { text done owner { email } } match { id } program { name } } } } } } }"""
ONE_MATCHS_SESSIONS = """query($id: ID!) { match(id: $id) { sessions { attendees { email }
  actionItems { text owner { email } } attendance { person { email } status }
  syncStates { person { email } provider state error } } } }"""


@pytest.mark.parametrize("size", [1, 12])
async def test_a_page_of_matches_sessions_costs_one_call_per_field_and_level(
    services: tuple[Stub, CairnContext], size: int
) -> None:
    stub, context = services
    made = cohort(stub, size)

    data = await run(context, PAGE_OF_MATCHES_SESSIONS, id=encode_id("Program", PROGRAM))

    edges = data["program"]["matches"]["edges"]
    assert len(edges) == size
    for edge, m in zip(edges, made, strict=True):
        series = edge["node"]["sessions"]
        assert [s["sequence"] for s in series] == [0, 1, 2]  # the series in order
        assert [s["final"] for s in series] == [False, False, True]
        assert {s["match"]["id"] for s in series} == {edge["node"]["id"]}
        first, second = series[0], series[1]
        assert first["status"] == "COMPLETED" and second["status"] == "SCHEDULED"
        assert first["host"] == {"email": f"{m.mentor_id}@example.com"}
        assert first["module"] == {
            "title": "Leading change",
            "discussionGuide": "What changed?",
            "preWork": ["Read"],
            "actionItemTemplates": ["Name one change you will lead"],  # the program's
        }
        assert second["agenda"] == [
            {"text": "item 1", "done": False, "owner": {"email": f"{m.mentee_ids[0]}@example.com"}}
        ]
        assert first["program"] == {"name": "Circle"}
        assert first["moduleIndex"] == 0
    # One call per field and level, however many matches and sessions.
    assert stub.count(f"{S}/matches/sessions/batch") == 1
    assert stub.count("/internal/matching/matches/batch") == 1
    assert stub.count("/internal/people/batch") == 1
    assert stub.count("/internal/programs/batch") == 1
    [asked] = [c[3] for c in stub.calls if c[2] == f"{S}/matches/sessions/batch"]
    assert asked == {"matchIds": [m.id for m in made]}


async def test_a_sessions_people_come_in_one_batch(services: tuple[Stub, CairnContext]) -> None:
    stub, context = services
    [m] = cohort(stub, 1)
    host, mentee = f"{m.mentor_id}@example.com", f"{m.mentee_ids[0]}@example.com"

    data = await run(context, ONE_MATCHS_SESSIONS, id=encode_id("Match", m.id))

    first = data["match"]["sessions"][0]
    assert first == {
        "attendees": [{"email": host}, {"email": mentee}],
        "actionItems": [{"text": "item 100", "owner": {"email": host}}],
        "attendance": [{"person": {"email": host}, "status": None}],
        "syncStates": [
            {"person": {"email": mentee}, "provider": "GOOGLE", "state": "FAILED", "error": "x"}
        ],
    }
    assert stub.count("/internal/people/batch") == 1


async def test_a_page_of_peoples_sessions_is_one_call_per_window(
    services: tuple[Stub, CairnContext],
) -> None:
    stub, context = services
    made = cohort(stub, 5)
    edges = [Edge[PersonView](cursor=k, node=p) for k, p in stub.people.items()]
    stub.answers[("GET", "/internal/people")] = (
        200,
        json.loads(
            Connection[Edge[PersonView]](
                edges=edges, total_count=len(edges), has_next_page=False
            ).model_dump_json(by_alias=True)
        ),
    )

    data = await run(
        context,
        "query($from: DateTime) { people(first: 20) { edges { node { email "
        "upcoming: sessions(from: $from, first: 2) { id } "
        "all: sessions(from: $from) { id } "
        "workingHours { timeZone customized days { weekday start end } } } } } }",
        **{"from": NOW.isoformat()},
    )

    nodes = [edge["node"] for edge in data["people"]["edges"]]
    assert len(nodes) == 10
    for node in nodes:
        assert len(node["all"]) == 3 and node["upcoming"] == node["all"][:2]  # `first` kept
        assert node["workingHours"]["days"] == [{"weekday": 0, "start": "09:00", "end": "17:00"}]
    # Both windows are the same window: one call for every person and both fields.
    assert stub.count(f"{S}/people/sessions/batch") == 1
    [asked] = [c[3] for c in stub.calls if c[2] == f"{S}/people/sessions/batch"]
    assert sorted(asked["personIds"]) == sorted(stub.people)
    assert asked["from"] == NOW.isoformat() and asked["to"] is None
    mentor = made[0].mentor_id
    assert stub.count(f"{S}/people/{mentor}/working-hours") == 1


async def test_one_session_and_the_sessions_of_a_filter(
    services: tuple[Stub, CairnContext],
) -> None:
    stub, context = services
    [m] = cohort(stub, 1)
    wanted = stub.sessions[m.id][1]

    one = await run(
        context,
        "query($id: ID!) { session(id: $id) { id sequence agenda { session { id } } } }",
        id=encode_id("Session", wanted.id),
    )
    listed = await run(
        context,
        "query($p: ID, $m: ID) { "
        "sessions(personId: $p, matchId: $m, status: [SCHEDULED], first: 5) { id } "
        "sessionsPage(personId: $p, first: 5) { totalCount edges { cursor node { id } } } }",
        p=encode_id("Person", m.mentor_id),
        m=encode_id("Match", m.id),
    )

    assert one["session"]["id"] == encode_id("Session", wanted.id)
    # The session its agenda item names was already known: not asked for again.
    assert one["session"]["agenda"] == [{"session": {"id": encode_id("Session", wanted.id)}}]
    assert stub.count(f"{S}/sessions/batch") == 1
    assert len(listed["sessions"]) == 3 and listed["sessionsPage"]["totalCount"] == 3
    params = [c[4] for c in stub.calls if c[2] == f"{S}/sessions"]
    assert sorted(params, key=len) == [
        {"personId": m.mentor_id, "first": "5"},
        {"personId": m.mentor_id, "matchId": m.id, "status": "SCHEDULED", "first": "5"},
    ]


async def test_an_id_of_nothing_ours_is_null_or_empty_without_a_call(
    services: tuple[Stub, CairnContext],
) -> None:
    stub, context = services
    match_id, program_id = encode_id("Match", "mt_" + "1" * 32), encode_id("Program", PROGRAM)
    data = await run(
        context,
        f'query {{ a: session(id: "bm9wZQ") {{ id }} b: session(id: "{match_id}") {{ id }} '
        f'sessions(personId: "{program_id}") {{ id }} rsvps(sessionId: "x") {{ status }} '
        'calendarConnections(personId: "x") { id } }',
    )
    assert data == {"a": None, "b": None, "sessions": [], "rsvps": [], "calendarConnections": []}
    assert stub.calls == []
