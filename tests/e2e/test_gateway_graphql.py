"""The public GraphQL surface: authentication, errors with codes, limits, pagination."""

import uuid
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_no_or_bad_api_key_is_unauthenticated(system: RunningSystem) -> None:
    url = f"{system.url('gateway')}/graphql"
    for headers in (
        {},
        {"Authorization": "Bearer cairn_nope_nope"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ):
        response = await system.http.post(
            url, json={"query": "{ people { totalCount } }"}, headers=headers
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_input_and_limits_are_reported_with_codes(system: RunningSystem) -> None:
    tenant = system.create_tenant("Limits Co")
    key = tenant["apiKey"]

    too_many = await system.graphql(key, "{ people(first: 500) { totalCount } }")
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    neither = await system.graphql(key, "{ person { id } }")
    assert neither["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    bad_cursor = await system.graphql(key, '{ people(after: "garbage!") { totalCount } }')
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "after" in bad_cursor["errors"][0]["message"]

    nested = "manager { " * 12 + "id" + " }" * 12
    deep = await system.graphql(key, f'{{ person(externalId: "x") {{ {nested} }} }}')
    assert "exceeds maximum operation depth" in deep["errors"][0]["message"]

    aliases = " ".join(f"a{i}: people {{ totalCount }}" for i in range(40))
    many = await system.graphql(key, f"{{ {aliases} }}")
    assert "aliases" in many["errors"][0]["message"].lower()

    # Made-up ids are simply not found, never an error.
    made_up = await system.graphql(key, '{ person(id: "not-an-id") { id } }')
    assert made_up["data"] == {"person": None}
    assert "errors" not in made_up


async def test_people_pages_with_opaque_cursors(system: RunningSystem) -> None:
    tenant = system.create_tenant("Paging Ltd")
    names = [f"Page Person {i:02d}" for i in range(7)]
    changes: list[dict[str, Any]] = [
        {
            "id": f"chg-{uuid.uuid4().hex}",
            "type": "employee.hired",
            "effectiveAt": "2026-11-01T09:00:00Z",
            "sourceVersion": 1,
            "employee": {
                "externalId": f"P{i}",
                "email": f"p{i}@paging-ltd.com",
                "displayName": name,
                "department": "Ops" if i % 2 else "Sales",
            },
        }
        for i, name in enumerate(names)
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202

    async def all_there() -> Any:
        body = await system.graphql(tenant["apiKey"], "{ people { totalCount } }")
        return body if body["data"]["people"]["totalCount"] == len(names) else None

    await eventually(all_there)
    seen: list[str] = []
    after = None
    query = """query($after: String) { people(first: 3, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { displayName } } } }"""
    for _ in range(5):
        page = (await system.graphql(tenant["apiKey"], query, {"after": after}))["data"]["people"]
        seen += [e["node"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(names)

    sales = await system.graphql(tenant["apiKey"], '{ people(department: "Sales") { totalCount } }')
    assert sales["data"]["people"]["totalCount"] == 4
    search = await system.graphql(
        tenant["apiKey"], '{ people(search: "person 03") { edges { node { displayName } } } }'
    )
    assert [e["node"]["displayName"] for e in search["data"]["people"]["edges"]] == [names[3]]


async def test_every_process_reports_health_and_readiness(system: RunningSystem) -> None:
    for name in ("gateway", "profiles", "matching", "sessions", "feedback"):
        assert (await system.http.get(f"{system.url(name)}/healthz")).status_code == 200
        ready = await system.http.get(f"{system.url(name)}/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "broker": True}


async def test_internal_apis_refuse_calls_without_a_service_token(system: RunningSystem) -> None:
    for name, path in (("profiles", "/internal/people"), ("matching", "/internal/roster/x")):
        response = await system.http.get(f"{system.url(name)}{path}")
        assert response.status_code == 401
        forged = await system.http.get(
            f"{system.url(name)}{path}", headers={"Authorization": "Bearer e30.e30.c2ln"}
        )
        assert forged.status_code == 401
