"""Early warning end to end, on the real broker with the real matching service: a poorly
rated match and a silent one are flagged (`match.flagged` with reason code and evidence), and
matching ends each and offers the mentee the next best mentor — a rematch."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contracts.sessions import SessionCompleted, SessionSnapshot, SessionStatus
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id, encode_id
from messaging.testing import read_topic

from tests.e2e.test_feedback_insights import FeedbackApi, employee, raw_people, seed_program
from tests.e2e.test_programs_graphql import ok

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHOOSE = """mutation($input: ChooseMentorInput!) {
  chooseMentor(input: $input) { match { id status } userErrors { field message code } } }"""
ACCEPT = """mutation($input: MatchDecisionInput!) {
  acceptMatch(input: $input) { match { id status } userErrors { field message code } } }"""
MATCHES = """query($id: ID!) { person(id: $id) {
  matches { id status reason mentor { externalId } } } }"""


async def _accepted_match(
    system: RunningSystem, key: str, tenant_id: str, program: str, mentor: str, mentee: str
) -> str:
    """The mentee chooses the mentor and both accept: the match's raw id."""
    program_id = encode_id("Program", program)

    async def pool_known() -> bool:
        answer = await system.internal(
            "matching", f"/internal/matching/programs/{program}/cohort", tenant_id
        )
        return answer.status_code == 200 and answer.json()["mentors"] == 2

    await eventually(pool_known, timeout_s=180)
    chosen = await ok(
        system,
        key,
        CHOOSE,
        {"input": {"programId": program_id, "menteeId": mentee, "mentorId": mentor}},
    )
    assert chosen["chooseMentor"]["userErrors"] == [], chosen
    match_id = chosen["chooseMentor"]["match"]["id"]
    for person in (mentee, mentor):
        decided = await ok(
            system, key, ACCEPT, {"input": {"matchId": match_id, "personId": person}}
        )
        assert decided["acceptMatch"]["userErrors"] == [], decided
    assert decided["acceptMatch"]["match"]["status"] == "ACCEPTED"
    raw = decode_id("Match", match_id)
    assert raw is not None
    return raw


async def _rematched(system: RunningSystem, key: str, mentee: str, first: str) -> Any:
    async def offered() -> Any:
        found = (await ok(system, key, MATCHES, {"id": mentee}))["person"]["matches"]
        ended = [m for m in found if m["status"] == "ENDED"]
        proposed = [m for m in found if m["status"] == "PROPOSED"]
        return found if ended and proposed else None

    found = await eventually(offered, timeout_s=180)
    ended = next(m for m in found if m["status"] == "ENDED")
    assert ended["id"] == encode_id("Match", first)
    proposed = next(m for m in found if m["status"] == "PROPOSED")
    return ended, proposed


async def test_poorly_rated_and_silent_matches_are_flagged_and_rematched(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Early Warning Co")
    key, tenant_id = tenant["apiKey"], tenant["tenantId"]
    api = FeedbackApi(system, tenant_id)
    run = uuid.uuid4().hex[:6]
    mentors = [f"WM{i}-{run}" for i in range(4)]
    mentees = [f"WP{i}-{run}" for i in range(2)]
    changes = [employee(m, level=7, department="Sales") for m in mentors]
    changes += [employee(m, level=3, department="Platform") for m in mentees]
    assert (await system.push_changes(tenant, changes)).status_code == 202
    ids = await raw_people(system, key, mentors + mentees)
    today = datetime.now(UTC).date().isoformat()
    rated = await seed_program(system, key, "Rated", ids, mentors[:2], mentees[:1], today)
    silent = await seed_program(system, key, "Silent", ids, mentors[2:], mentees[1:], today)

    # The silent program allows 6 seconds without a session (its own threshold).
    async def known() -> Any:
        answer = await api.call(
            "PUT", f"/programs/{silent}/warning-thresholds", body={"silenceDays": 6 / 86400}
        )
        return answer if answer.status_code == 200 else None

    await eventually(known, timeout_s=180)

    # A poorly rated match: a held session (as sessions publishes it), then a 1 of 5.
    poor = await _accepted_match(system, key, tenant_id, rated, ids[mentors[0]], ids[mentees[0]])
    mentor, mentee = ids[f"raw:{mentors[0]}"], ids[f"raw:{mentees[0]}"]
    now = datetime.now(UTC)
    held = SessionSnapshot(
        id=f"ss_{uuid.uuid4().hex[:16]}",
        program_id=rated,
        match_ids=[poor],
        host_id=mentor,
        attendee_ids=[mentor, mentee],
        starts_at=now - timedelta(hours=1),
        ends_at=now - timedelta(minutes=15),
        status=SessionStatus.COMPLETED,
        revision=2,
        updated_at=now,
    )
    await system.publish(tenant_id, SessionCompleted(session=held, completed_at=now))

    async def asked() -> Any:
        found = await api.requests_of(mentee)
        return found[0] if found else None

    request = await eventually(asked, timeout_s=180)
    answered = await api.submit(
        {"requestId": request["id"], "respondentId": mentee, "rating": 1, "comment": "no fit"}
    )
    assert answered.status_code == 201, answered.text

    ended, proposed = await _rematched(system, key, ids[mentees[0]], poor)
    assert "early warning" in ended["reason"] and "session rating 1" in ended["reason"]
    assert proposed["mentor"]["externalId"] == mentors[1]  # the next best, offered
    flags = (await api.call("GET", f"/programs/{rated}/flags")).json()["items"]
    assert [(f["matchId"], f["reasonCode"]) for f in flags] == [(poor, "LOW_SESSION_RATING")]
    assert flags[0]["evidence"][0]["kind"] == "RATING"
    assert flags[0]["evidence"][0]["refId"] == answered.json()["id"]
    assert "no fit" not in json.dumps(flags)  # a comment is never evidence

    # A silent match: accepted, then nothing. The sweep flags it; matching rematches.
    quiet = await _accepted_match(system, key, tenant_id, silent, ids[mentors[2]], ids[mentees[1]])
    ended, proposed = await _rematched(system, key, ids[mentees[1]], quiet)
    assert "no session since it was accepted" in ended["reason"]
    assert proposed["mentor"]["externalId"] == mentors[3]
    flags = (await api.call("GET", f"/matches/{quiet}/flags")).json()["items"]
    assert [f["reasonCode"] for f in flags] == ["NO_RECENT_SESSION"]
    assert flags[0]["evidence"][0]["kind"] == "LAST_CONTACT"

    # Both flags travelled on the broker with their reason codes.
    def flagged(records: list[Any]) -> set[tuple[str, str]]:
        return {
            (json.loads(r.value)["matchId"], json.loads(r.value).get("reasonCode"))
            for r in records
            if dict(r.headers).get("ce_type") == b"match.flagged"
        }

    wanted = {(poor, "LOW_SESSION_RATING"), (quiet, "NO_RECENT_SESSION")}
    records = await read_topic(
        system.bootstrap_servers,
        "cairn.feedback.responses",
        until=lambda rs: wanted <= flagged(rs),
        timeout_s=30,
    )
    assert wanted <= flagged(records)
