"""Lists of related objects cost one internal call, however long they are: the people a
match, a run's pairs or a page of matches name are loaded in one batch per request, and
what one answer carried is not asked for again. Counted on stub services behind an httpx
MockTransport, through the real schema, context and service clients."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contracts.internal.matching import MatchRunView, ProposedPair, UnmatchedMentee
from contracts.internal.programs import ProgramView
from contracts.matches import (
    MatchOrigin,
    MatchReasonSnapshot,
    MatchRunStatus,
    MatchSnapshot,
    MatchStatus,
)
from contracts.pages import Connection, Edge, Items
from contracts.people import PersonStatus, PersonView
from contracts.programs import (
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicyTerms,
    ProgramKind,
    ProgramStatus,
)
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from pydantic import BaseModel
from service_auth.tokens import Caller, TokenMinter, generate_keypair

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PROGRAM = "7d4b5a2e-3f1c-4e8a-9b6d-0c2e4f6a8b1d"  # ids of the forms the services mint
MATCH = "mt_" + "1" * 32
RUN = "mr_" + "2" * 32
REASON = MatchReasonSnapshot(criterion="goals", contribution=0.5, explanation="shared goals")


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
        kind=ProgramKind.GROUP,
        status=ProgramStatus.MATCHING,
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


def match(key: str, mentor: str, mentees: list[str], accepted_by: list[str]) -> MatchSnapshot:
    return MatchSnapshot(
        id=key,
        program_id=PROGRAM,
        kind=ProgramKind.GROUP,
        mentor_id=mentor,
        mentee_ids=mentees,
        score=0.8,
        reasons=[REASON],
        status=MatchStatus.PROPOSED,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=accepted_by,
        proposed_at=NOW,
        expires_at=None,
        decided_at=None,
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        revision=1,
        updated_at=NOW,
    )


@dataclass
class StubServices:
    """profiles and matching as far as these queries need them; every request recorded."""

    people: dict[str, PersonView] = field(default_factory=dict)
    programs: dict[str, ProgramView] = field(default_factory=dict)
    matches: dict[str, MatchSnapshot] = field(default_factory=dict)
    runs: dict[str, MatchRunView] = field(default_factory=dict)
    pairs: list[ProposedPair] = field(default_factory=list)
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

    def _answer(self, route: tuple[str, str, str], body: Any) -> BaseModel | None:
        host, method, path = route
        if route == ("profiles", "POST", "/internal/people/batch"):
            return Items[PersonView](
                items=[self.people[k] for k in body["ids"] if k in self.people]
            )
        if route == ("profiles", "POST", "/internal/programs/batch"):
            found = [self.programs[k] for k in body["ids"] if k in self.programs]
            return Items[ProgramView](items=found)
        if host == "matching" and method == "GET":
            parts = path.removeprefix("/internal/matching/").split("/")
            if parts[0] == "matches":
                return self.matches.get(parts[1])
            if parts[0] == "runs" and len(parts) == 2:
                return self.runs.get(parts[1])
            if parts[0] == "runs" and parts[2] == "pairs":
                return Items[ProposedPair](items=self.pairs)
            if parts[0] == "programs" and parts[2] == "matches":
                edges = [
                    Edge[MatchSnapshot](cursor=f"c{m.id}", node=m) for m in self.matches.values()
                ]
                return Connection[Edge[MatchSnapshot]](
                    edges=edges, total_count=len(edges), has_next_page=False
                )
        raise AssertionError(f"unexpected call {route}")


@pytest.fixture
async def services() -> AsyncIterator[tuple[StubServices, CairnContext]]:
    stub = StubServices()
    private, _ = generate_keypair()
    minter = TokenMinter(private)
    async with httpx.AsyncClient(transport=httpx.MockTransport(stub.handle)) as http:
        upstreams = Upstreams(
            profiles=ServiceClient(http, "http://profiles", "profiles", minter),
            matching=ServiceClient(http, "http://matching", "matching", minter),
            sessions=ServiceClient(http, "http://sessions", "sessions", minter),
            feedback=ServiceClient(http, "http://feedback", "feedback", minter),
        )
        yield stub, CairnContext(caller=Caller("tenant-1", "apikey:1"), upstreams=upstreams)


async def run(context: CairnContext, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


@pytest.mark.parametrize("size", [1, 7, 40])
async def test_a_matchs_people_cost_one_call(
    services: tuple[StubServices, CairnContext], size: int
) -> None:
    stub, context = services
    mentees = [f"mentee-{i}" for i in range(size)]
    stub.people = {p.id: p for p in map(person, ["mentor", *mentees])}
    stub.matches[MATCH] = match(MATCH, "mentor", mentees, accepted_by=mentees[::2])

    data = await run(
        context,
        "query($id: ID!) { match(id: $id) { mentor { email } mentees { id email } "
        "acceptedBy { email } } }",
        id=encode_id("Match", MATCH),
    )

    assert [m["email"] for m in data["match"]["mentees"]] == [f"{k}@example.com" for k in mentees]
    assert [m["id"] for m in data["match"]["mentees"]] == [encode_id("Person", k) for k in mentees]
    assert [p["email"] for p in data["match"]["acceptedBy"]] == [
        f"{k}@example.com" for k in mentees[::2]
    ]
    assert data["match"]["mentor"] == {"email": "mentor@example.com"}
    assert stub.count("profiles", "POST", "/internal/people/batch") == 1
    [batch] = [c[3] for c in stub.calls if c[2] == "/internal/people/batch"]
    assert sorted(batch["ids"]) == sorted(["mentor", *mentees])


@pytest.mark.parametrize("size", [1, 25])
async def test_a_runs_pairs_cost_one_call_for_all_their_people(
    services: tuple[StubServices, CairnContext], size: int
) -> None:
    stub, context = services
    stub.people = {p.id: p for p in map(person, ["left-out", *(f"p{i}" for i in range(3 * size))])}
    stub.programs[PROGRAM] = program(PROGRAM)
    stub.pairs = [
        ProposedPair(
            mentor_id=f"p{3 * i}",
            mentee_ids=[f"p{3 * i + 1}", f"p{3 * i + 2}"],
            score=0.7,
            reasons=[REASON],
            cursor=str(i + 1),
        )
        for i in range(size)
    ]
    stub.runs[RUN] = MatchRunView(
        id=RUN,
        program_id=PROGRAM,
        dry_run=True,
        status=MatchRunStatus.COMPLETED,
        matched_mentees=2 * size,
        unmatched_mentees=1,
        mean_score=0.7,
        by_group={"department": {}},
        started_at=NOW,
        finished_at=NOW,
        unmatched=[UnmatchedMentee(person_id="left-out", reason="no mentor in range")],
        policy=MatchingPolicyTerms(max_level_gap=1).snapshot().model_dump(by_alias=True),
    )

    data = await run(
        context,
        "query($id: ID!) { matchRun(id: $id) { status program { name } policy { maxLevelGap } "
        "unmatched { mentee { email } reason } "
        "pairs(first: 100) { mentor { email } mentees { email } cursor } } }",
        id=encode_id("MatchRun", RUN),
    )

    run_ = data["matchRun"]
    assert (run_["status"], run_["program"], run_["policy"]) == (
        "COMPLETED",
        {"name": f"Program {PROGRAM}"},
        {"maxLevelGap": 1},
    )
    assert run_["unmatched"] == [
        {"mentee": {"email": "left-out@example.com"}, "reason": "no mentor in range"}
    ]
    assert [p["mentees"][1]["email"] for p in run_["pairs"]] == [
        f"p{3 * i + 2}@example.com" for i in range(size)
    ]
    # The pairs may arrive after the run's unmatched mentees were sent for: then their people
    # take one more call. However many pairs, all their people come in one, each asked once.
    batches = [set(c[3]["ids"]) for c in stub.calls if c[2] == "/internal/people/batch"]
    assert len(batches) <= 2
    assert any(set(stub.people) - {"left-out"} <= batch for batch in batches)
    assert sum(len(batch) for batch in batches) == len(stub.people)
    assert stub.count("profiles", "POST", "/internal/programs/batch") == 1


async def test_a_page_of_matches_loads_their_people_once_and_their_program_not_again(
    services: tuple[StubServices, CairnContext],
) -> None:
    stub, context = services
    stub.programs[PROGRAM] = program(PROGRAM)
    stub.people = {p.id: p for p in map(person, ["lead", *(f"x{i}" for i in range(12))])}
    for i in range(4):  # one mentor for every match: asked for once
        key = f"m{i}"
        stub.matches[key] = match(key, "lead", [f"x{3 * i}", f"x{3 * i + 1}", f"x{3 * i + 2}"], [])

    data = await run(
        context,
        "query($id: ID!) { program(id: $id) { name matches(first: 10) { totalCount "
        "edges { node { program { name } mentor { email } mentees { email } } } } } }",
        id=encode_id("Program", PROGRAM),
    )

    edges = data["program"]["matches"]["edges"]
    assert len(edges) == 4
    assert {e["node"]["program"]["name"] for e in edges} == {f"Program {PROGRAM}"}
    assert [len(e["node"]["mentees"]) for e in edges] == [3, 3, 3, 3]
    assert stub.count("matching", "GET", f"/internal/matching/programs/{PROGRAM}/matches") == 1
    assert stub.count("profiles", "POST", "/internal/people/batch") == 1
    assert stub.count("profiles", "POST", "/internal/programs/batch") == 1
    [batch] = [c[3] for c in stub.calls if c[2] == "/internal/people/batch"]
    assert sorted(batch["ids"]) == sorted(stub.people)  # each person asked for once
