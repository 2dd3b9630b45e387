"""Creating HRIS connections (service layer and `cairn hris-connection create`), against a
real database migrated as the gateway migrates itself."""

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisConnection
from gateway.bootstrap import MIGRATIONS
from gateway.service_layer.tenants import (
    InvalidConnection,
    create_hris_connection,
    create_tenant,
)
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from sqlmodel import col, func, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAMBOO = {"api_base": "https://api.bamboohr.com/api/gateway.php/acme", "api_key": "k-123"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def database(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[str, UnitOfWorkFactory]]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    yield url, UnitOfWorkFactory(session_factory(engine), messaging, "/test/gateway")
    await engine.dispose()


async def tenant_id(uow: UnitOfWorkFactory) -> str:
    async with uow() as tx:
        return (await create_tenant(tx, "Connections AG")).tenant_id


async def stored(uow: UnitOfWorkFactory, connection_id: str) -> HrisConnection:
    async with uow() as tx:
        found = await tx.session.get(HrisConnection, connection_id)
    assert found is not None
    return found


async def connection_count(uow: UnitOfWorkFactory, tenant: str) -> int:
    async with uow() as tx:
        counted = await tx.session.exec(
            select(func.count())
            .select_from(HrisConnection)
            .where(col(HrisConnection.tenant_id) == tenant)
        )
        return int(counted.one())


async def test_provider_connections_keep_the_providers_key_and_settings(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    _, uow = database
    tenant = await tenant_id(uow)
    async with uow() as tx:
        made = await create_hris_connection(tx, tenant, "merge", secret="merge-org-key")
    found = await stored(uow, made.hris_connection_id)
    assert (found.provider, found.signing_secret, found.settings) == (
        "merge",
        "merge-org-key",
        None,
    )
    assert made.as_json() == {"hrisConnectionId": found.id, "secret": "merge-org-key"}

    async with uow() as tx:
        made = await create_hris_connection(tx, tenant, "bamboohr", secret="pk", settings=BAMBOO)
    found = await stored(uow, made.hris_connection_id)
    assert (found.provider, found.settings) == ("bamboohr", BAMBOO)


async def test_canonical_connections_get_an_issued_secret(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    _, uow = database
    tenant = await tenant_id(uow)
    async with uow() as tx:
        one = await create_hris_connection(tx, tenant, "canonical")
    async with uow() as tx:
        two = await create_hris_connection(tx, tenant, "canonical")
    assert one.secret.startswith("whsec_") and one.secret != two.secret
    assert (await stored(uow, one.hris_connection_id)).signing_secret == one.secret


@pytest.mark.parametrize(
    ("provider", "secret", "settings", "field"),
    [
        ("workday", "k", None, "provider"),
        ("merge", None, None, "secret"),
        ("merge", "  ", None, "secret"),
        ("merge", "k" * 201, None, "secret"),
        ("canonical", "whsec_mine", None, "secret"),
        ("merge", "k", {"api_key": "x"}, "api_key"),
        ("bamboohr", "k", {"api_key": "x"}, "api_base"),
        ("bamboohr", "k", {**BAMBOO, "api_base": "not a url"}, "api_base"),
        ("bamboohr", "k", {**BAMBOO, "api_key": ""}, "api_key"),
        ("bamboohr", "k", {**BAMBOO, "company": "acme"}, "company"),
    ],
)
async def test_a_connection_that_cannot_be_made_names_why_and_writes_nothing(
    database: tuple[str, UnitOfWorkFactory],
    provider: str,
    secret: str | None,
    settings: dict[str, Any] | None,
    field: str,
) -> None:
    _, uow = database
    tenant = await tenant_id(uow)
    async with uow() as tx:
        with pytest.raises(InvalidConnection) as caught:
            await create_hris_connection(tx, tenant, provider, secret=secret, settings=settings)
    assert caught.value.field == field
    assert await connection_count(uow, tenant) == 1  # the tenant's first, canonical one


async def test_an_unknown_tenant_gets_no_connection(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    _, uow = database
    async with uow() as tx:
        with pytest.raises(InvalidConnection) as caught:
            await create_hris_connection(tx, "no-such-tenant", "merge", secret="k")
    assert caught.value.field == "tenant_id"
    assert await connection_count(uow, "no-such-tenant") == 0


def cairn(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "OTEL_TRACES_EXPORTER": "none"}
    return subprocess.run(
        [sys.executable, "-m", "gateway.entrypoints.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parent,
    )


async def test_the_cli_creates_a_connection_and_prints_it_once(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    url, uow = database
    tenant = await tenant_id(uow)
    base, key = BAMBOO["api_base"], BAMBOO["api_key"]
    done = cairn(
        url,
        "hris-connection",
        "create",
        "--tenant-id",
        tenant,
        "--provider",
        "bamboohr",
        "--secret",
        "pk",
        "--api-base",
        base,
        "--api-key",
        key,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["secret"] == "pk"
    assert (await stored(uow, printed["hrisConnectionId"])).settings == BAMBOO


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--provider", "merge"], "--secret"),
        (["--provider", "bamboohr", "--secret", "pk", "--api-key", "k"], "--api-base"),
        (["--provider", "merge", "--secret", "k", "--api-base", "https://x.example"], "--api-base"),
    ],
)
async def test_the_cli_names_the_option_that_is_wrong(
    database: tuple[str, UnitOfWorkFactory], args: list[str], named: str
) -> None:
    url, uow = database
    tenant = await tenant_id(uow)
    done = cairn(url, "hris-connection", "create", "--tenant-id", tenant, *args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"cairn: {named}:"), done.stderr
    assert done.stdout == ""
    assert await connection_count(uow, tenant) == 1
