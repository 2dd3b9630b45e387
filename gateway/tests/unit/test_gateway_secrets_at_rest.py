"""HRIS signing secrets and provider API keys are sealed at rest: a copy of the gateway's
database gives neither; rows stored in plaintext before are sealed when the gateway starts;
a configured database without keys stops start-up; the embedded default keeps its key, its
database and their folder readable by their owner only."""

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisConnection
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.hris_connections import (
    active_connection,
    create_hris_connection,
    seal_plaintext_connections,
)
from gateway.service_layer.tenants import create_tenant
from messaging.broker import free_port
from messaging.outbox import UnitOfWorkFactory, utcnow
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from runtime.sealing import SealedUnreadable, Sealer, new_key
from runtime.settings import SettingsError
from service_auth.tokens import generate_keypair
from sqlalchemy import text

pytestmark = pytest.mark.asyncio(loop_scope="session")

PRIVATE_KEY, _ = generate_keypair()
WEBHOOK_KEY = "bamboo-webhook-private-key"
API_KEY = "0123456789abcdef0123456789abcdef01234567"
SETTINGS = {"api_base": "https://api.bamboohr.com/api/gateway.php/acme", "api_key": API_KEY}


async def migrated(database_factory: DatabaseFactory) -> tuple[str, UnitOfWorkFactory]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    return url, UnitOfWorkFactory(session_factory(engine), messaging, "/test/gateway")


async def every_stored_value(uow: UnitOfWorkFactory) -> str:
    """The hris_connection table as a copy of the database would show it."""
    async with uow() as tx:
        rows = (await tx.session.execute(text("SELECT * FROM hris_connection"))).all()
    return json.dumps([[str(value) for value in row] for row in rows])


async def test_a_copy_of_the_database_gives_no_secret(database_factory: DatabaseFactory) -> None:
    _, uow = await migrated(database_factory)
    sealer = Sealer([new_key()])
    async with uow() as tx:
        tenant = await create_tenant(tx, "Sealed AG", sealer)
    async with uow() as tx:
        made = await create_hris_connection(
            tx, sealer, tenant.tenant_id, "bamboohr", secret=WEBHOOK_KEY, settings=SETTINGS
        )

    stored = await every_stored_value(uow)
    for secret in (tenant.hris_secret, WEBHOOK_KEY, API_KEY):
        assert secret not in stored
    async with uow() as tx:
        opened = await active_connection(tx, made.hris_connection_id, sealer)
        assert opened is not None
        assert (opened.signing_secret, opened.settings) == (WEBHOOK_KEY, SETTINGS)
        # Another installation's keys open nothing.
        with pytest.raises(SealedUnreadable):
            await active_connection(tx, made.hris_connection_id, Sealer([new_key()]))


async def test_plaintext_rows_are_sealed_once_when_the_gateway_starts(
    database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, uow = await migrated(database_factory)
    sealer_key = new_key()
    async with uow() as tx:
        tenant = await create_tenant(tx, "Plaintext Ltd", Sealer([sealer_key]))
        # As the release before sealing wrote it.
        tx.session.add(
            HrisConnection(
                id="hc_old",
                tenant_id=tenant.tenant_id,
                provider="bamboohr",
                plaintext_secret=WEBHOOK_KEY,
                plaintext_settings=SETTINGS,
                created_at=utcnow(),
            )
        )
        await tx.commit()
    assert WEBHOOK_KEY in await every_stored_value(uow)

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=PRIVATE_KEY,
            sealing_keys=sealer_key,
        )
    )
    async with app.router.lifespan_context(app):
        stored = await every_stored_value(uow)
        assert WEBHOOK_KEY not in stored and API_KEY not in stored
        async with uow() as tx:
            opened = await active_connection(tx, "hc_old", app.state.sealer)
        assert opened is not None
        assert (opened.signing_secret, opened.settings) == (WEBHOOK_KEY, SETTINGS)
    assert await seal_plaintext_connections(uow, Sealer([sealer_key])) == 0


async def test_a_configured_database_without_keys_stops_start_up(
    database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, uow = await migrated(database_factory)
    monkeypatch.delenv("GATEWAY_SEALING_KEYS", raising=False)
    with pytest.raises(SettingsError) as stopped:
        create_app(GatewaySettings(database_url=url, service_token_private_key=PRIVATE_KEY))
    assert "GATEWAY_SEALING_KEYS: not set" in str(stopped.value)

    env = {key: value for key, value in os.environ.items() if key != "GATEWAY_SEALING_KEYS"}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway.entrypoints.cli", "tenant", "create", "--name", "X"],
        env={**env, "GATEWAY_DATABASE_URL": url, "OTEL_TRACES_EXPORTER": "none"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "GATEWAY_SEALING_KEYS: not set" in done.stderr
    assert await every_stored_value(uow) == "[]"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_embedded_default_keeps_its_files_to_their_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("GATEWAY_SEALING_KEYS", raising=False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    app = create_app(
        GatewaySettings(var_dir=var, run_workers=False, service_token_private_key=PRIVATE_KEY)
    )
    async with app.router.lifespan_context(app), app.state.process.uow() as tx:
        await create_tenant(tx, "Embedded GmbH", app.state.sealer)
    assert mode(var) == 0o700
    files = sorted(p.name for p in var.iterdir())
    assert "gateway-sealing.key" in files and "gateway.db" in files, files
    for name in files:  # the key, the database and SQLite's journal files beside it
        assert mode(var / name) == 0o600, (name, oct(mode(var / name)))
