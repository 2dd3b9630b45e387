"""BambooHR fails safe: only an explicit status terminates; an employee the API does not know,
a refused API key, a wrong API base or a server that does not answer in time is a connection
error (nothing changed, 503 with Retry-After so BambooHR retries, the problem kept on the
connection for the operator, named without internals); replays of a notification cost one
fetch with the tenant's API key. Against the gateway app, a real database and a local server
answering like BambooHR's API."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.hris_connections import connection_summaries, create_hris_connection
from gateway.service_layer.tenants import TenantCredentials, create_tenant
from messaging.broker import free_port
from persistence.migrations import upgrade_async
from runtime.process import ServiceProcess
from runtime.sealing import Sealer, new_key
from service_auth.tokens import generate_keypair
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

pytestmark = pytest.mark.asyncio(loop_scope="session")

WEBHOOK_KEY = "bamboo-webhook-private-key"
API_KEY = "0123456789abcdef0123456789abcdef01234567"
DEADLINE_S = 1.5


@dataclass
class FakeBambooHR:
    """GET /api/gateway.php/{company}/v1/employees/{id}?fields=…, HTTP Basic with the API key;
    employees of `slow` are answered a byte at a time, each well inside httpx's read timeout."""

    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    fetched: list[str] = field(default_factory=list)

    async def employee(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:x".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(status_code=401)
        employee_id = request.path_params["employee_id"]
        if request.path_params["company"] != "acme":
            return Response(status_code=404)  # what a wrong API base looks like
        self.fetched.append(employee_id)
        if employee_id in self.slow:
            return StreamingResponse(self._trickle(), media_type="application/json")
        found = self.employees.get(employee_id)
        if found is None:
            return Response(status_code=404)
        return JSONResponse({"id": employee_id, **found})

    async def _trickle(self) -> AsyncIterator[bytes]:
        for _ in range(300):  # a minute at this pace
            yield b" "
            await asyncio.sleep(0.2)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bamboo() -> AsyncIterator[tuple[FakeBambooHR, str]]:
    fake = FakeBambooHR()
    app = Starlette(
        routes=[Route("/api/gateway.php/{company}/v1/employees/{employee_id}", fake.employee)]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn only offers this flag)
        await asyncio.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}/api/gateway.php"
    server.should_exit = True
    server.force_exit = True  # the trickling answers would hold it otherwise
    await task


@dataclass
class Gateway:
    http: httpx.AsyncClient
    process: ServiceProcess
    sealer: Sealer
    tenant: TenantCredentials
    api_root: str

    async def connect(self, company: str = "acme", api_key: str = API_KEY) -> str:
        async with self.process.uow() as uow:
            made = await create_hris_connection(
                uow,
                self.sealer,
                self.tenant.tenant_id,
                "bamboohr",
                secret=WEBHOOK_KEY,
                settings={"api_base": f"{self.api_root}/{company}", "api_key": api_key},
            )
        return made.hris_connection_id

    async def notify(
        self, connection_id: str, body: bytes, *, sent_at: int | None = None
    ) -> httpx.Response:
        stamp = str(sent_at if sent_at is not None else int(time.time()))
        mac = hmac.new(WEBHOOK_KEY.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
        return await self.http.post(
            f"/webhooks/hris/{connection_id}/bamboohr",
            content=body,
            headers={
                "content-type": "application/json",
                "x-bamboohr-timestamp": stamp,
                "x-bamboohr-signature": mac,
            },
        )

    async def stored_changes(self, connection_id: str) -> list[dict[str, Any]]:
        outbox = messaging.outbox
        async with self.process.uow() as uow:
            rows = await uow.session.execute(select(outbox.c.data).order_by(outbox.c.id))
        return [r.data["change"] for r in rows if r.data["connectionId"] == connection_id]

    async def connection(self, connection_id: str) -> dict[str, Any]:
        async with self.process.uow() as uow:
            [found] = await connection_summaries(uow, self.sealer, connection_id=connection_id)
        return found.as_json()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(
    database_factory: DatabaseFactory, bamboo: tuple[FakeBambooHR, str]
) -> AsyncIterator[Gateway]:
    _, api_root = bamboo
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
            hris_fetch_timeout_s=DEADLINE_S,
        )
    )
    process = app.state.process
    async with process.uow() as uow:
        tenant = await create_tenant(uow, "Fail Safe Inc", app.state.sealer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test", timeout=30
    ) as client:
        yield Gateway(client, process, app.state.sealer, tenant, api_root)
    await process.publisher.close()
    await process.engine.dispose()


def notice(kind: str, employee_id: str) -> bytes:
    return json.dumps(
        {"type": kind, "data": {"companyId": 1, "employeeId": employee_id, "changedFields": []}}
    ).encode()


def record(status: str = "Active") -> dict[str, Any]:
    return {
        "firstName": "Ada",
        "lastName": "Obi",
        "displayName": "Ada Obi",
        "workEmail": "ada@acme-corp.com",
        "status": status,
    }


def fresh_id() -> str:
    return uuid.uuid4().hex[:10]


def assert_retry_later(response: httpx.Response, *named: str) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    detail: str = response.json()["detail"]
    for part in named:
        assert part in detail, detail
    # Named without internals: no exception repr, no URL (an API base may carry secrets).
    for internal in ("Error(", "Exception", "Traceback", "http://", "https://", API_KEY):
        assert internal not in detail, detail
    return detail


async def test_an_employee_bamboohr_does_not_know_is_a_connection_error_not_a_leaver(
    gateway: Gateway, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, _ = bamboo
    connection_id = await gateway.connect()
    employee_id = fresh_id()  # BambooHR answers 404 for it
    before = datetime.now(UTC)

    for kind in ("employee.updated", "employee.created"):
        response = await gateway.notify(connection_id, notice(kind, employee_id), sent_at=0)
        # (an old signed timestamp is refused: 401, no fetch)
        assert response.status_code == 401
        response = await gateway.notify(connection_id, notice(kind, employee_id))
        detail = assert_retry_later(response, "404")
    assert fake.fetched.count(employee_id) == 2
    assert await gateway.stored_changes(connection_id) == []

    shown = await gateway.connection(connection_id)
    assert shown["lastError"] == detail
    assert before <= datetime.fromisoformat(shown["lastErrorAt"]) <= datetime.now(UTC)


async def test_a_wrong_api_base_or_a_refused_key_changes_nothing(
    gateway: Gateway, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, _ = bamboo
    employee_id = fresh_id()
    fake.employees[employee_id] = record()
    wrong_base = await gateway.connect(company="acme-typo")
    wrong_key = await gateway.connect(api_key="f" * 40)
    untouched = await gateway.connect()

    assert_retry_later(await gateway.notify(wrong_base, notice("employee.updated", employee_id)))
    refused = await gateway.notify(wrong_key, notice("employee.updated", employee_id))
    assert_retry_later(refused, "401", "API key")
    for connection_id in (wrong_base, wrong_key):
        assert await gateway.stored_changes(connection_id) == []
        assert (await gateway.connection(connection_id))["lastError"]
    assert (await gateway.connection(untouched))["lastError"] is None


async def test_an_unreachable_bamboohr_is_named_without_internals(gateway: Gateway) -> None:
    gateway_root = gateway.api_root
    gateway.api_root = f"http://127.0.0.1:{free_port()}/api/gateway.php"  # nothing listens
    try:
        connection_id = await gateway.connect()
    finally:
        gateway.api_root = gateway_root
    response = await gateway.notify(connection_id, notice("employee.updated", fresh_id()))
    assert_retry_later(response, "BambooHR")
    assert await gateway.stored_changes(connection_id) == []


async def test_a_slow_bamboohr_holds_a_delivery_no_longer_than_the_deadline(
    gateway: Gateway, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, _ = bamboo
    connection_id = await gateway.connect()
    employee_id = fresh_id()
    fake.slow.add(employee_id)
    started = time.monotonic()
    # Signed two seconds ago: nothing to wait for before the fetch.
    response = await gateway.notify(
        connection_id, notice("employee.updated", employee_id), sent_at=int(time.time()) - 2
    )
    elapsed = time.monotonic() - started
    assert_retry_later(response, f"{DEADLINE_S:g} s")
    assert DEADLINE_S <= elapsed < DEADLINE_S + 1.0, elapsed
    assert await gateway.stored_changes(connection_id) == []


async def test_only_an_explicit_status_or_a_deletion_terminates(
    gateway: Gateway, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, _ = bamboo
    connection_id = await gateway.connect()
    active, inactive, deleted = fresh_id(), fresh_id(), fresh_id()
    fake.employees[active] = record("Active")
    fake.employees[inactive] = record("Inactive")
    for employee_id, kind in (
        (active, "employee.updated"),
        (inactive, "employee.updated"),
        (deleted, "employee.deleted"),  # nothing fetched: BambooHR says so itself
    ):
        response = await gateway.notify(connection_id, notice(kind, employee_id))
        assert response.status_code == 202, response.text
    types = {
        c["employee"]["externalId"]: c["type"] for c in await gateway.stored_changes(connection_id)
    }
    assert types == {
        active: "employee.rehired",
        inactive: "employee.terminated",
        deleted: "employee.terminated",
    }
    assert deleted not in fake.fetched


async def test_replays_of_a_notification_cost_one_fetch(
    gateway: Gateway, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, _ = bamboo
    connection_id = await gateway.connect()
    one, two = fresh_id(), fresh_id()
    fake.employees[one] = record()
    fake.employees[two] = record()
    sent_at = int(time.time())  # as BambooHR sends it: fetched within the second it was signed

    answers = [
        await gateway.notify(connection_id, notice("employee.updated", one), sent_at=sent_at)
        for _ in range(4)
    ]
    assert [(a.status_code, a.json()) for a in answers] == [
        (202, {"received": True, "changes": 1})
    ] * 4
    assert fake.fetched.count(one) == 1

    at_once = await asyncio.gather(
        *(
            gateway.notify(connection_id, notice("employee.updated", two), sent_at=sent_at)
            for _ in range(4)
        )
    )
    assert [a.status_code for a in at_once] == [202] * 4
    assert fake.fetched.count(two) == 1
    assert len(await gateway.stored_changes(connection_id)) == 2
