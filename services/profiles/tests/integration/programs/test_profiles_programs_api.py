"""Programs through profiles' internal REST API, on a real database (SQLite, or PostgreSQL
with TEST_DATABASE_URL): rules enforced with the field named, nothing half written, and every
change's event in the outbox of the same transaction."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.profiles.tests.integration.programs.programs_api import (
    Profiles,
    created,
    enrolling,
    fields_of,
    program_body,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


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


async def test_internal_calls_need_a_service_token(profiles: Profiles) -> None:
    response = await profiles.http.get("/internal/programs")
    assert response.status_code == 401
