"""Fixtures for tests that talk to the real broker and real databases.

Databases: a fresh SQLite file per request, or a fresh PostgreSQL database on the server
named by TEST_DATABASE_URL (created and dropped here). Broker: embedded Tansu on a free port,
unless KAFKA_BOOTSTRAP_SERVERS names one.
"""

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio
from contracts.base import Event
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.envelope import envelope_for
from messaging.publisher import Publisher
from sqlalchemy.engine import make_url
from standardwebhooks import Webhook

from devstack.stack import ALL, GATEWAY, Stack

T = TypeVar("T")
DatabaseFactory = Callable[[str], Awaitable[str]]


def postgres_server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def database_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DatabaseFactory]:
    """`await database_factory("profiles")` → the URL of a new, empty database."""
    server = postgres_server_url()
    created: list[str] = []
    base = tmp_path_factory.mktemp("db")

    async def make(name: str) -> str:
        if server is None:
            return f"sqlite:///{base / f'{name}-{uuid.uuid4().hex[:8]}.db'}"
        db = f"cairn_test_{name}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(_asyncpg_dsn(server))
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        created.append(db)
        return make_url(server).set(database=db).render_as_string(hide_password=False)

    yield make
    if server is not None and created:
        conn = await asyncpg.connect(_asyncpg_dsn(server))
        try:
            for db in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Bootstrap servers of a broker with the catalog's topics, for the whole session."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        asyncio.run(ensure_topics(external))
        yield external
        return
    embedded = EmbeddedBroker()
    embedded.start()
    asyncio.run(ensure_topics(embedded.bootstrap_servers))
    yield embedded.bootstrap_servers
    embedded.stop()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 20.0, every_s: float = 0.1
) -> T:
    """The first truthy answer of `probe`, polling until the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s (last: {answer!r})")
        await asyncio.sleep(every_s)


class RunningSystem:
    """The whole system, as a test drives it: over HTTP, as integrators and HRIS do."""

    def __init__(self, stack: Stack, database_urls: dict[str, str]) -> None:
        self.stack = stack
        self.database_urls = database_urls
        self.http = httpx.AsyncClient(timeout=15)

    @property
    def bootstrap_servers(self) -> str:
        return self.stack.bootstrap_servers

    def url(self, name: str) -> str:
        return self.stack.url(name)

    def create_tenant(self, name: str) -> dict[str, str]:
        """Through the real CLI, against the gateway's database."""
        import json

        env = {**os.environ, **self.stack.env_for(GATEWAY)}
        out = subprocess.run(  # noqa: S603  (our own CLI)
            [sys.executable, "-m", "gateway.entrypoints.cli", "tenant", "create", "--name", name],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=float(os.environ.get("CAIRN_STACK_START_TIMEOUT_S", "60")),
        )
        credentials: dict[str, str] = json.loads(out.stdout)
        return credentials

    async def push_changes(
        self,
        tenant: dict[str, str],
        changes: list[dict[str, Any]] | None = None,
        *,
        body: bytes | None = None,
        secret: str | None = None,
        timestamp: datetime | None = None,
        webhook_id: str | None = None,
    ) -> httpx.Response:
        import json

        raw = body if body is not None else json.dumps({"changes": changes}).encode()
        moment = timestamp or datetime.now(UTC)
        message_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        signature = Webhook(secret or tenant["hrisSecret"]).sign(
            message_id, moment, raw.decode(errors="replace")
        )
        return await self.http.post(
            f"{self.url('gateway')}/webhooks/hris/{tenant['hrisConnectionId']}",
            content=raw,
            headers={
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(moment.timestamp())),
                "webhook-signature": signature,
            },
        )

    async def graphql(
        self,
        api_key: str,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        document_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """`query` as text, or the trusted document `document_id` (then `query` is None)."""
        sent: dict[str, Any] = {"variables": variables or {}}
        sent |= {"documentId": document_id} if document_id else {"query": query}
        response = await self.http.post(
            f"{self.url('gateway')}/graphql",
            json=sent,
            headers={"Authorization": f"Bearer {api_key}", **(headers or {})},
        )
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body

    async def internal(self, service: str, path: str, tenant_id: str) -> httpx.Response:
        """An internal call with a service token, as the gateway would make it."""
        from service_auth.tokens import Caller, TokenMinter

        token = TokenMinter(self.stack.private_key).mint(
            Caller(tenant_id=tenant_id, principal="system"), service
        )
        return await self.http.get(
            f"{self.url(service)}{path}", headers={"Authorization": f"Bearer {token}"}
        )

    async def publish(self, tenant_id: str, event: Event) -> None:
        """An event on the real broker, as the service that owns it would publish it (a
        test's shortcut past the producer's own flow)."""
        envelope = envelope_for(event, tenant_id=tenant_id, source="/cairn/test")
        publisher = Publisher(self.bootstrap_servers)
        try:
            await publisher.publish([envelope], {envelope.id: event.topic})
        finally:
            await publisher.close()

    def log(self, name: str) -> str:
        assert self.stack.log_dir is not None
        return (self.stack.log_dir / f"{name}.log").read_text(errors="replace")


async def start_system(database_factory: DatabaseFactory, work_dir: Path) -> RunningSystem:
    urls = {spec.name: await database_factory(spec.name) for spec in ALL}
    stack = Stack(
        var_dir=work_dir / "var",
        database_urls=urls,
        log_dir=work_dir / "logs",
        trace_exporter="console",
    )
    # A loaded machine (several stacks at once) may need longer: CAIRN_STACK_START_TIMEOUT_S
    # (also the wait for the CLI, whose imports alone take seconds).
    timeout_s = float(os.environ.get("CAIRN_STACK_START_TIMEOUT_S", "90"))
    try:
        await asyncio.to_thread(stack.start, timeout_s)
    except BaseException:
        # A stack that never got ready is stopped too: no process outlives the test run.
        await asyncio.to_thread(stack.stop)
        raise
    return RunningSystem(stack, urls)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def system(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningSystem]:
    """The whole system (broker, four services, gateway), shared by the session's e2e tests."""
    running = await start_system(database_factory, tmp_path_factory.mktemp("system"))
    yield running
    await running.http.aclose()
    await asyncio.to_thread(running.stack.stop)
