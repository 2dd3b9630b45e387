"""Requests and answers on a real database: who is asked, the refusals (out of range, a
second answer, a late one, an edit after the window) that change nothing, comments that never
leave the service except to admins, and leavers who are asked nothing more."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contracts.people import PersonSnapshot, PersonStatus, PersonTerminated

from services.feedback.tests.integration.feedback_api import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _state(service: Service, tenant: str, person: str) -> tuple[Any, ...]:
    """Everything a refused answer must leave as it was."""
    requests = await service.requests_of(tenant, person)
    submitted = [e for e in await service.events(tenant) if e[0] == "feedback.submitted"]
    return (
        [(r["id"], r["status"], r["responseId"]) for r in requests],
        len(submitted),
    )


async def test_answers_are_refused_naming_the_field_and_change_nothing(service: Service) -> None:
    tenant, program = f"t-{uuid.uuid4().hex[:8]}", "prog-1"
    mentor = await service.person(tenant, level=7)
    mentee = await service.person(tenant, level=3)
    now = datetime.now(UTC)
    match = await service.match(tenant, program, mentor, mentee, now - timedelta(days=2))
    session = await service.held(tenant, match, now - timedelta(hours=1))

    # One request to each attendee, announced to integrators.
    (request,) = await service.requests_of(tenant, mentee)
    assert (request["kind"], request["sessionId"], request["matchId"]) == (
        "SESSION",
        session.id,
        match.id,
    )
    assert request["status"] == "PENDING" and len(await service.requests_of(tenant, mentor)) == 1
    requested = [e for e in await service.events(tenant) if e[0] == "feedback.requested"]
    assert sorted(e[2]["request"]["respondentId"] for e in requested) == sorted([mentor, mentee])
    before = await _state(service, tenant, mentee)

    # Out of range: every bad field named in one refusal.
    bad = await service.call(
        tenant,
        "POST",
        "/responses",
        json={
            "requestId": request["id"],
            "respondentId": mentee,
            "rating": 6,
            "recommendScore": 11,
            "goalProgress": 0,
        },
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "rating",
        "recommendScore",
        "goalProgress",
    }
    assert await _state(service, tenant, mentee) == before

    # A person answers as themselves (the sketch's sessionId form).
    good = await service.call(
        tenant,
        "POST",
        "/responses",
        principal=f"person:{mentee}",
        json={
            "sessionId": session.id,
            "rating": 4,
            "recommendScore": 9,
            "comment": "My mentor opened doors for me",
            "tags": ["career", "Career", "network"],
        },
    )
    assert good.status_code == 201, good.text
    answer = good.json()
    assert (answer["rating"], answer["recommendScore"], answer["tags"]) == (
        4,
        9,
        ["career", "network"],
    )
    assert answer["comment"] is None  # a person's token never reads a comment
    after = await _state(service, tenant, mentee)
    assert after[0] == [(request["id"], "ANSWERED", answer["id"])] and after[1] == 1

    # The event carries the scores, never the comment.
    (submitted,) = [e for e in await service.events(tenant) if e[0] == "feedback.submitted"]
    assert submitted[2]["response"]["rating"] == 4 and submitted[2]["response"]["nps"] == 9
    assert "doors" not in json.dumps(submitted[2]) and "comment" not in submitted[2]["response"]

    # Admins read the comment; the other participant does not even see the answer.
    admin = await service.call(tenant, "GET", f"/responses/{answer['id']}")
    assert admin.json()["comment"] == "My mentor opened doors for me"
    other = await service.call(
        tenant, "GET", f"/responses/{answer['id']}", principal=f"person:{mentor}"
    )
    assert other.status_code == 404
    listed = await service.call(
        tenant, "GET", f"/sessions/{session.id}/responses", principal=f"person:{mentor}"
    )
    assert listed.json()["items"] == []

    # A second answer to the same request.
    again = await service.call(
        tenant,
        "POST",
        "/responses",
        json={"requestId": request["id"], "respondentId": mentee, "rating": 1},
    )
    assert again.status_code == 409
    assert [(e["field"]) for e in again.json()["errors"]] == ["requestId"]
    assert again.json()["code"] == "CONFLICT"
    assert await _state(service, tenant, mentee) == after

    # An edit after the window (0 hours here) is refused, saying when it closed.
    late_edit = await service.call(
        tenant,
        "PATCH",
        f"/responses/{answer['id']}",
        principal=f"person:{mentee}",
        json={"rating": 1},
    )
    assert late_edit.status_code == 409
    assert late_edit.json()["errors"][0]["field"] == "responseId"
    assert "edit window closed" in late_edit.json()["errors"][0]["message"]
    assert await _state(service, tenant, mentee) == after
    kept = await service.call(tenant, "GET", f"/responses/{answer['id']}")
    assert (kept.json()["rating"], kept.json()["revision"]) == (4, 1)

    # Someone else's request is not found for them.
    theirs = await service.call(
        tenant,
        "POST",
        "/responses",
        principal=f"person:{mentee}",
        json={"requestId": (await service.requests_of(tenant, mentor))[0]["id"], "rating": 3},
    )
    assert theirs.status_code == 422 and theirs.json()["code"] == "NOT_FOUND"


async def test_a_late_answer_is_refused_and_leavers_are_asked_nothing_more(
    service: Service,
) -> None:
    tenant, program = f"t-{uuid.uuid4().hex[:8]}", "prog-2"
    mentor = await service.person(tenant, level=7)
    mentee = await service.person(tenant, level=3)
    now = datetime.now(UTC)
    match = await service.match(tenant, program, mentor, mentee, now - timedelta(days=40))
    # Held 15 days ago: its requests expired after 14.
    old = await service.held(tenant, match, now - timedelta(days=15))
    (expired,) = await service.requests_of(tenant, mentee)
    assert (expired["sessionId"], expired["status"]) == (old.id, "EXPIRED")
    late = await service.call(
        tenant,
        "POST",
        "/responses",
        json={"requestId": expired["id"], "respondentId": mentee, "rating": 5},
    )
    assert late.status_code == 409 and late.json()["code"] == "NOT_ALLOWED_IN_STATE"
    assert late.json()["errors"][0]["field"] == "requestId"
    assert "expired" in late.json()["errors"][0]["message"]
    assert not [e for e in await service.events(tenant) if e[0] == "feedback.submitted"]

    # The mentor leaves: their pending request is withdrawn, and a later session asks only
    # the mentee.
    await service.held(tenant, match, now - timedelta(hours=3))
    pending = [r for r in await service.requests_of(tenant, mentor) if r["status"] == "PENDING"]
    assert len(pending) == 1
    leaver = PersonSnapshot(
        id=mentor,
        email="leaver@acme-corp.com",
        display_name="Leaver",
        time_zone="Europe/Berlin",
        status=PersonStatus.TERMINATED,
        source_version=2,
        revision=2,
        updated_at=now,
    )
    await service.deliver(tenant, PersonTerminated(person=leaver, terminated_at=now))
    statuses = sorted(r["status"] for r in await service.requests_of(tenant, mentor))
    assert statuses == ["EXPIRED", "WITHDRAWN"]
    await service.held(tenant, match, now - timedelta(minutes=5))
    assert len(await service.requests_of(tenant, mentor)) == 2
    assert len(await service.requests_of(tenant, mentee)) == 3
