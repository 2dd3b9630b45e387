"""The gateway's database is what accepting depends on now: while it cannot be reached, HRIS
deliveries and SCIM writes are answered 503 (retry later) and nothing is stored; once it is
back, the same requests are accepted, once."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from gateway.adapters.metadata import messaging
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import TenantCredentials, create_tenant
from messaging.broker import free_port
from persistence.migrations import upgrade_async
from runtime.process import ServiceProcess
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sqlalchemy import func, select
from standardwebhooks import Webhook

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "grace",
    "emails": [{"value": "grace@example.com"}],
}


@dataclass
class Gateway:
    http: httpx.AsyncClient
    process: ServiceProcess
    tenant: TenantCredentials
    database_file: Path

    async def push(self, external_id: str, webhook_id: str) -> httpx.Response:
        change = {
            "id": f"chg-{external_id}",
            "type": "employee.hired",
            "effectiveAt": "2026-11-01T09:00:00Z",
            "sourceVersion": 1,
            "employee": {
                "externalId": external_id,
                "email": f"{external_id.lower()}@example-hr.com",
                "displayName": external_id,
            },
        }
        body = json.dumps({"changes": [change]})
        moment = datetime.now(UTC)
        return await self.http.post(
            f"/webhooks/hris/{self.tenant.hris_connection_id}",
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(moment.timestamp())),
                "webhook-signature": Webhook(self.tenant.hris_secret).sign(
                    webhook_id, moment, body
                ),
            },
        )

    async def provision(self) -> httpx.Response:
        return await self.http.post(
            "/scim/v2/Users",
            json=USER,
            headers={"Authorization": f"Bearer {self.tenant.api_key}"},
        )

    async def take_the_database_away(self) -> None:
        """As if its disk went away: the file cannot be opened any more."""
        await self.process.engine.dispose()
        self.database_file.rename(self.database_file.with_suffix(".away"))
        self.database_file.mkdir()

    def bring_the_database_back(self) -> None:
        self.database_file.rmdir()
        self.database_file.with_suffix(".away").rename(self.database_file)


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    # SQLite on purpose, whatever TEST_DATABASE_URL says: its file can be taken away.
    database_file = tmp_path / "gateway.db"
    url = f"sqlite:///{database_file}"
    await upgrade_async(MIGRATIONS, url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
        )
    )
    process = app.state.process
    async with process.uow() as uow:
        credentials = await create_tenant(uow, "Disk Trouble Ltd", app.state.sealer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as client:
        yield Gateway(client, process, credentials, database_file)
    await process.publisher.close()
    await process.engine.dispose()


async def stored_events(process: ServiceProcess) -> int:
    async with process.engine.connect() as conn:
        counted = await conn.execute(select(func.count()).select_from(messaging.outbox))
        return int(counted.scalar_one())


async def test_without_its_database_the_gateway_answers_503_and_stores_nothing(
    gateway: Gateway,
) -> None:
    assert (await gateway.push("E1", "msg_1")).status_code == 202

    await gateway.take_the_database_away()
    try:
        refused = await gateway.push("E2", "msg_2")
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["retry-after"] == "30"
        assert "retry later" in refused.json()["detail"]

        scim_refused = await gateway.provision()
        assert scim_refused.status_code == 503
        assert scim_refused.headers["content-type"].startswith("application/scim+json")
        assert scim_refused.headers["retry-after"] == "30"
        assert scim_refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    finally:
        gateway.bring_the_database_back()

    assert await stored_events(gateway.process) == 1  # E1's only
    retried = await gateway.push("E2", "msg_2")
    assert (retried.status_code, retried.json()) == (202, {"received": True, "changes": 1})
    assert (await gateway.provision()).status_code == 201
    assert await stored_events(gateway.process) == 3  # E1, E2 and the SCIM hire, once each
