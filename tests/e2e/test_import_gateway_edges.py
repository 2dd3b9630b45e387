"""The gateway's side of an import, in process on a real database: what it refuses before
profiles is asked (key, size, type) and what it answers when profiles cannot be reached."""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.config import GatewaySettings
from gateway.entrypoints import imports
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from messaging.broker import free_port
from runtime.bodies import MAX_JSON_DEPTH
from runtime.process import ServiceProcess
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

CSV = "externalId,email,displayName\nE1,a@example.com,Ann\n"


@dataclass
class Gateway:
    http: httpx.AsyncClient
    api_key: str

    async def upload(self, body: str = CSV, **headers: str) -> httpx.Response:
        return await self.http.post(
            "/imports/people",
            content=body,
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "text/csv",
                **headers,
            },
        )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(database_factory: DatabaseFactory) -> AsyncIterator[Gateway]:
    private, _ = generate_keypair()
    settings = GatewaySettings(
        database_url=await database_factory("gateway"),
        run_workers=False,
        service_token_private_key=private,
        sealing_keys=new_key(),
        # Nothing listens there: profiles is down.
        profiles_url=f"http://127.0.0.1:{free_port()}",
    )
    app = create_app(settings)
    process: ServiceProcess = app.state.process
    async with app.router.lifespan_context(app):
        async with process.uow() as uow:
            credentials = await create_tenant(uow, "Edges Corp", app.state.sealer)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as http:
            yield Gateway(http, credentials.api_key)


async def test_without_a_valid_api_key_nothing_is_read(gateway: Gateway) -> None:
    for authorization in ("Bearer cairn_abc_def", "Basic dXNlcjpwYXNz"):
        response = await gateway.upload(Authorization=authorization)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "API key" in response.json()["detail"]


async def test_an_upload_over_the_limit_is_refused(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 40)
    response = await gateway.upload()
    assert response.status_code == 413
    assert "at most 40 bytes" in response.json()["detail"]


async def test_only_csv_and_json_are_taken(gateway: Gateway) -> None:
    response = await gateway.upload(**{"Content-Type": "application/vnd.ms-excel"})
    assert response.status_code == 415
    assert "text/csv or application/json" in response.json()["detail"]


async def test_profiles_down_is_a_503_to_retry(gateway: Gateway) -> None:
    response = await gateway.upload()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "profiles is unavailable" in response.json()["detail"]


async def test_json_nested_too_deep_is_refused_before_profiles_is_asked(
    gateway: Gateway,
) -> None:
    # Profiles is down: a body that got past the gateway would be answered 503.
    for body in ("[" * 100_000, '{"people": ' + "[" * 65 + "]" * 65 + "}"):
        response = await gateway.upload(body, **{"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert f"deeper than {MAX_JSON_DEPTH}" in response.json()["detail"]


async def test_a_trickled_upload_is_cut(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "IMPORT_READ_TIMEOUT_S", 0.3)

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(1000):
            yield b"E1,a@example.com,Ann\n"
            await asyncio.sleep(0.05)

    started = time.monotonic()
    response = await gateway.http.post(
        "/imports/people",
        content=trickle(),
        headers={"Authorization": f"Bearer {gateway.api_key}", "Content-Type": "text/csv"},
    )
    assert response.status_code == 408, response.text
    assert response.json()["detail"] == "the body did not arrive within 0.3 s"
    assert time.monotonic() - started < 1.5
