"""Creating HRIS connections (service layer and `cairn hris-connection create`), their secrets
sealed at rest, against a real database migrated as the gateway migrates itself."""

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
from gateway.service_layer.hris_connections import (
    InvalidConnection,
    create_hris_connection,
    unsealed,
)
from gateway.service_layer.tenants import create_tenant
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from runtime.sealing import Sealer, new_key
from sqlmodel import col, func, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEY = new_key()
SEALER = Sealer([KEY])
MERGE_KEY = "merge-organization-signature-key"
BAMBOO_KEY = "bamboo-webhook-private-key"
BAMBOO = {
    "api_base": "https://api.bamboohr.com/api/gateway.php/acme",
    "api_key": "0123456789abcdef0123456789abcdef01234567",
}


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
        return (await create_tenant(tx, "Connections AG", SEALER)).tenant_id


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
        made = await create_hris_connection(tx, SEALER, tenant, "merge", secret=MERGE_KEY)
    found = unsealed(await stored(uow, made.hris_connection_id), SEALER)
    assert (found.provider, found.signing_secret, found.settings) == (
        "merge",
        MERGE_KEY,
        None,
    )
    assert made.as_json() == {"hrisConnectionId": found.id, "secret": MERGE_KEY}

    async with uow() as tx:
        made = await create_hris_connection(
            tx, SEALER, tenant, "bamboohr", secret=BAMBOO_KEY, settings=BAMBOO
        )
    found = unsealed(await stored(uow, made.hris_connection_id), SEALER)
    assert (found.provider, found.settings) == ("bamboohr", BAMBOO)


async def test_canonical_connections_get_an_issued_secret(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    _, uow = database
    tenant = await tenant_id(uow)
    async with uow() as tx:
        one = await create_hris_connection(tx, SEALER, tenant, "canonical")
    async with uow() as tx:
        two = await create_hris_connection(tx, SEALER, tenant, "canonical")
    assert one.secret.startswith("whsec_") and one.secret != two.secret
    found = unsealed(await stored(uow, one.hris_connection_id), SEALER)
    assert found.signing_secret == one.secret


@pytest.mark.parametrize(
    ("provider", "secret", "settings", "field"),
    [
        ("workday", MERGE_KEY, None, "provider"),
        ("merge", None, None, "secret"),
        ("merge", "  ", None, "secret"),
        ("merge", "k" * 201, None, "secret"),
        ("merge", "k", None, "secret"),  # a one-character key: a paste gone wrong
        ("merge", "k" * 23, None, "secret"),
        ("canonical", "whsec_mine", None, "secret"),
        ("merge", MERGE_KEY, {"api_key": "x"}, "api_key"),
        ("bamboohr", BAMBOO_KEY, {"api_key": BAMBOO["api_key"]}, "api_base"),
        ("bamboohr", BAMBOO_KEY, {**BAMBOO, "api_base": "not a url"}, "api_base"),
        ("bamboohr", BAMBOO_KEY, {**BAMBOO, "api_key": ""}, "api_key"),
        ("bamboohr", BAMBOO_KEY, {**BAMBOO, "api_key": "k-123"}, "api_key"),
        ("bamboohr", BAMBOO_KEY, {**BAMBOO, "company": "acme"}, "company"),
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
            await create_hris_connection(
                tx, SEALER, tenant, provider, secret=secret, settings=settings
            )
    assert caught.value.field == field
    assert await connection_count(uow, tenant) == 1  # the tenant's first, canonical one


async def test_an_unknown_tenant_gets_no_connection(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    _, uow = database
    async with uow() as tx:
        with pytest.raises(InvalidConnection) as caught:
            await create_hris_connection(tx, SEALER, "no-such-tenant", "merge", secret=MERGE_KEY)
    assert caught.value.field == "tenant_id"
    assert await connection_count(uow, "no-such-tenant") == 0


def cairn(url: str, *args: str, keys: str | None = KEY) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "OTEL_TRACES_EXPORTER": "none"}
    env.pop("GATEWAY_SEALING_KEYS", None)
    if keys is not None:
        env["GATEWAY_SEALING_KEYS"] = keys
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
        BAMBOO_KEY,
        "--api-base",
        base,
        "--api-key",
        key,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["secret"] == BAMBOO_KEY
    found = unsealed(await stored(uow, printed["hrisConnectionId"]), SEALER)
    assert found.settings == BAMBOO


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--provider", "merge"], "--secret"),
        (["--provider", "merge", "--secret", "k"], "--secret"),
        (
            ["--provider", "bamboohr", "--secret", BAMBOO_KEY, "--api-key", BAMBOO["api_key"]],
            "--api-base",
        ),
        (
            [
                *("--provider", "bamboohr", "--secret", BAMBOO_KEY),
                *("--api-base", BAMBOO["api_base"], "--api-key", "k"),
            ],
            "--api-key",
        ),
        (
            ["--provider", "merge", "--secret", MERGE_KEY, "--api-base", "https://x.example"],
            "--api-base",
        ),
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


async def test_the_cli_shows_connections_without_their_secrets(
    database: tuple[str, UnitOfWorkFactory],
) -> None:
    url, uow = database
    tenant = await tenant_id(uow)
    made = cairn(
        url,
        "hris-connection",
        "create",
        *("--tenant-id", tenant, "--provider", "bamboohr", "--secret", BAMBOO_KEY),
        *("--api-base", BAMBOO["api_base"], "--api-key", BAMBOO["api_key"]),
    )
    connection_id = json.loads(made.stdout)["hrisConnectionId"]

    shown = cairn(url, "hris-connection", "show", "--id", connection_id)
    assert shown.returncode == 0, shown.stderr
    assert BAMBOO_KEY not in shown.stdout and BAMBOO["api_key"] not in shown.stdout
    described = json.loads(shown.stdout)
    assert {k: described[k] for k in ("hrisConnectionId", "tenantId", "provider")} == {
        "hrisConnectionId": connection_id,
        "tenantId": tenant,
        "provider": "bamboohr",
    }
    assert described["settings"] == {"apiBase": BAMBOO["api_base"]}
    assert (described["lastError"], described["lastErrorAt"], described["disabledAt"]) == (
        None,
        None,
        None,
    )

    listed = cairn(url, "hris-connection", "list", "--tenant-id", tenant)
    assert listed.returncode == 0, listed.stderr
    assert [c["provider"] for c in json.loads(listed.stdout)] == ["canonical", "bamboohr"]
    assert "whsec_" not in listed.stdout and BAMBOO_KEY not in listed.stdout

    missing = cairn(url, "hris-connection", "show", "--id", "hc_nope")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.startswith("cairn: --id: no HRIS connection")
