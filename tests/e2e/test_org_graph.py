"""The org graph end to end: HRIS webhook → gateway → Kafka → profiles, read back through
GraphQL. Future-dated changes wait for their time, manager loops are refused and listed,
managers named early resolve, and people edit their own profile (self-identification goes in
and never comes out)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

PERSON = """
query($externalId: String) {
  person(externalId: $externalId) {
    id externalId title department location bio skills interests languages
    manager { externalId }
    managers { externalId }
    reports(first: 50) { totalCount edges { depth node { externalId } } }
    history { field from to effectiveAt sourceVersion recordedAt }
  }
}"""

REJECTIONS = """
query($first: Int, $after: String) {
  orgChangeRejections(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id changeId type externalId field reason sourceVersion person { externalId } } }
  }
}"""

UPDATE_PROFILE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    person { externalId skills interests languages bio }
    userErrors { field message code }
  }
}"""

SELF_IDENTIFY = """
mutation($input: UpdateSelfIdentificationInput!) {
  updateSelfIdentification(input: $input) {
    person { externalId }
    userErrors { field message code }
  }
}"""


def change(
    kind: str, external_id: str, version: int, effective_at: datetime | None = None, **employee: Any
) -> dict[str, Any]:
    moment = effective_at or datetime(2026, 1, 5, 9, tzinfo=UTC)
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": kind,
        "effectiveAt": moment.isoformat().replace("+00:00", "Z"),
        "sourceVersion": version,
        "employee": {"externalId": external_id, **employee},
    }


def hire(external_id: str, **employee: Any) -> dict[str, Any]:
    return change(
        "employee.hired",
        external_id,
        1,
        email=f"{external_id.lower()}@org-graph.example",
        displayName=f"Person {external_id}",
        **employee,
    )


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


async def push(system: RunningSystem, tenant: dict[str, str], *changes: dict[str, Any]) -> None:
    response = await system.push_changes(tenant, list(changes))
    assert response.status_code == 202, response.text


async def person(system: RunningSystem, tenant: dict[str, str], external_id: str) -> Any:
    body = await system.graphql(tenant["apiKey"], PERSON, {"externalId": external_id})
    assert "errors" not in body, body
    return body["data"]["person"]


async def until(
    system: RunningSystem, tenant: dict[str, str], external_id: str, **expected: Any
) -> Any:
    async def matches() -> Any:
        found = await person(system, tenant, external_id)
        if found and all(found.get(k) == v for k, v in expected.items()):
            return found
        return None

    return await eventually(matches, timeout_s=30)


async def test_a_future_dated_transfer_is_invisible_until_its_time(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Future Dated Inc")
    someone = unique("F")
    await push(system, tenant, hire(someone, department="Sales", title="Rep"))
    await until(system, tenant, someone, department="Sales")

    transfer_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    far_future = datetime.now(UTC) + timedelta(days=30)
    await push(
        system,
        tenant,
        change("employee.updated", someone, 2, transfer_at, department="Platform"),
        change("employee.updated", someone, 3, far_future, title="Director"),
        # Effective now, sent last: once it shows, profiles has taken the two before it.
        change("employee.updated", someone, 4, location="Berlin"),
    )
    seen = await until(system, tenant, someone, location="Berlin")
    if datetime.now(UTC) < transfer_at - timedelta(seconds=1):
        assert seen["department"] == "Sales"  # read before its time: not there yet
    assert seen["title"] == "Rep"

    moved = await until(system, tenant, someone, department="Platform")
    assert moved["title"] == "Rep"  # a month away: still invisible
    transfer = [h for h in moved["history"] if h["field"] == "department"][-1]
    assert (transfer["from"], transfer["to"], transfer["sourceVersion"]) == (
        "Sales",
        "Platform",
        2,
    )
    effective = datetime.fromisoformat(transfer["effectiveAt"])
    assert effective == transfer_at
    # Applied at its time, not before.
    assert datetime.fromisoformat(transfer["recordedAt"]) >= effective


async def test_a_manager_loop_is_refused_with_its_chain_and_listed(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Loops Ltd")
    top, middle, low = unique("E"), unique("E"), unique("E")
    await push(
        system,
        tenant,
        hire(top),
        hire(middle, managerExternalId=top),
        hire(low, managerExternalId=middle),
    )
    chain = await until(system, tenant, low, managers=[{"externalId": middle}, {"externalId": top}])
    assert chain["manager"] == {"externalId": middle}

    # middle would report to low, who reports to middle; the promotion still applies.
    bad = change("employee.updated", middle, 2, managerExternalId=low, title="Head")
    await push(system, tenant, bad)
    promoted = await until(system, tenant, middle, title="Head")
    assert promoted["manager"] == {"externalId": top}

    body = await system.graphql(tenant["apiKey"], REJECTIONS, {"first": 10})
    assert "errors" not in body, body
    rejections = body["data"]["orgChangeRejections"]
    assert rejections["totalCount"] == 1
    refused = rejections["edges"][0]["node"]
    assert refused["changeId"] == bad["id"]
    assert refused["type"] == "employee.updated"
    assert refused["externalId"] == middle
    assert refused["person"] == {"externalId": middle}
    assert refused["field"] == "managerExternalId"
    assert refused["sourceVersion"] == 2
    assert f"{middle} → {low} → {middle}" in refused["reason"]

    top_view = await person(system, tenant, top)
    assert [(e["node"]["externalId"], e["depth"]) for e in top_view["reports"]["edges"]] == [
        (middle, 1),
        (low, 2),
    ]
    # Another tenant sees none of it.
    other = system.create_tenant("Elsewhere")
    theirs = await system.graphql(other["apiKey"], REJECTIONS, {"first": 10})
    assert theirs["data"]["orgChangeRejections"]["totalCount"] == 0


async def test_a_manager_named_early_resolves_when_they_arrive(system: RunningSystem) -> None:
    tenant = system.create_tenant("Early Names")
    boss, report = unique("B"), unique("R")
    await push(system, tenant, hire(report, managerExternalId=boss))
    early = await until(system, tenant, report, managers=[])
    assert early["manager"] is None

    await push(system, tenant, hire(boss))
    resolved = await until(system, tenant, report, manager={"externalId": boss})
    assert resolved["managers"] == [{"externalId": boss}]
    boss_view = await person(system, tenant, boss)
    assert [(e["node"]["externalId"], e["depth"]) for e in boss_view["reports"]["edges"]] == [
        (report, 1)
    ]


async def test_update_profile_round_trip_and_user_errors(system: RunningSystem) -> None:
    tenant = system.create_tenant("Self Service Co")
    someone = unique("P")
    await push(system, tenant, hire(someone, languages=["en"]))
    found = await until(system, tenant, someone, externalId=someone)

    body = await system.graphql(
        tenant["apiKey"],
        UPDATE_PROFILE,
        {
            "input": {
                "personId": found["id"],
                "skills": [" Go", "go", "Negotiation "],
                "interests": ["Public speaking"],
                "bio": "  Ten years in platform teams. ",
            }
        },
    )
    assert "errors" not in body, body
    payload = body["data"]["updateProfile"]
    assert payload["userErrors"] == []
    assert payload["person"] == {
        "externalId": someone,
        "skills": ["Go", "Negotiation"],
        "interests": ["Public speaking"],
        "languages": ["en"],
        "bio": "Ten years in platform teams.",
    }
    again = await person(system, tenant, someone)
    assert (again["skills"], again["bio"]) == (
        ["Go", "Negotiation"],
        "Ten years in platform teams.",
    )

    bad = await system.graphql(
        tenant["apiKey"],
        UPDATE_PROFILE,
        {"input": {"personId": found["id"], "skills": ["Go", " "], "bio": "changed?"}},
    )
    assert "errors" not in bad, bad
    payload = bad["data"]["updateProfile"]
    assert payload["person"] is None
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID"
    assert error["field"] == ["input", "skills", "1"]
    assert "at least 1 character" in error["message"]
    unchanged = await person(system, tenant, someone)
    assert (unchanged["skills"], unchanged["bio"]) == (
        ["Go", "Negotiation"],
        "Ten years in platform teams.",
    )

    for made_up in ("nonsense", found["id"][:-2] + "xx"):
        missing = await system.graphql(
            tenant["apiKey"], UPDATE_PROFILE, {"input": {"personId": made_up, "bio": "x"}}
        )
        assert missing["data"]["updateProfile"]["userErrors"] == [
            {"field": ["input", "personId"], "message": "no such person", "code": "NOT_FOUND"}
        ]
    # Another tenant's person is not found either.
    other = system.create_tenant("Not Yours")
    foreign = await system.graphql(
        other["apiKey"], UPDATE_PROFILE, {"input": {"personId": found["id"], "bio": "x"}}
    )
    assert foreign["data"]["updateProfile"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await person(system, tenant, someone))["bio"] == "Ten years in platform teams."


async def test_self_identification_is_never_readable(system: RunningSystem) -> None:
    tenant = system.create_tenant("Private Matters")
    someone = unique("S")
    await push(system, tenant, hire(someone))
    found = await until(system, tenant, someone, externalId=someone)
    secret = "rare-secret-value"
    body = await system.graphql(
        tenant["apiKey"],
        SELF_IDENTIFY,
        {
            "input": {
                "personId": found["id"],
                "consented": True,
                "underrepresented": True,
                "demographics": {"ethnicity": secret},
            }
        },
    )
    assert "errors" not in body, body
    assert body["data"]["updateSelfIdentification"] == {
        "person": {"externalId": someone},
        "userErrors": [],
    }

    # The schema has no field for it, so no query can ask.
    fields = await system.graphql(
        tenant["apiKey"], '{ __type(name: "Person") { fields { name } } }'
    )
    names = {f["name"].lower() for f in fields["data"]["__type"]["fields"]}
    assert not {n for n in names if "underrepresented" in n or "demographic" in n or "ident" in n}
    asked = await system.graphql(
        tenant["apiKey"],
        "query($id: ID){ person(id: $id) { underrepresented } }",
        {"id": found["id"]},
    )
    assert asked["errors"]
    assert secret not in str(asked)

    everything = await system.graphql(
        tenant["apiKey"],
        "query($e: String){ person(externalId: $e) { id history { to } managers { id } } "
        "people(first: 100) { edges { node { id externalId } } } }",
        {"e": someone},
    )
    assert secret not in str(everything)
    listed = await system.internal(
        "profiles", f"/internal/people?search={someone}", tenant["tenantId"]
    )
    person_id = listed.json()["edges"][0]["node"]["id"]
    for path in (f"/internal/people/{person_id}", f"/internal/people?search={someone}"):
        answer = await system.internal("profiles", path, tenant["tenantId"])
        assert answer.status_code == 200
        assert secret not in answer.text
        assert "underrepresented" not in answer.text
        assert "demographics" not in answer.text

    refused = await system.graphql(
        tenant["apiKey"],
        SELF_IDENTIFY,
        {"input": {"personId": found["id"], "consented": False, "underrepresented": True}},
    )
    payload = refused["data"]["updateSelfIdentification"]
    assert payload["person"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "underrepresented"])
    assert "consented is false" in error["message"]
