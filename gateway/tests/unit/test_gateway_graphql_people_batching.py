"""A page of people with their per-person fields costs one internal call per field and level,
however many people the page has: history, managers, reports and direct reports (first
pages), matches, enrollments and manager each come from one batch call, and each person gets
their own answer. Counted on stub services behind an httpx MockTransport, through the real
schema, context, loaders and service clients."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from contracts.enrollments import EnrollmentSnapshot, EnrollmentStatus
from contracts.internal.matching import PersonMatches
from contracts.internal.people import (
    PersonChangeRecord,
    PersonDirectReports,
    PersonHistory,
    PersonManagers,
    PersonReports,
    ReportEdge,
)
from contracts.matches import MatchOrigin, MatchSnapshot, MatchStatus
from contracts.pages import Connection, Edge, Items
from contracts.people import PersonStatus, PersonView
from contracts.programs import ParticipantRole, ProgramKind
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.schema import schema
from pydantic import BaseModel
from service_auth.tokens import Caller, TokenMinter, generate_keypair

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
FIELDS = """
    history { field to }
    managers { displayName }
    manager { displayName }
    reports(first: 3) { totalCount edges { depth node { displayName } } }
    directReports(first: 2) { totalCount edges { node { displayName } } }
    matches(status: [PROPOSED]) { score }
    enrollments { role }
"""


def person(i: int) -> PersonView:
    return PersonView(
        id=f"p{i}",
        external_id=f"E{i}",
        email=f"p{i}@example.com",
        display_name=f"Person {i:03d}",
        time_zone="UTC",
        manager_external_id="E0" if i else None,  # everyone reports to p0
        status=PersonStatus.ACTIVE,
    )


@dataclass
class StubServices:
    """profiles and matching answering every batch from the person's number: p<i> has i
    history records, i reports, a match scored i/1000, …"""

    size: int
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, body))
        answer = self._answer(request.method, request.url.path, request.url.params, body)
        return httpx.Response(200, content=answer.model_dump_json(by_alias=True))

    def count(self, path: str) -> int:
        return Counter(call[1] for call in self.calls)[path]

    def people(self) -> list[PersonView]:
        return [person(i) for i in range(self.size)]

    def _answer(self, method: str, path: str, params: Any, body: Any) -> BaseModel:
        ids: list[str] = (body or {}).get("personIds", [])
        numbers = [int(pid[1:]) for pid in ids]
        if path == "/internal/people":
            assert "managerId" not in params  # first pages come from the batch
            edges = [Edge[PersonView](cursor=p.id, node=p) for p in self.people()]
            return Connection[Edge[PersonView]](
                edges=edges, total_count=len(edges), has_next_page=False
            )
        if path == "/internal/people/batch":
            wanted = set(body["ids"]) | set(body["externalIds"])
            return Items[PersonView](
                items=[p for p in self.people() if {p.id, p.external_id} & wanted]
            )
        if path == "/internal/people/history/batch":
            return Items[PersonHistory](
                items=[PersonHistory(person_id=f"p{i}", items=history(i)) for i in numbers]
            )
        if path == "/internal/people/managers/batch":
            return Items[PersonManagers](
                items=[
                    PersonManagers(person_id=f"p{i}", items=[person(0)] if i else [])
                    for i in numbers
                ]
            )
        if path == "/internal/people/reports/batch":
            assert (body["first"], body["recursive"]) == (3, True)
            return Items[PersonReports](items=[reports(i, body["first"]) for i in numbers])
        if path == "/internal/people/direct-reports/batch":
            assert body["first"] == 2
            return Items[PersonDirectReports](
                items=[direct_reports(i, body["first"]) for i in numbers]
            )
        if path == "/internal/enrollments/batch":
            return Items[EnrollmentSnapshot](
                items=[enrollment(int(pid[1:])) for pid in body["personIds"]]
            )
        if path == "/internal/matching/people/matches/batch":
            assert body["status"] == ["PROPOSED"]
            return Items[PersonMatches](
                items=[PersonMatches(person_id=f"p{i}", items=[match(i)]) for i in numbers]
            )
        raise AssertionError(f"unexpected call {method} {path}")


def history(i: int) -> list[PersonChangeRecord]:
    return [
        PersonChangeRecord(
            field="title",
            from_value=None,
            to_value=f"Title {i}.{n}",
            effective_at=NOW,
            source_version=n + 1,
            recorded_at=NOW,
        )
        for n in range(i % 4)
    ]


def reports(i: int, first: int) -> PersonReports:
    below = [person(100 + i * 10 + n) for n in range(i % 5)]
    return PersonReports(
        person_id=f"p{i}",
        edges=[ReportEdge(cursor=p.id, depth=1, node=p) for p in below[:first]],
        total_count=len(below),
        has_next_page=len(below) > first,
    )


def direct_reports(i: int, first: int) -> PersonDirectReports:
    below = [person(100 + i * 10 + n) for n in range(i % 3)]
    return PersonDirectReports(
        person_id=f"p{i}",
        edges=[Edge[PersonView](cursor=p.id, node=p) for p in below[:first]],
        total_count=len(below),
        has_next_page=len(below) > first,
    )


def enrollment(i: int) -> EnrollmentSnapshot:
    return EnrollmentSnapshot(
        id=f"en{i}",
        program_id="prog",
        person_id=f"p{i}",
        role=ParticipantRole.MENTOR if i % 2 else ParticipantRole.MENTEE,
        goals=[],
        capacity=None,
        status=EnrollmentStatus.ACTIVE,
        reason=None,
        revision=1,
        created_at=NOW,
        updated_at=NOW,
    )


def match(i: int) -> MatchSnapshot:
    return MatchSnapshot(
        id=f"m{i}",
        program_id="prog",
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id="p0",
        mentee_ids=[f"p{i}"],
        score=i / 1000,
        reasons=[],
        status=MatchStatus.PROPOSED,
        origin=MatchOrigin.RUN,
        run_id=None,
        accepted_by=[],
        proposed_at=NOW,
        expires_at=None,
        decided_at=None,
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        revision=1,
        updated_at=NOW,
    )


@pytest.fixture
async def http() -> AsyncIterator[list[httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    yield clients
    for client in clients:
        await client.aclose()


async def run(clients: list[httpx.AsyncClient], stub: StubServices, query: str) -> dict[str, Any]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(stub.handle))
    clients.append(client)
    minter = TokenMinter(generate_keypair()[0])
    context = CairnContext(
        caller=Caller("tenant-1", "apikey:1"),
        upstreams=Upstreams(
            profiles=ServiceClient(client, "http://profiles", "profiles", minter),
            matching=ServiceClient(client, "http://matching", "matching", minter),
            sessions=ServiceClient(client, "http://sessions", "sessions", minter),
            feedback=ServiceClient(client, "http://feedback", "feedback", minter),
        ),
    )
    result = await schema.execute(query, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


@pytest.mark.parametrize("size", [1, 10, 100])
async def test_a_page_of_people_costs_one_call_per_field(
    http: list[httpx.AsyncClient], size: int
) -> None:
    stub = StubServices(size)
    data = await run(http, stub, f"{{ people(first: 100) {{ edges {{ node {{ {FIELDS} }} }} }} }}")

    calls = Counter(path for _, path, _ in stub.calls)
    assert calls == {
        "/internal/people": 1,
        "/internal/people/history/batch": 1,
        "/internal/people/managers/batch": 1,
        "/internal/people/reports/batch": 1,
        "/internal/people/direct-reports/batch": 1,
        "/internal/enrollments/batch": 1,
        "/internal/matching/people/matches/batch": 1,
    }  # p0, everyone's manager, came with the page: no /internal/people/batch
    asked = {path: body["personIds"] for _, path, body in stub.calls if body}
    assert all(ids == [f"p{i}" for i in range(size)] for ids in asked.values())

    nodes = [edge["node"] for edge in data["people"]["edges"]]
    assert len(nodes) == size
    for i, node in enumerate(nodes):  # each person got their own answers
        assert [h["to"] for h in node["history"]] == [f"Title {i}.{n}" for n in range(i % 4)]
        assert node["managers"] == ([{"displayName": "Person 000"}] if i else [])
        assert node["manager"] == ({"displayName": "Person 000"} if i else None)
        assert node["reports"]["totalCount"] == i % 5
        assert [e["node"]["displayName"] for e in node["reports"]["edges"]] == [
            f"Person {100 + i * 10 + n:03d}" for n in range(min(i % 5, 3))
        ]
        assert node["directReports"]["totalCount"] == i % 3
        assert len(node["directReports"]["edges"]) == min(i % 3, 2)
        assert node["matches"] == [{"score": i / 1000}]
        assert node["enrollments"] == [{"role": "MENTOR" if i % 2 else "MENTEE"}]


async def test_each_level_of_a_nested_list_is_one_call_per_field(
    http: list[httpx.AsyncClient],
) -> None:
    stub = StubServices(20)
    await run(
        http,
        stub,
        "{ people(first: 20) { edges { node { history { field } directReports(first: 2) { "
        "edges { node { history { field } } } } } } } }",
    )
    assert stub.count("/internal/people/history/batch") == 2  # the page, then their reports
    assert stub.count("/internal/people/direct-reports/batch") == 1


async def test_a_later_page_of_reports_is_asked_of_its_person(
    http: list[httpx.AsyncClient],
) -> None:
    stub = StubServices(3)
    stub_answer = stub._answer

    def later_pages(method: str, path: str, params: Any, body: Any) -> BaseModel:
        if path.endswith("/reports") or (path == "/internal/people" and "managerId" in params):
            assert params["after"] == "c1"
            return Connection[Edge[PersonView]](edges=[], total_count=4, has_next_page=False)
        return stub_answer(method, path, params, body)

    stub._answer = later_pages  # type: ignore[method-assign]
    data = await run(
        http,
        stub,
        '{ people(first: 3) { edges { node { reports(first: 3, after: "c1") { totalCount } '
        'directReports(first: 2, after: "c1") { totalCount } } } } }',
    )
    assert [e["node"]["reports"]["totalCount"] for e in data["people"]["edges"]] == [4, 4, 4]
    assert stub.count("/internal/people/p1/reports") == 1
    assert stub.count("/internal/people") == 1 + 3  # the page, then each person's next page
    assert stub.count("/internal/people/reports/batch") == 0
