"""A broker that is down does not refuse an HRIS delivery: its changes commit in the gateway's
outbox with the delivery's receipt (202), a redelivery is answered the same and stores
nothing more, and the relay publishes each change once when a broker answers."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChangeReceived
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.domain.hris_delivery import change_event_id
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import TenantCredentials, create_tenant
from messaging.broker import EmbeddedBroker, ensure_topics, free_port
from messaging.publisher import BrokerUnavailable
from messaging.testing import read_topic
from persistence.migrations import upgrade_async
from runtime.process import ServiceProcess
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sqlalchemy import select
from standardwebhooks import Webhook

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Gateway:
    http: httpx.AsyncClient
    process: ServiceProcess
    tenant: TenantCredentials
    broker_port: int  # where the gateway looks for its broker; nothing listens at first

    async def push(self, changes: list[dict[str, Any]], webhook_id: str) -> httpx.Response:
        body = json.dumps({"changes": changes})
        moment = datetime.now(UTC)
        signature = Webhook(self.tenant.hris_secret).sign(webhook_id, moment, body)
        return await self.http.post(
            f"/webhooks/hris/{self.tenant.hris_connection_id}",
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(moment.timestamp())),
                "webhook-signature": signature,
            },
        )


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(
    database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    port = free_port()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    private_key, _ = generate_keypair()
    # No workers: the test runs the relay's passes itself, so it sees each step.
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
        credentials = await create_tenant(uow, "Broker Down GmbH", app.state.sealer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as client:
        yield Gateway(client, process, credentials, port)
    await process.publisher.close()
    await process.engine.dispose()


def hire(external_id: str) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id.lower()}@example-hr.com",
            "displayName": external_id,
        },
    }


async def outbox_rows(process: ServiceProcess) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    async with process.engine.connect() as conn:
        rows = await conn.execute(select(outbox).order_by(outbox.c.id))
        return [dict(row) for row in rows.mappings()]


async def test_a_delivery_while_the_broker_is_down_is_accepted_and_published_when_it_is_back(
    gateway: Gateway,
) -> None:
    changes = [hire("E1"), hire("E2")]
    accepted = await gateway.push(changes, "msg_down")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"received": True, "changes": 2}
    again = await gateway.push(changes, "msg_down")
    assert (again.status_code, again.json()) == (202, {"received": True, "changes": 2})

    connection_id = gateway.tenant.hris_connection_id
    expected = [change_event_id(connection_id, c["id"]) for c in changes]
    waiting = await outbox_rows(gateway.process)
    assert [row["event_id"] for row in waiting] == expected
    assert [row["key"] for row in waiting] == ["E1", "E2"]
    assert all(row["topic"] == HrisChangeReceived.topic for row in waiting)
    assert all(row["sent_at"] is None for row in waiting)
    with pytest.raises(BrokerUnavailable):
        await gateway.process.relay.relay_once()

    broker = EmbeddedBroker(port=gateway.broker_port)
    broker.start()
    try:
        await ensure_topics(broker.bootstrap_servers)
        assert await gateway.process.relay.relay_once() == 2
        assert await gateway.process.relay.relay_once() == 0
        records = await read_topic(
            broker.bootstrap_servers,
            HrisChangeReceived.topic,
            until=lambda found: len(found) >= 2,
        )
        await gateway.process.publisher.close()
    finally:
        broker.stop()
    assert sorted(dict(r.headers or [])["ce_id"].decode() for r in records) == sorted(expected)
    assert all(row["sent_at"] is not None for row in await outbox_rows(gateway.process))
