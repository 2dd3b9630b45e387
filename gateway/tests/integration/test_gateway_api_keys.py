"""Integrator keys through GraphQL and the gateway's real database: an ADMIN key creates a
READ key, which may query but not change anything nor manage keys; a rotated key works beside
its successor for the grace period, then stops (grace 0: at once); a revoked key stops; each
use is recorded (lastUsedAt) and named on the request's span. Every answer carries the key's
points budget (x-ratelimit-*, extensions.cost); a key past it gets 429 with Retry-After, and
another key is still served. GraphQL over HTTP: graphql-response+json clients get 400 for a
document that does not parse and 422 for one refused before execution; JSON clients 200."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from telemetry.tracing import request_line

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
CREATE = f"""mutation($i: CreateApiKeyInput!) {{ createApiKey(input: $i) {{
  apiKey {{ id name scopes }} secret {ERRORS} }} }}"""
ROTATE = f"""mutation($i: RotateApiKeyInput!) {{ rotateApiKey(input: $i) {{
  apiKey {{ id }} secret {ERRORS} }} }}"""
REVOKE = f"""mutation($id: ID!) {{ revokeApiKey(input: {{id: $id}}) {{
  apiKey {{ revokedAt }} {ERRORS} }} }}"""
KEYS = "{ apiKeys { id name scopes lastUsedAt expiresAt revokedAt } }"
BUDGET = 1000
# A key's `me` is null without calling any service; costed as asked: 1 + 10 * (1 + 10).
HEAVY = "{ me { managers { managers { id } } } }"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
            budget_key_points=BUDGET,
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Integrators Ltd", app.state.sealer)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            yield client, tenant.api_key


async def call(
    client: httpx.AsyncClient,
    key: str,
    query: str,
    variables: dict[str, Any] | None = None,
    accept: str | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if accept:
        headers["Accept"] = accept
    return await client.post(
        "/graphql", headers=headers, json={"query": query, "variables": variables or {}}
    )


def code(answer: httpx.Response) -> str:
    return str(answer.json()["errors"][0]["extensions"]["code"])


async def issue(client: httpx.AsyncClient, admin: str, name: str, scopes: list[str]) -> Any:
    made = await call(client, admin, CREATE, {"i": {"name": name, "scopes": scopes}})
    payload = made.json()["data"]["createApiKey"]
    assert payload["userErrors"] == [], payload
    return payload


async def test_scopes_rotation_and_revocation(gateway: tuple[httpx.AsyncClient, str]) -> None:
    client, admin = gateway
    refused = await call(client, admin, CREATE, {"i": {"name": " ", "scopes": []}})
    assert [e["field"] for e in refused.json()["data"]["createApiKey"]["userErrors"]] == [
        ["input", "name"]
    ]
    reader = await issue(client, admin, "dashboards", ["READ"])
    assert reader["apiKey"]["scopes"] == ["READ"] and reader["secret"].startswith("cairn_")
    spans = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    assert (await call(client, reader["secret"], "{ __typename }")).status_code == 200
    # The request's span, and the line logged for it, name the key that made it.
    lines = [request_line(span) or "" for span in spans.get_finished_spans()]
    assert any(f"by apikey:{reader['apiKey']['id']}" in line for line in lines), lines
    assert code(await call(client, reader["secret"], KEYS)) == "FORBIDDEN"
    change = 'mutation { closeProgram(input: {programId: "x"}) { userErrors { code } } }'
    assert code(await call(client, reader["secret"], change)) == "FORBIDDEN"
    writer = await issue(client, admin, "lms", ["READ", "WRITE"])
    assert code(await call(client, writer["secret"], change)) == "FORBIDDEN"  # ADMIN's

    # Rotation: both keys work during the grace period.
    rotated = (
        await call(
            client, admin, ROTATE, {"i": {"id": reader["apiKey"]["id"], "graceSeconds": 600}}
        )
    ).json()["data"]["rotateApiKey"]
    assert rotated["userErrors"] == []
    for key in (reader["secret"], rotated["secret"]):
        assert (await call(client, key, "{ __typename }")).status_code == 200
    listed = {k["id"]: k for k in (await call(client, admin, KEYS)).json()["data"]["apiKeys"]}
    assert listed[reader["apiKey"]["id"]]["expiresAt"] is not None
    assert listed[reader["apiKey"]["id"]]["lastUsedAt"] is not None
    assert listed[rotated["apiKey"]["id"]]["scopes"] == ["READ"]

    # Grace 0: the old key stops at once; revoked: stops at once.
    now = (
        await call(client, admin, ROTATE, {"i": {"id": rotated["apiKey"]["id"], "graceSeconds": 0}})
    ).json()["data"]["rotateApiKey"]
    assert (await call(client, rotated["secret"], "{ __typename }")).status_code == 401
    assert (await call(client, now["secret"], "{ __typename }")).status_code == 200
    revoked = (await call(client, admin, REVOKE, {"id": now["apiKey"]["id"]})).json()["data"]
    assert revoked["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert (await call(client, now["secret"], "{ __typename }")).status_code == 401
    again = (await call(client, admin, REVOKE, {"id": now["apiKey"]["id"]})).json()["data"]
    assert again["revokeApiKey"]["userErrors"][0]["code"] == "NOT_ALLOWED_IN_STATE"
    unknown = (await call(client, admin, REVOKE, {"id": "nope"})).json()["data"]
    assert unknown["revokeApiKey"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_every_answer_carries_the_budget_and_a_spent_key_waits(
    gateway: tuple[httpx.AsyncClient, str],
) -> None:
    client, admin = gateway
    spender = (await issue(client, admin, "burst", ["READ"]))["secret"]
    other = (await issue(client, admin, "calm", ["READ"]))["secret"]
    statuses = [(await call(client, spender, "{ __typename }")).status_code for _ in range(6)]
    first = await call(client, other, "{ __typename }")
    assert first.headers["x-ratelimit-limit"] == str(BUDGET)
    assert int(first.headers["x-ratelimit-remaining"]) == BUDGET - 1
    assert int(first.headers["x-ratelimit-reset"]) > 0
    cost = first.json()["extensions"]["cost"]
    assert (cost["requested"], cost["remaining"]) == (1, BUDGET - 1) and cost["resetAt"]
    burst = [await call(client, spender, HEAVY) for _ in range(BUDGET // 111 + 2)]
    assert burst[0].json()["extensions"]["cost"]["requested"] == 111
    throttled = [a for a in burst if a.status_code == 429]
    assert throttled, [a.status_code for a in burst]
    assert int(throttled[0].headers["retry-after"]) >= 1
    assert code(throttled[0]) == "THROTTLED"
    assert int(throttled[0].headers["x-ratelimit-remaining"]) < 111  # kept, not spent
    assert statuses == [200] * 6
    assert (await call(client, other, "{ __typename }")).status_code == 200  # others served


async def test_graphql_over_http_status_codes(gateway: tuple[httpx.AsyncClient, str]) -> None:
    client, admin = gateway
    key = (await issue(client, admin, "http", ["READ"]))["secret"]
    wanted = "application/graphql-response+json"
    broken = await call(client, key, "{ oops", accept=wanted)
    assert broken.status_code == 400 and broken.headers["content-type"] == wanted
    invalid = await call(client, key, "{ noSuchField }", accept=wanted)
    assert invalid.status_code == 422, invalid.text
    fine = await call(client, key, "{ __typename }", accept=wanted)
    assert fine.status_code == 200 and fine.headers["content-type"] == wanted
    legacy = await call(client, key, "{ noSuchField }")
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
