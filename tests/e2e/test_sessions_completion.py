"""Sessions across services on the real stack: a match accepted through GraphQL gets its
series planned by the sessions service (from match.accepted on the broker); holding the
sessions (the last one `final`) makes the match ACTIVE, then COMPLETED in matching."""

from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id, encode_id
from service_auth.tokens import Caller, TokenMinter

from tests.e2e.test_matching_graphql import CREATE, ENROLL, OPEN, RUN, decide, hire, ok, unique

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _post(system: RunningSystem, tenant_id: str, path: str, body: dict[str, Any]) -> Any:
    token = TokenMinter(system.stack.private_key).mint(
        Caller(tenant_id=tenant_id, principal="system"), "sessions"
    )
    answer = await system.http.post(
        f"{system.url('sessions')}/internal/sessions{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_holding_the_final_session_completes_the_match(system: RunningSystem) -> None:
    tenant = system.create_tenant("Sessions Co")
    key, tenant_id = tenant["apiKey"], tenant["tenantId"]
    mentor, mentee = unique("M"), unique("P")
    changes = [
        hire(mentor, level=7, department="Sales", timeZone="Europe/London"),
        hire(mentee, level=3, department="Platform", timeZone="America/New_York"),
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202

    async def person_id(external_id: str) -> Any:
        query = "query($e: String) { person(externalId: $e) { id } }"
        return (await ok(system, key, query, {"e": external_id}))["person"]

    ids = {x: (await eventually(lambda x=x: person_id(x)))["id"] for x in (mentor, mentee)}
    program = {
        "name": "Two sessions",
        "kind": "ONE_ON_ONE",
        "startsOn": "2027-03-01",
        "curriculum": {
            "cadence": "FREQ=WEEKLY;COUNT=2",
            "sessionMinutes": 60,
            "modules": [{"title": "Leading change", "discussionGuide": "What changed?"}],
        },
        "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
    }
    program_id = (await ok(system, key, CREATE, {"input": program}))["createProgram"]["program"][
        "id"
    ]
    await ok(system, key, OPEN, {"id": program_id})
    for who, role in ((mentor, "MENTOR"), (mentee, "MENTEE")):
        enrolled = await ok(
            system,
            key,
            ENROLL,
            {"input": {"programId": program_id, "personId": ids[who], "role": role}},
        )
        assert enrolled["enroll"]["userErrors"] == []
    raw_program = decode_id("Program", program_id)

    async def pool_known() -> bool:
        answer = await system.internal(
            "matching", f"/internal/matching/programs/{raw_program}/cohort", tenant_id
        )
        return answer.status_code == 200 and answer.json()["mentees"] == 1

    await eventually(pool_known, timeout_s=60)
    await ok(system, key, RUN, {"id": program_id, "dry": False})

    async def proposed() -> Any:
        answer = await system.internal(
            "matching", f"/internal/matching/programs/{raw_program}/matches", tenant_id
        )
        edges = answer.json().get("edges", []) if answer.status_code == 200 else []
        return edges[0]["node"] if edges else None

    match = await eventually(proposed, timeout_s=90)
    match_id = match["id"]
    for who in (mentee, mentor):
        decided = await decide(
            system,
            key,
            "acceptMatch",
            {"matchId": encode_id("Match", match_id), "personId": ids[who]},
        )
        assert decided["userErrors"] == []

    async def planned() -> Any:
        answer = await system.internal(
            "sessions", f"/internal/sessions/sessions?matchId={match_id}", tenant_id
        )
        edges = answer.json().get("edges", []) if answer.status_code == 200 else []
        return [e["node"] for e in edges] if len(edges) == 2 else None

    series = await eventually(planned, timeout_s=60)
    assert [(s["status"], s["final"]) for s in series] == [
        ("SCHEDULED", False),
        ("SCHEDULED", True),
    ]
    assert series[0]["module"]["title"] == "Leading change"

    async def match_status(wanted: str) -> bool:
        answer = await system.internal(
            "matching", f"/internal/matching/matches/{match_id}", tenant_id
        )
        return answer.status_code == 200 and answer.json()["status"] == wanted

    first = await _post(system, tenant_id, f"/sessions/{series[0]['id']}/complete", {})
    assert first["status"] == "COMPLETED"
    await eventually(lambda: match_status("ACTIVE"), timeout_s=60)
    await _post(system, tenant_id, f"/sessions/{series[1]['id']}/complete", {})
    await eventually(lambda: match_status("COMPLETED"), timeout_s=60)
