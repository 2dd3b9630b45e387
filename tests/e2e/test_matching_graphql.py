"""Matching end to end: people through the signed HRIS webhook, a program and enrollments
through GraphQL, then a dry run (a preview: nothing proposed), a run (matches PROPOSED), both
sides accepting, and ending — with the match.* events on the real broker. Sessions held (as
the sessions service publishes them) then carry a match to ACTIVE and COMPLETED."""

import json
import uuid
from functools import partial
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from contracts.feedback import FeedbackSubmitted
from contracts.sessions import SessionCompleted
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id, encode_id
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
CREATE = f"""mutation($input: CreateProgramInput!) {{
  createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}"""
OPEN = f"""mutation($id: ID!) {{
  openEnrollment(input: {{programId: $id}}) {{ program {{ id status }} {ERRORS} }} }}"""
ENROLL = f"""mutation($input: EnrollInput!) {{
  enroll(input: $input) {{ enrollment {{ id }} {ERRORS} }} }}"""
RUN = f"""mutation($id: ID!, $dry: Boolean) {{
  runMatching(input: {{programId: $id, dryRun: $dry}}) {{
    matchRun {{ id status dryRun }} {ERRORS} }} }}"""
MATCH_RUN = """query($id: ID!) { matchRun(id: $id) {
  id status dryRun matchedMentees unmatchedMentees meanScore byGroup finishedAt
  optimality optimalityGap
  program { id }
  pairs(first: 10) { mentor { externalId } mentees { externalId } score
                     reasons { criterion contribution explanation } }
} }"""
MATCH_FIELDS = """id status score reason origin proposedAt
  mentor { id externalId } mentees { id externalId } acceptedBy { externalId }
  reasons { criterion explanation } program { id name }"""
DECIDE = """mutation($input: MatchDecisionInput!) {{
  {name}(input: $input) {{ match {{ {fields} }} {errors} }} }}"""
SUGGEST = """query($p: ID!, $m: ID!) { suggestMentors(programId: $p, menteeId: $m, first: 3) {
  mentor { externalId } score reasons { criterion } } }"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hire(external_id: str, **employee: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@acme-corp.com",
            "displayName": f"Person {external_id}",
            "timeZone": "Europe/Berlin",
            "languages": ["en"],
            **employee,
        },
    }


async def ok(system: RunningSystem, key: str, query: str, variables: dict[str, Any]) -> Any:
    body = await system.graphql(key, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body
    return body["data"]


async def decide(
    system: RunningSystem, key: str, name: str, payload: dict[str, Any]
) -> dict[str, Any]:
    query = DECIDE.format(name=name, fields=MATCH_FIELDS, errors=ERRORS)
    answer: dict[str, Any] = (await ok(system, key, query, {"input": payload}))[name]
    return answer


def _type(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(dict(record.headers).get("ce_type", b"").decode())


async def test_enroll_preview_run_accept_and_end(system: RunningSystem) -> None:
    tenant = system.create_tenant("Matching Co")
    key = tenant["apiKey"]
    boss = unique("E")
    mentors = [unique("M") for _ in range(2)]
    mentees = [unique("P") for _ in range(2)]
    changes = [hire(boss, level=9, department="Board")]
    changes += [hire(m, level=7, department="Sales", managerExternalId=boss) for m in mentors]
    changes += [hire(m, level=3, department="Platform", managerExternalId=boss) for m in mentees]
    response = await system.push_changes(tenant, changes)
    assert response.status_code == 202, response.text

    async def person_id(external_id: str) -> Any:
        data = await ok(
            system, key, "query($e: String) { person(externalId: $e) { id } }", {"e": external_id}
        )
        return data["person"]

    ids: dict[str, str] = {}
    for x in mentors + mentees:
        ids[x] = (await eventually(partial(person_id, x)))["id"]

    created = await ok(
        system,
        key,
        CREATE,
        {
            "input": {
                "name": "Leadership Circle",
                "kind": "ONE_ON_ONE",
                "startsOn": "2027-01-04",
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
                    "sessionMinutes": 45,
                    "modules": [{"title": "Leading change", "discussionGuide": "What changed?"}],
                },
                "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
            }
        },
    )
    program_id = created["createProgram"]["program"]["id"]
    assert (await ok(system, key, OPEN, {"id": program_id}))["openEnrollment"]["userErrors"] == []
    for m in mentors:
        enrolled = await ok(
            system,
            key,
            ENROLL,
            {
                "input": {
                    "programId": program_id,
                    "personId": ids[m],
                    "role": "MENTOR",
                    "capacity": 1,
                }
            },
        )
        assert enrolled["enroll"]["userErrors"] == []
    for m in mentees:
        enrolled = await ok(
            system,
            key,
            ENROLL,
            {
                "input": {
                    "programId": program_id,
                    "personId": ids[m],
                    "role": "MENTEE",
                    "goals": ["strategy", "negotiation"],
                }
            },
        )
        assert enrolled["enroll"]["userErrors"] == []

    # Matching learns the program, people and enrollments from Kafka: wait for the pool.
    raw_program = decode_id("Program", program_id)
    assert raw_program is not None

    async def pool_known() -> bool:
        answer = await system.internal(
            "matching", f"/internal/matching/programs/{raw_program}/cohort", tenant["tenantId"]
        )
        return answer.status_code == 200 and (
            answer.json()["mentors"],
            answer.json()["mentees"],
        ) == (2, 2)

    await eventually(pool_known, timeout_s=60)

    suggestions = (await ok(system, key, SUGGEST, {"p": program_id, "m": ids[mentees[0]]}))[
        "suggestMentors"
    ]
    assert {s["mentor"]["externalId"] for s in suggestions} == set(mentors)

    async def finished(run_id: str) -> Any:
        run = (await ok(system, key, MATCH_RUN, {"id": run_id}))["matchRun"]
        return run if run["status"] != "RUNNING" else None

    # The preview: pairs shown, nothing proposed.
    asked = (await ok(system, key, RUN, {"id": program_id, "dry": True}))["runMatching"]
    assert asked["userErrors"] == [] and asked["matchRun"]["status"] == "RUNNING"
    preview = await eventually(lambda: finished(asked["matchRun"]["id"]), timeout_s=90)
    assert (preview["status"], preview["dryRun"]) == ("COMPLETED", True)
    assert (preview["matchedMentees"], preview["unmatchedMentees"]) == (2, 0)
    assert preview["program"]["id"] == program_id
    assert sorted(p["mentees"][0]["externalId"] for p in preview["pairs"]) == sorted(mentees)
    assert all(p["reasons"] and 0 < p["score"] <= 1 for p in preview["pairs"])
    assert preview["byGroup"]["minimumGroupSize"] == 5
    assert (preview["optimality"], preview["optimalityGap"]) == ("PROVEN", 0.0)
    nothing = await system.internal(
        "matching", f"/internal/matching/programs/{raw_program}/matches", tenant["tenantId"]
    )
    assert nothing.json()["totalCount"] == 0

    # Another policy, tried before publishing it: mentors 4 levels up are out of its range.
    trial = f"""mutation($id: ID!, $policy: MatchingPolicyInput) {{
      runMatching(input: {{programId: $id, dryRun: true, policy: $policy}}) {{
        matchRun {{ id }} {ERRORS} }} }}"""
    tried = (
        await ok(
            system,
            key,
            trial,
            {"id": program_id, "policy": {"maxLevelGap": 1, "objective": "MAX_MATCHED"}},
        )
    )["runMatching"]
    assert tried["userErrors"] == []
    done = await eventually(lambda: finished(tried["matchRun"]["id"]), timeout_s=90)
    assert (done["matchedMentees"], done["unmatchedMentees"]) == (0, 2)
    ran_under = await ok(
        system,
        key,
        "query($id: ID!, $p: ID!) { matchRun(id: $id) { policy { maxLevelGap objective } } "
        "program(id: $p) { matchingPolicy { maxLevelGap objective adminMatchesNeedConsent } } }",
        {"id": tried["matchRun"]["id"], "p": program_id},
    )
    assert ran_under["matchRun"]["policy"] == {"maxLevelGap": 1, "objective": "MAX_MATCHED"}
    assert ran_under["program"]["matchingPolicy"] == {
        "maxLevelGap": 6,
        "objective": "BEST_TOTAL",
        "adminMatchesNeedConsent": True,
    }
    real_trial = (
        await ok(
            system,
            key,
            trial.replace("dryRun: true", "dryRun: false"),
            {"id": program_id, "policy": {"maxLevelGap": 1}},
        )
    )["runMatching"]
    assert [(e["code"], e["field"]) for e in real_trial["userErrors"]] == [
        ("INVALID", ["input", "policy"])
    ]

    # The run: matches PROPOSED.
    asked = (await ok(system, key, RUN, {"id": program_id, "dry": False}))["runMatching"]
    run = await eventually(lambda: finished(asked["matchRun"]["id"]), timeout_s=90)
    assert (run["status"], run["dryRun"], run["matchedMentees"]) == ("COMPLETED", False, 2)
    listed = await system.internal(
        "matching", f"/internal/matching/programs/{raw_program}/matches", tenant["tenantId"]
    )
    assert listed.json()["totalCount"] == 2
    match_ids = [f"{e['node']['id']}" for e in listed.json()["edges"]]
    first = encode_id("Match", match_ids[0])
    match = (
        await ok(
            system, key, f"query($id: ID!) {{ match(id: $id) {{ {MATCH_FIELDS} }} }}", {"id": first}
        )
    )["match"]
    assert match["status"] == "PROPOSED" and match["origin"] == "RUN"
    assert match["program"]["id"] == program_id and match["reasons"]
    mentor_id, mentee_id = match["mentor"]["id"], match["mentees"][0]["id"]

    # Both sides accept.
    other_mentee = next(ids[m] for m in mentees if ids[m] != mentee_id)
    stranger = await decide(
        system, key, "acceptMatch", {"matchId": first, "personId": other_mentee}
    )
    assert stranger["match"] is None
    assert [(e["code"], e["field"]) for e in stranger["userErrors"]] == [
        ("INVALID", ["input", "personId"])
    ]
    half = await decide(system, key, "acceptMatch", {"matchId": first, "personId": mentee_id})
    assert half["userErrors"] == [] and half["match"]["status"] == "PROPOSED"
    both = await decide(system, key, "acceptMatch", {"matchId": first, "personId": mentor_id})
    assert both["match"]["status"] == "ACCEPTED"
    assert {p["externalId"] for p in both["match"]["acceptedBy"]} == {
        match["mentor"]["externalId"],
        match["mentees"][0]["externalId"],
    }

    # Ending needs a reason; then ENDED with it.
    bare = await decide(system, key, "endMatch", {"matchId": first})
    assert [(e["code"], e["field"]) for e in bare["userErrors"]] == [
        ("INVALID", ["input", "reason"])
    ]
    ended = await decide(
        system, key, "endMatch", {"matchId": first, "reason": "the mentee changed roles"}
    )
    assert ended["userErrors"] == []
    assert (ended["match"]["status"], ended["match"]["reason"]) == (
        "ENDED",
        "the mentee changed roles",
    )

    # The events, keyed by match id, each with the whole match.
    wanted = {
        ("match.proposed", match_ids[0]),
        ("match.proposed", match_ids[1]),
        ("match.accepted", match_ids[0]),
        ("match.ended", match_ids[0]),
    }

    def seen(records: list[ConsumerRecord[bytes, bytes]]) -> set[tuple[str, str]]:
        return {(_type(r), (r.key or b"").decode()) for r in records}

    records = await read_topic(
        system.bootstrap_servers,
        "cairn.matching.matches",
        until=lambda rs: wanted <= seen(rs),
        timeout_s=30,
    )
    assert wanted <= seen(records)
    last = [r for r in records if _type(r) == "match.ended" and r.key == match_ids[0].encode()][-1]
    data = json.loads(last.value or b"{}")
    assert data["match"]["status"] == "ENDED"
    assert data["match"]["reason"] == "the mentee changed roles"
    runs = [r for r in records if _type(r) == "matchrun.completed"]
    assert {json.loads(r.value or b"{}")["run"]["dryRun"] for r in runs} >= {True, False}

    # The same matches through Program.matches and Person.matches.
    seen_from_program = await ok(
        system,
        key,
        "query($id: ID!) { program(id: $id) { matches(first: 10) { totalCount "
        "edges { node { id status } } } } }",
        {"id": program_id},
    )
    assert seen_from_program["program"]["matches"]["totalCount"] == 2
    assert first in {e["node"]["id"] for e in seen_from_program["program"]["matches"]["edges"]}
    seen_from_mentor = await ok(
        system,
        key,
        "query($id: ID!) { person(id: $id) { matches(status: [ENDED]) { id reason } } }",
        {"id": mentor_id},
    )
    assert seen_from_mentor["person"]["matches"] == [
        {"id": first, "reason": "the mentee changed roles"}
    ]

    # The other pair accepts and meets: sessions held (published as the sessions service
    # does) make the match ACTIVE, and the plan's last one COMPLETED.
    second = encode_id("Match", match_ids[1])
    pair = (
        await ok(
            system,
            key,
            f"query($id: ID!) {{ match(id: $id) {{ {MATCH_FIELDS} }} }}",
            {"id": second},
        )
    )["match"]
    for who in (pair["mentees"][0]["id"], pair["mentor"]["id"]):
        await decide(system, key, "acceptMatch", {"matchId": second, "personId": who})

    async def status_of(wanted: str) -> Any:
        query = "query($id: ID!) { match(id: $id) { status sessionsCompleted } }"
        found = (await ok(system, key, query, {"id": second}))["match"]
        return found if found["status"] == wanted else None

    for number, final, status in ((1, False, "ACTIVE"), (2, True, "COMPLETED")):
        await system.publish(
            tenant["tenantId"],
            SessionCompleted.model_validate(
                {
                    "session": {
                        "id": f"se_{number}_{match_ids[1]}",
                        "programId": raw_program,
                        "matchIds": [match_ids[1]],
                        "hostId": decode_id("Person", pair["mentor"]["id"]),
                        "attendeeIds": [],
                        "startsAt": f"2027-0{number}-04T09:00:00Z",
                        "endsAt": f"2027-0{number}-04T09:45:00Z",
                        "status": "COMPLETED",
                        "final": final,
                        "revision": 2,
                        "updatedAt": "2027-02-01T10:00:00Z",
                    },
                    "completedAt": "2027-02-01T10:00:00Z",
                }
            ),
        )
        reached = await eventually(partial(status_of, status), timeout_s=30)
        assert reached == {"status": status, "sessionsCompleted": number}
    progress = {("match.activated", match_ids[1]), ("match.completed", match_ids[1])}
    records = await read_topic(
        system.bootstrap_servers,
        "cairn.matching.matches",
        until=lambda rs: progress <= seen(rs),
        timeout_s=30,
    )
    assert progress <= seen(records)

    # The mentee's rating (published as the feedback service does) becomes the mentor's
    # record: the next mentee looking sees it among the reasons.
    await system.publish(
        tenant["tenantId"],
        FeedbackSubmitted.model_validate(
            {
                "response": {
                    "id": f"fr_{match_ids[1]}",
                    "programId": raw_program,
                    "matchId": match_ids[1],
                    "respondentId": decode_id("Person", pair["mentees"][0]["id"]),
                    "rating": 5,
                    "revision": 1,
                    "submittedAt": "2027-02-01T11:00:00Z",
                }
            }
        ),
    )
    rated_mentor = pair["mentor"]["externalId"]
    ask = """query($p: ID!, $m: ID!) { suggestMentors(programId: $p, menteeId: $m, first: 3) {
      mentor { externalId } reasons { criterion explanation } } }"""

    async def record_shown() -> Any:
        found = await ok(system, key, ask, {"p": program_id, "m": mentee_id})
        for s in found["suggestMentors"]:
            if s["mentor"]["externalId"] == rated_mentor:
                text = next(r["explanation"] for r in s["reasons"] if r["criterion"] == "FEEDBACK")
                return text if "5.0 out of 5 (1 rating)" in text else None
        return None

    assert "5.0 out of 5" in await eventually(record_shown, timeout_s=30)
