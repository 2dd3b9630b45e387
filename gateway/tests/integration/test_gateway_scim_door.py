"""SCIM at the door: bodies read within a time limit and JSON nesting bounded before parsing,
and resource locations built on the configured public base URL, never on the Host header the
client sent; against the gateway app and a real database."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from persistence.migrations import upgrade_async
from runtime.bodies import MAX_JSON_DEPTH
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

PUBLIC = "https://cairn.example.org"
READ_TIMEOUT_S = 0.5
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Gateway:
    http: httpx.AsyncClient
    api_key: str

    def auth(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", **more}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(database_factory: DatabaseFactory) -> AsyncIterator[Gateway]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
            public_base_url=f"{PUBLIC}/",
            body_read_timeout_s=READ_TIMEOUT_S,
        )
    )
    process = app.state.process
    async with process.uow() as uow:
        tenant = await create_tenant(uow, "Locations Ltd", app.state.sealer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.internal:8080"
    ) as client:
        yield Gateway(client, tenant.api_key)
    await process.publisher.close()
    await process.engine.dispose()


def user(name: str) -> dict[str, object]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "emails": [{"value": f"{name}@example.com"}],
    }


async def test_locations_come_from_the_public_base_url_whatever_the_host_header(
    gateway: Gateway,
) -> None:
    evil = {"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"}
    created = await gateway.http.post(
        "/scim/v2/Users", json=user("ada"), headers=gateway.auth(**evil)
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    expected = f"{PUBLIC}/scim/v2/Users/{user_id}"
    assert created.headers["location"] == expected
    assert created.json()["meta"]["location"] == expected

    fetched = await gateway.http.get(f"/scim/v2/Users/{user_id}", headers=gateway.auth(**evil))
    assert fetched.json()["meta"]["location"] == expected
    listed = await gateway.http.get("/scim/v2/Users", headers=gateway.auth(**evil))
    assert [r["meta"]["location"] for r in listed.json()["Resources"]] == [expected]

    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Leads"}
    made = await gateway.http.post("/scim/v2/Groups", json=group, headers=gateway.auth(**evil))
    assert made.status_code == 201, made.text
    assert made.json()["meta"]["location"] == f"{PUBLIC}/scim/v2/Groups/{made.json()['id']}"
    assert "attacker" not in created.text + fetched.text + listed.text + made.text


async def test_json_nested_too_deep_is_a_scim_400_naming_the_limit(gateway: Gateway) -> None:
    for path in ("/scim/v2/Users", "/scim/v2/Users/.search", "/scim/v2/.search", "/scim/v2/Groups"):
        refused = await gateway.http.post(
            path,
            content=b'{"schemas": ' + b"[" * 100_000,
            headers=gateway.auth(**{"Content-Type": "application/scim+json"}),
        )
        assert refused.status_code == 400, (path, refused.text)
        assert refused.headers["content-type"].startswith("application/scim+json")
        body = refused.json()
        assert body["schemas"] == [SCIM_ERROR] and body["scimType"] == "invalidSyntax"
        assert f"deeper than {MAX_JSON_DEPTH}" in body["detail"]


async def test_a_trickled_body_is_cut_and_an_unauthenticated_one_is_never_read(
    gateway: Gateway,
) -> None:
    sent = 0

    async def trickle() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 1
            yield b" "
            await asyncio.sleep(0.05)

    refused = await gateway.http.post(
        "/scim/v2/Users", content=trickle(), headers={"Authorization": "Bearer cairn_x_y"}
    )
    assert (refused.status_code, sent) == (401, 0)

    started = time.monotonic()
    cut = await gateway.http.post("/scim/v2/Users", content=trickle(), headers=gateway.auth())
    assert cut.status_code == 408, cut.text
    assert cut.json()["schemas"] == [SCIM_ERROR]
    assert cut.json()["detail"] == f"the body did not arrive within {READ_TIMEOUT_S:g} s"
    assert time.monotonic() - started < READ_TIMEOUT_S + 1.0


async def test_text_no_database_stores_is_a_scim_invalid_value_naming_the_attribute(
    gateway: Gateway,
) -> None:
    """NUL in a userName reached PostgreSQL's text column (a 500): now SCIM's own 400."""
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a\x00b"}
    refused = await gateway.http.post(
        "/scim/v2/Users",
        content=json.dumps(user).encode(),
        headers=gateway.auth(**{"Content-Type": "application/scim+json"}),
    )
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["schemas"] == [SCIM_ERROR] and body["scimType"] == "invalidValue"
    assert "userName" in body["detail"] and "NUL" in body["detail"]
    listed = await gateway.http.get("/scim/v2/Users", headers=gateway.auth())
    assert all("\x00" not in r["userName"] for r in listed.json()["Resources"])
