"""Enrolling in programs through profiles' internal REST API, on a real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL): who may enroll in which role and when, refusals naming the
field, pages of enrollments, withdrawals, and a leaver's enrollments ending, each change's
event in the outbox of the same transaction."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from profiles.service_layer.enrollments import end_enrollments_of

from services.profiles.tests.integration.programs.programs_api import (
    Profiles,
    created,
    enrolling,
    fields_of,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def enroll(
    profiles: Profiles, tenant_id: str, program_id: str, person_id: str, role: str, **more: Any
) -> httpx.Response:
    return await profiles.call(
        tenant_id,
        "POST",
        f"/internal/programs/{program_id}/enrollments",
        json={"personId": person_id, "role": role, **more},
    )


async def test_mentor_and_mentee_enroll_and_each_is_announced(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    mentor, mentee = await profiles.hire(t, level=7), await profiles.hire(t, level=3)

    as_mentor = await enroll(profiles, t, program["id"], mentor, "MENTOR", goals=["coach"])
    assert as_mentor.status_code == 201, as_mentor.text
    assert as_mentor.json()["capacity"] == 1  # mentors get one mentee unless they say
    assert as_mentor.json()["status"] == "ACTIVE"
    as_mentee = await enroll(
        profiles,
        t,
        program["id"],
        mentee,
        "MENTEE",
        goals=[" Strategy ", "strategy", "Influence"],
    )
    assert as_mentee.status_code == 201, as_mentee.text
    assert as_mentee.json()["goals"] == ["Strategy", "Influence"]
    assert as_mentee.json()["capacity"] is None

    created_events = [(k, d) for e, k, d in await profiles.events(t) if e == "enrollment.created"]
    assert [key for key, _ in created_events] == [mentor, mentee]  # keyed by person
    assert created_events[1][1]["enrollment"] == as_mentee.json()  # the whole snapshot


async def test_enrollment_is_refused_with_the_reason(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(
        profiles,
        t,
        eligibility={"levels": [2, 3, 4], "departments": ["Sales", "R&D"], "roles": ["MENTEE"]},
    )
    pid = program["id"]
    mentee = await profiles.hire(t, level=3, department="Sales")
    senior = await profiles.hire(t, level=9, department="Sales")
    elsewhere = await profiles.hire(t, level=3, department="Legal")
    away = await profiles.hire(t, level=3, department="Sales")
    await profiles.leave(t, away, "employee.leave_started")
    other_tenant_person = await profiles.hire(tenant(), level=3, department="Sales")

    cases: list[tuple[httpx.Response, int, str, str]] = [
        (await enroll(profiles, t, pid, mentee, "PEER"), 422, "INVALID", "role"),
        (await enroll(profiles, t, pid, mentee, "MENTEE", capacity=2), 422, "INVALID", "capacity"),
        (await enroll(profiles, t, pid, str(uuid.uuid4()), "MENTEE"), 422, "NOT_FOUND", "personId"),
        (
            await enroll(profiles, t, pid, other_tenant_person, "MENTEE"),
            422,
            "NOT_FOUND",
            "personId",
        ),
        (await enroll(profiles, t, pid, senior, "MENTEE"), 422, "INELIGIBLE", "personId"),
        (await enroll(profiles, t, pid, elsewhere, "MENTEE"), 422, "INELIGIBLE", "personId"),
        (await enroll(profiles, t, pid, away, "MENTEE"), 422, "INELIGIBLE", "personId"),
    ]
    for response, status, code, field in cases:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
        assert fields_of(response) == [field]
    assert "levels 2, 3, 4" in cases[4][0].json()["detail"]
    assert "Legal" in cases[5][0].json()["detail"]
    assert "ON_LEAVE" in cases[6][0].json()["detail"]

    # Eligibility binds mentees only here: the senior person may mentor.
    assert (await enroll(profiles, t, pid, senior, "MENTOR", capacity=3)).status_code == 201
    assert (await enroll(profiles, t, pid, mentee, "MENTEE")).status_code == 201
    duplicate = await enroll(profiles, t, pid, mentee, "MENTEE")
    assert duplicate.status_code == 409
    assert (duplicate.json()["code"], fields_of(duplicate)) == ("CONFLICT", ["personId"])
    events = [e for e, _, _ in await profiles.events(t)]
    assert events.count("enrollment.created") == 2


async def test_enrollment_needs_an_enrolling_program_inside_its_window(profiles: Profiles) -> None:
    t = tenant()
    person = await profiles.hire(t, level=3)
    draft = await created(profiles, t)
    later = await enrolling(
        profiles,
        t,
        enrollmentWindow={"opensAt": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
    )
    for program in (draft, later):
        response = await enroll(profiles, t, program["id"], person, "MENTEE")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "NOT_ALLOWED_IN_STATE"
    missing = await enroll(profiles, t, str(uuid.uuid4()), person, "MENTEE")
    assert missing.status_code == 404


async def test_peer_programs_take_peers(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t, kind="PEER", matchingPolicy={"maxLevelGap": 1})
    person = await profiles.hire(t, level=4)
    assert (await enroll(profiles, t, program["id"], person, "MENTOR")).status_code == 422
    assert (await enroll(profiles, t, program["id"], person, "PEER")).status_code == 201


async def test_enrollments_page_by_role_with_cursors(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    path = f"/internal/programs/{program['id']}/enrollments"
    mentees = [await profiles.hire(t, level=2) for _ in range(5)]
    mentor = await profiles.hire(t, level=8)
    for person in mentees:
        assert (await enroll(profiles, t, program["id"], person, "MENTEE")).status_code == 201
    assert (await enroll(profiles, t, program["id"], mentor, "MENTOR")).status_code == 201

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params: dict[str, Any] = {"role": "MENTEE", "first": 2}
        if after:
            params["after"] = after
        page = (await profiles.call(t, "GET", path, params=params)).json()
        assert page["totalCount"] == 5
        seen += [edge["node"]["personId"] for edge in page["edges"]]
        pages += 1
        if not page["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    assert seen == mentees  # in the order they enrolled, each once
    assert pages == 3
    everyone = (await profiles.call(t, "GET", path)).json()
    assert everyone["totalCount"] == 6
    bad = await profiles.call(t, "GET", path, params={"after": "garbage!"})
    assert bad.status_code == 422
    assert fields_of(bad) == ["after"]
    other = await profiles.call(tenant(), "GET", path)
    assert other.status_code == 404


async def test_withdraw_then_enroll_again(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    person = await profiles.hire(t, level=3)
    first = (await enroll(profiles, t, program["id"], person, "MENTEE")).json()
    path = f"/internal/enrollments/{first['id']}"

    withdrawn = await profiles.call(t, "POST", f"{path}/withdraw", json={"reason": "new role"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["reason"]) == ("WITHDRAWN", "new role")
    *_, (event_type, key, data) = await profiles.events(t)
    assert (event_type, key) == ("enrollment.withdrawn", person)
    assert data["enrollment"]["status"] == "WITHDRAWN"

    again = await profiles.call(t, "POST", f"{path}/withdraw")
    assert again.status_code == 409
    assert again.json()["code"] == "NOT_ALLOWED_IN_STATE"
    assert (await profiles.call(tenant(), "POST", f"{path}/withdraw")).status_code == 404

    second = await enroll(profiles, t, program["id"], person, "MENTEE")
    assert second.status_code == 201, second.text
    mine = (
        await profiles.call(t, "GET", "/internal/enrollments", params={"personId": person})
    ).json()
    assert [(e["id"], e["status"]) for e in mine["items"]] == [
        (first["id"], "WITHDRAWN"),
        (second.json()["id"], "ACTIVE"),
    ]
    other = await profiles.hire(t, level=3)
    assert (await enroll(profiles, t, program["id"], other, "MENTEE")).status_code == 201
    batch = await profiles.call(
        t, "POST", "/internal/enrollments/batch", json={"personIds": [person, other, "nobody"]}
    )
    assert [(e["personId"], e["status"]) for e in batch.json()["items"]] == [
        (person, "WITHDRAWN"),
        (person, "ACTIVE"),
        (other, "ACTIVE"),
    ]
    elsewhere = await profiles.call(
        tenant(), "POST", "/internal/enrollments/batch", json={"personIds": [person]}
    )
    assert elsewhere.json() == {"items": []}


async def test_goals_and_capacity_change_while_active(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    mentor = await profiles.hire(t, level=8)
    enrollment = (await enroll(profiles, t, program["id"], mentor, "MENTOR")).json()
    path = f"/internal/enrollments/{enrollment['id']}"

    changed = await profiles.call(t, "PATCH", path, json={"capacity": 3, "goals": ["listening"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["capacity"], changed.json()["goals"]) == (3, ["listening"])
    *_, (event_type, _, data) = await profiles.events(t)
    assert event_type == "enrollment.updated"
    assert data["changedFields"] == ["goals", "capacity"]
    too_many = await profiles.call(t, "PATCH", path, json={"capacity": 500})
    assert too_many.status_code == 422
    assert fields_of(too_many) == ["capacity"]
    fetched = (await profiles.call(t, "GET", path)).json()
    assert fetched["capacity"] == 3


async def test_a_leavers_active_enrollments_end(profiles: Profiles) -> None:
    t = tenant()
    one, two = await enrolling(profiles, t), await enrolling(profiles, t, name="Second")
    leaver, colleague = await profiles.hire(t, level=6), await profiles.hire(t, level=6)
    kept = (await enroll(profiles, t, one["id"], colleague, "MENTOR")).json()
    ids = [
        (await enroll(profiles, t, one["id"], leaver, "MENTOR")).json()["id"],
        (await enroll(profiles, t, one["id"], leaver, "MENTEE")).json()["id"],
        (await enroll(profiles, t, two["id"], leaver, "MENTEE")).json()["id"],
    ]
    await profiles.call(t, "POST", f"/internal/enrollments/{ids[2]}/withdraw")
    before = len(await profiles.events(t))

    async with profiles.process.uow() as uow:
        ended = await end_enrollments_of(uow, t, leaver, "terminated")
        await uow.commit()
    assert ended == 2
    mine = (
        await profiles.call(t, "GET", "/internal/enrollments", params={"personId": leaver})
    ).json()
    assert [(e["id"], e["status"], e["reason"]) for e in mine["items"]] == [
        (ids[0], "ENDED", "terminated"),
        (ids[1], "ENDED", "terminated"),
        (ids[2], "WITHDRAWN", None),
    ]
    new = (await profiles.events(t))[before:]
    assert [(e, k) for e, k, _ in new] == [("enrollment.withdrawn", leaver)] * 2
    assert {d["enrollment"]["status"] for _, _, d in new} == {"ENDED"}
    colleague_now = (await profiles.call(t, "GET", f"/internal/enrollments/{kept['id']}")).json()
    assert colleague_now["status"] == "ACTIVE"

    async with profiles.process.uow() as uow:
        assert await end_enrollments_of(uow, t, leaver, "terminated") == 0
        await uow.commit()
    assert len(await profiles.events(t)) == before + 2
