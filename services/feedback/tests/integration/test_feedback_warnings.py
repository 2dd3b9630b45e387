"""Early warning on a real database: a poorly rated match and a silent one are flagged
(`match.flagged` with its reason code and evidence) once per distinct flag, with the
program's thresholds; the thresholds are refused naming the field when out of range."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from contracts.sessions import SessionStatus
from feedback.service_layer.sweep import sweep

from services.feedback.tests.integration.feedback_api import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _flags(service: Service, tenant: str) -> list[dict[str, object]]:
    return [e[2] for e in await service.events(tenant) if e[0] == "match.flagged"]


async def test_a_poorly_rated_match_is_flagged_once_with_its_evidence(service: Service) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    program = await service.program(tenant)
    mentor, mentee = await service.person(tenant), await service.person(tenant)
    now = datetime.now(UTC)
    match = await service.match(tenant, program, mentor, mentee, now - timedelta(days=3))
    session = await service.held(tenant, match, now - timedelta(hours=2))
    (request,) = await service.requests_of(tenant, mentee)
    answered = await service.call(
        tenant,
        "POST",
        "/responses",
        json={"requestId": request["id"], "respondentId": mentee, "rating": 1},
    )
    assert answered.status_code == 201
    (flag,) = await _flags(service, tenant)
    assert (flag["matchId"], flag["reasonCode"], flag["flaggedBy"]) == (
        match.id,
        "LOW_SESSION_RATING",
        mentee,
    )
    assert flag["evidence"] == [
        {
            "kind": "RATING",
            "refId": answered.json()["id"],
            "at": flag["evidence"][0]["at"],  # type: ignore[index]
            "detail": "1/5",
        }
    ]
    # The mentor's answer to the same session: a new rating, so a new flag; re-checking the
    # same facts (a sweep) raises nothing again.
    (theirs,) = await service.requests_of(tenant, mentor)
    await service.call(
        tenant,
        "POST",
        "/responses",
        json={"requestId": theirs["id"], "respondentId": mentor, "rating": 5},
    )
    await sweep(service.feedback.process, service.feedback.request_rules, datetime.now(UTC))
    assert len(await _flags(service, tenant)) == 1
    listed = await service.call(tenant, "GET", f"/matches/{match.id}/flags")
    assert [f["reasonCode"] for f in listed.json()["items"]] == ["LOW_SESSION_RATING"]
    hidden = await service.call(
        tenant, "GET", f"/programs/{program}/flags", principal=f"person:{mentee}"
    )
    assert hidden.status_code == 404
    assert session.id  # the session the rating followed


async def test_a_silent_match_and_missed_sessions_are_flagged(service: Service) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    program = await service.program(tenant)
    wrong = await service.call(
        tenant, "PUT", f"/programs/{program}/warning-thresholds", json={"silenceDays": 0}
    )
    assert wrong.status_code == 422
    assert "silenceDays" in wrong.text
    put = await service.call(
        tenant, "PUT", f"/programs/{program}/warning-thresholds", json={"silenceDays": 7}
    )
    assert put.status_code == 200 and put.json()["silenceDays"] == 7
    assert put.json()["lowSessionRating"] == 2  # the defaults for what was not given

    mentor, mentee = await service.person(tenant), await service.person(tenant)
    now = datetime.now(UTC)
    quiet = await service.match(tenant, program, mentor, mentee, now - timedelta(days=8))
    await sweep(service.feedback.process, service.feedback.request_rules, now)
    (flag,) = await _flags(service, tenant)
    assert (flag["matchId"], flag["reasonCode"]) == (quiet.id, "NO_RECENT_SESSION")
    assert flag["evidence"][0]["kind"] == "LAST_CONTACT"  # type: ignore[index]

    # Two sessions in a row cancelled: flagged as they happen, not at the next sweep.
    other_mentee = await service.person(tenant)
    busy = await service.match(tenant, program, mentor, other_mentee, now - timedelta(days=1))
    await service.held(tenant, busy, now - timedelta(hours=5), SessionStatus.CANCELLED)
    assert not [f for f in await _flags(service, tenant) if f["matchId"] == busy.id]
    await service.held(tenant, busy, now - timedelta(hours=3), SessionStatus.NO_SHOW)
    reasons = [(f["matchId"], f["reasonCode"]) for f in await _flags(service, tenant)]
    assert (busy.id, "REPEATED_MISSED_SESSIONS") in reasons
