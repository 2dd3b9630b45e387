"""Programs and enrollment through profiles' internal REST API, on a real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL): rules enforced with the field named, nothing half
written, and every change's event in the outbox of the same transaction."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.pytest_plugin import DatabaseFactory
from persistence.migrations import upgrade_async
from profiles.adapters.metadata import messaging
from profiles.adapters.repository import PeopleRepository
from profiles.bootstrap import MIGRATIONS
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from profiles.service_layer.enrollments import end_enrollments_of
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import select

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Profiles:
    http: httpx.AsyncClient
    process: ServiceProcess
    minter: TokenMinter

    def headers(self, tenant_id: str) -> dict[str, str]:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "profiles")
        return {"Authorization": f"Bearer {token}"}

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers(tenant_id), **kwargs)

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(type, key, data) of the tenant's outbox rows, in the order they were written."""
        outbox = messaging.outbox
        async with self.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id, outbox.c.topic != "cairn.profiles.people")
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def hire(self, tenant_id: str, **employee: Any) -> str:
        """A person, made the way profiles makes them (an HRIS change); returns their id."""
        external_id = f"E-{uuid.uuid4().hex[:8]}"
        change = HrisChange.model_validate(
            {
                "id": f"chg-{uuid.uuid4().hex}",
                "type": "employee.hired",
                "effectiveAt": "2026-01-01T09:00:00Z",
                "sourceVersion": 1,
                "employee": {
                    "externalId": external_id,
                    "email": f"{external_id}@example-corp.com",
                    "displayName": f"Person {external_id}",
                    **employee,
                },
            }
        )
        async with self.process.uow() as uow:
            await apply_hris_change(uow, tenant_id, change)
            person = await PeopleRepository(uow.session, tenant_id).by_external_id(external_id)
            await uow.commit()
        assert person is not None
        return person.id

    async def leave(self, tenant_id: str, person_id: str, kind: str) -> None:
        async with self.process.uow() as uow:
            person = await PeopleRepository(uow.session, tenant_id).get(person_id)
            assert person is not None
            change = HrisChange.model_validate(
                {
                    "id": f"chg-{uuid.uuid4().hex}",
                    "type": kind,
                    "effectiveAt": "2026-01-02T09:00:00Z",
                    "sourceVersion": 2,
                    "employee": {"externalId": person.external_id},
                }
            )
            await apply_hris_change(uow, tenant_id, change)
            await uow.commit()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def profiles(database_factory: DatabaseFactory) -> AsyncIterator[Profiles]:
    url = await database_factory("profiles")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        ProfilesSettings(database_url=url, run_workers=False, service_token_public_key=public)
    )
    process: ServiceProcess = app.state.process
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield Profiles(http, process, TokenMinter(private))
    await process.engine.dispose()


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def program_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Future Leaders 2027",
        "kind": "ONE_ON_ONE",
        "description": "Six months with a senior leader",
        "startsOn": "2027-01-04",
        "endsOn": "2027-06-30",
        "objectives": [
            {"metric": "PROMOTION_RATE", "target": 0.25, "baseline": 0.12, "dueOn": "2027-06-30"},
            {"metric": "SATISFACTION", "target": 4.2, "dueOn": "2027-06-01"},
        ],
        "curriculum": {
            "cadence": "freq=weekly;interval=2;byday=tu;count=12",
            "sessionMinutes": 45,
            "modules": [
                {
                    "title": "Leading through change",
                    "discussionGuide": "What changed for you this quarter?",
                    "preWork": ["Read: Switch, ch. 1"],
                    "actionItemTemplates": ["Name one change to lead"],
                }
            ],
        },
        "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 3, "weights": {"goals": 0.5}},
    }
    body.update(overrides)
    return body


def fields_of(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def created(profiles: Profiles, tenant_id: str, **overrides: Any) -> dict[str, Any]:
    response = await profiles.call(
        tenant_id, "POST", "/internal/programs", json=program_body(**overrides)
    )
    assert response.status_code == 201, response.text
    program: dict[str, Any] = response.json()
    return program


async def enrolling(profiles: Profiles, tenant_id: str, **overrides: Any) -> dict[str, Any]:
    program = await created(profiles, tenant_id, **overrides)
    opened = await profiles.call(
        tenant_id, "POST", f"/internal/programs/{program['id']}/open-enrollment"
    )
    assert opened.status_code == 200, opened.text
    body: dict[str, Any] = opened.json()
    return body


# --- programs ----------------------------------------------------------------------------------


async def test_the_policy_switch_and_consent_travel_with_the_program(profiles: Profiles) -> None:
    t = tenant()
    policy = {"objective": "MAX_MATCHED", "adminMatchesNeedConsent": False, "maxLevelGap": 3}
    program = await enrolling(profiles, t, matchingPolicy=policy)
    assert program["matchingPolicy"]["objective"] == "MAX_MATCHED"
    assert program["matchingPolicy"]["adminMatchesNeedConsent"] is False
    [(_, _, data)] = [e for e in await profiles.events(t) if e[0] == "program.published"]
    assert data["program"]["matchingPolicy"]["objective"] == "MAX_MATCHED"
    assert data["program"]["matchingPolicy"]["adminMatchesNeedConsent"] is False


async def test_a_created_program_is_a_draft_in_canonical_form(profiles: Profiles) -> None:
    t = tenant()
    program = await created(profiles, t)
    assert program["status"] == "DRAFT"
    assert program["kind"] == "ONE_ON_ONE"
    assert program["revision"] == 1
    assert program["curriculum"]["cadence"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=12"
    assert program["curriculum"]["modules"][0]["preWork"] == ["Read: Switch, ch. 1"]
    assert program["objectives"][1] == {
        "metric": "SATISFACTION",
        "target": 4.2,
        "baseline": None,
        "dueOn": "2027-06-01",
        "description": None,
    }
    policy = program["matchingPolicy"]
    assert policy["weights"]["goals"] == 0.5  # named: overridden
    assert policy["weights"]["timeZone"] == 0.15  # unnamed: the default
    assert (policy["mentorsPerMentee"], policy["crossDepartment"]) == (1, True)
    assert (policy["objective"], policy["adminMatchesNeedConsent"]) == ("BEST_TOTAL", True)
    assert program["eligibility"] == {"levels": [], "departments": [], "roles": []}

    fetched = await profiles.call(t, "GET", f"/internal/programs/{program['id']}")
    assert fetched.json() == program
    # A draft is private to profiles: nothing is published.
    assert await profiles.events(t) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"curriculum": {"cadence": "FREQ=HOURLY;COUNT=3", "sessionMinutes": 30}},
            "curriculum.cadence",
        ),
        ({"curriculum": {"cadence": "not a rule", "sessionMinutes": 30}}, "curriculum.cadence"),
        (
            {"curriculum": {"cadence": "FREQ=WEEKLY;BYSETPOS=1", "sessionMinutes": 30}},
            "curriculum.cadence",
        ),
        ({"endsOn": "2026-12-01"}, "endsOn"),
        (
            {"objectives": [{"metric": "RETENTION", "target": 1.5, "dueOn": "2027-03-01"}]},
            "objectives.0.target",
        ),
        (
            {"objectives": [{"metric": "SATISFACTION", "target": 0.9, "dueOn": "2027-03-01"}]},
            "objectives.0.target",
        ),
        (
            {"objectives": [{"metric": "PARTICIPATION", "target": 0.8, "dueOn": "2028-01-01"}]},
            "objectives.0.dueOn",
        ),
        ({"matchingPolicy": {"minLevelGap": 3, "maxLevelGap": 1}}, "matchingPolicy.minLevelGap"),
        ({"matchingPolicy": {"maxLevelGap": 0}}, "matchingPolicy.maxLevelGap"),
        ({"kind": "GROUP"}, "matchingPolicy.groupSize"),
        ({"matchingPolicy": {"groupSize": 5}}, "matchingPolicy.groupSize"),
        ({"kind": "PEER", "matchingPolicy": {"minLevelGap": 0}}, "matchingPolicy.minLevelGap"),
        ({"matchingPolicy": {"weights": {"vibes": 1}}}, "matchingPolicy.weights.vibes"),
        ({"matchingPolicy": {"weights": {"goals": -1}}}, "matchingPolicy.weights.goals"),
        ({"matchingPolicy": {"objective": "MOST_FUN"}}, "matchingPolicy.objective"),
        (
            {"matchingPolicy": {"adminMatchesNeedConsent": "maybe"}},
            "matchingPolicy.adminMatchesNeedConsent",
        ),
        (
            {
                "enrollmentWindow": {
                    "opensAt": "2026-12-01T00:00:00Z",
                    "closesAt": "2026-11-01T00:00:00Z",
                }
            },
            "enrollmentWindow.closesAt",
        ),
        ({"eligibility": {"roles": ["PEER"]}}, "eligibility.roles.0"),
        (
            {"curriculum": {"cadence": "FREQ=DAILY", "sessionMinutes": 2}},
            "curriculum.sessionMinutes",
        ),
        ({"name": "   "}, "name"),
        ({"color": "blue"}, "color"),
    ],
)
async def test_an_invalid_program_is_refused_naming_the_field_and_nothing_is_made(
    profiles: Profiles, overrides: dict[str, Any], field: str
) -> None:
    t = tenant()
    response = await profiles.call(t, "POST", "/internal/programs", json=program_body(**overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in fields_of(response)
    listed = await profiles.call(t, "GET", "/internal/programs")
    assert listed.json() == {"items": []}


async def test_every_broken_rule_is_named_at_once(profiles: Profiles) -> None:
    response = await profiles.call(
        tenant(),
        "POST",
        "/internal/programs",
        json=program_body(
            kind="GROUP",
            endsOn="2026-06-30",
            curriculum={"cadence": "FREQ=YEARLY", "sessionMinutes": 30},
        ),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID"
    assert set(fields_of(response)) >= {
        "endsOn",
        "curriculum.cadence",
        "matchingPolicy.groupSize",
        "objectives.0.dueOn",
    }


async def test_open_enrollment_publishes_the_program_once(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    assert program["status"] == "ENROLLING"
    assert program["revision"] == 2
    [(event_type, key, data)] = await profiles.events(t)
    assert (event_type, key) == ("program.published", program["id"])
    assert data["program"]["status"] == "ENROLLING"
    assert data["program"]["curriculum"] == program["curriculum"]
    assert data["program"]["matchingPolicy"]["weights"] == program["matchingPolicy"]["weights"]

    again = await profiles.call(t, "POST", f"/internal/programs/{program['id']}/open-enrollment")
    assert again.status_code == 409
    assert again.json()["code"] == "NOT_ALLOWED_IN_STATE"
    assert len(await profiles.events(t)) == 1


async def test_a_window_that_closed_already_cannot_open(profiles: Profiles) -> None:
    t = tenant()
    past = datetime.now(UTC) - timedelta(days=1)
    program = await created(
        profiles,
        t,
        enrollmentWindow={
            "closesAt": past.isoformat(),
            "opensAt": (past - timedelta(days=9)).isoformat(),
        },
    )
    response = await profiles.call(t, "POST", f"/internal/programs/{program['id']}/open-enrollment")
    assert response.status_code == 422
    assert fields_of(response) == ["enrollmentWindow.closesAt"]
    fetched = await profiles.call(t, "GET", f"/internal/programs/{program['id']}")
    assert fetched.json()["status"] == "DRAFT"
    assert await profiles.events(t) == []


async def test_patching_a_draft_publishes_nothing_and_a_published_one_says_what_changed(
    profiles: Profiles,
) -> None:
    t = tenant()
    program = await created(profiles, t)
    path = f"/internal/programs/{program['id']}"
    draft = await profiles.call(
        t, "PATCH", path, json={"name": "Future Leaders", "kind": "REVERSE"}
    )
    assert draft.status_code == 200, draft.text
    assert (draft.json()["name"], draft.json()["kind"]) == ("Future Leaders", "REVERSE")
    assert await profiles.events(t) == []

    await profiles.call(t, "POST", f"{path}/open-enrollment")
    edited = await profiles.call(
        t, "PATCH", path, json={"description": None, "eligibility": {"levels": [5, 3, 3]}}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["description"] is None
    assert edited.json()["eligibility"]["levels"] == [3, 5]
    *_, (event_type, key, data) = await profiles.events(t)
    assert (event_type, key) == ("program.updated", program["id"])
    assert data["changedFields"] == ["description", "eligibility"]
    assert data["program"]["revision"] == edited.json()["revision"]

    unchanged = await profiles.call(t, "PATCH", path, json={"name": "Future Leaders"})
    assert unchanged.json()["revision"] == edited.json()["revision"]
    assert len(await profiles.events(t)) == 2  # published, updated: nothing for a no-op


async def test_a_patch_is_checked_whole_and_refused_whole(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    path = f"/internal/programs/{program['id']}"

    kind = await profiles.call(t, "PATCH", path, json={"kind": "PEER"})
    assert kind.status_code == 409
    assert (kind.json()["code"], fields_of(kind)) == ("NOT_ALLOWED_IN_STATE", ["kind"])

    nulled = await profiles.call(t, "PATCH", path, json={"name": None, "curriculum": None})
    assert nulled.status_code == 422
    assert fields_of(nulled) == ["curriculum", "name"]

    # The new end date would strand an objective: refused, and the name is not renamed either.
    both = await profiles.call(t, "PATCH", path, json={"name": "Renamed", "endsOn": "2027-03-01"})
    assert both.status_code == 422
    assert fields_of(both) == ["objectives.0.dueOn", "objectives.1.dueOn"]
    fetched = (await profiles.call(t, "GET", path)).json()
    assert (fetched["name"], fetched["endsOn"]) == (program["name"], "2027-06-30")
    assert [e[0] for e in await profiles.events(t)] == ["program.published"]


async def test_closing_is_final(profiles: Profiles) -> None:
    t = tenant()
    program = await enrolling(profiles, t)
    path = f"/internal/programs/{program['id']}"
    closed = await profiles.call(t, "POST", f"{path}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "CLOSED"
    *_, (event_type, _, data) = await profiles.events(t)
    assert event_type == "program.closed"
    assert data["program"]["status"] == "CLOSED"
    assert "closedAt" in data

    for method, suffix, body in (
        ("POST", "/close", None),
        ("POST", "/open-enrollment", None),
        ("PATCH", "", {"name": "Again"}),
    ):
        response = await profiles.call(t, method, f"{path}{suffix}", json=body)
        assert response.status_code == 409, (suffix, response.text)
        assert response.json()["code"] == "NOT_ALLOWED_IN_STATE"


async def test_programs_are_listed_by_status_and_never_across_tenants(profiles: Profiles) -> None:
    t, other = tenant(), tenant()
    draft = await created(profiles, t, name="Draft one")
    open_ = await enrolling(profiles, t, name="Open one")
    foreign = await created(profiles, other)

    def names(response: httpx.Response) -> list[str]:
        return [p["name"] for p in response.json()["items"]]

    assert names(await profiles.call(t, "GET", "/internal/programs")) == ["Draft one", "Open one"]
    enrolling_only = await profiles.call(
        t, "GET", "/internal/programs", params={"status": "ENROLLING"}
    )
    assert names(enrolling_only) == ["Open one"]
    both = await profiles.call(
        t, "GET", "/internal/programs", params=[("status", "DRAFT"), ("status", "ENROLLING")]
    )
    assert names(both) == ["Draft one", "Open one"]
    bad = await profiles.call(t, "GET", "/internal/programs", params={"status": "RUNNING"})
    assert bad.status_code == 422

    assert (await profiles.call(t, "GET", f"/internal/programs/{foreign['id']}")).status_code == 404
    batch = await profiles.call(
        t,
        "POST",
        "/internal/programs/batch",
        json={"ids": [draft["id"], foreign["id"], open_["id"]]},
    )
    assert sorted(p["id"] for p in batch.json()["items"]) == sorted([draft["id"], open_["id"]])
    opened_elsewhere = await profiles.call(
        t, "POST", f"/internal/programs/{foreign['id']}/open-enrollment"
    )
    assert opened_elsewhere.status_code == 404


# --- enrollment --------------------------------------------------------------------------------


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


async def test_internal_calls_need_a_service_token(profiles: Profiles) -> None:
    response = await profiles.http.get("/internal/programs")
    assert response.status_code == 401
