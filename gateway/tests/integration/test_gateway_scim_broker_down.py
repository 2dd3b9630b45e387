"""A broker that is down does not refuse a SCIM write: the write and its org changes commit
together in the gateway's outbox (201, and the user is listed at once), and the relay
publishes them, once each and in order, when a broker answers."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from gateway.scim.users import scim_source
from gateway.service_layer.tenants import create_tenant
from messaging.broker import EmbeddedBroker, ensure_topics, free_port
from messaging.publisher import BrokerUnavailable
from messaging.testing import read_topic
from persistence.migrations import upgrade_async
from runtime.process import ServiceProcess
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sqlalchemy import select

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ada",
    "emails": [{"value": "ada@example.com"}],
}


@dataclass
class Gateway:
    scim: httpx.AsyncClient
    process: ServiceProcess
    tenant_id: str
    broker_port: int  # where the gateway looks for its broker; nothing listens at first


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
        credentials = await create_tenant(uow, "Broker Down Ltd", app.state.sealer)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway.test/scim/v2",
        headers={"Authorization": f"Bearer {credentials.api_key}"},
    ) as client:
        yield Gateway(client, process, credentials.tenant_id, port)
    await process.publisher.close()
    await process.engine.dispose()


async def outbox_rows(process: ServiceProcess) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    async with process.engine.connect() as conn:
        rows = await conn.execute(select(outbox).order_by(outbox.c.id))
        return [dict(row) for row in rows.mappings()]


async def test_a_write_while_the_broker_is_down_is_accepted_and_published_when_it_is_back(
    gateway: Gateway,
) -> None:
    created = await gateway.scim.post("/Users", json=USER)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    listed = await gateway.scim.get("/Users", params={"filter": 'userName eq "ada"'})
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["Resources"]] == [user_id]

    patched = await gateway.scim.patch(
        f"/Users/{user_id}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}],
        },
    )
    assert patched.status_code == 200, patched.text
    assert (await gateway.scim.delete(f"/Users/{user_id}")).status_code == 204

    # Each write's changes wait in the outbox, under the event ids SCIM always used.
    source = scim_source(gateway.tenant_id)
    expected = [change_event_id(source, f"scim-{user_id}-v{v}") for v in (1, 2, 3)]
    waiting = await outbox_rows(gateway.process)
    assert [row["event_id"] for row in waiting] == expected
    assert [row["data"]["change"]["type"] for row in waiting] == [
        "employee.hired",
        "employee.updated",
        "employee.terminated",
    ]
    assert waiting[1]["data"]["change"]["employee"] == {
        "externalId": f"scim-{user_id}",
        "title": "Engineer",
    }
    assert {row["topic"] for row in waiting} == {HrisChangeReceived.topic}
    assert all(row["sent_at"] is None for row in waiting)
    with pytest.raises(BrokerUnavailable):
        await gateway.process.relay.relay_once()
    assert all(row["sent_at"] is None for row in await outbox_rows(gateway.process))

    broker = EmbeddedBroker(port=gateway.broker_port)
    broker.start()
    try:
        await ensure_topics(broker.bootstrap_servers)
        assert await gateway.process.relay.relay_once() == 3
        assert await gateway.process.relay.relay_once() == 0  # nothing left to send
        records = await read_topic(
            broker.bootstrap_servers,
            HrisChangeReceived.topic,
            until=lambda found: len(found) >= 3,
            idle_s=1.5,
        )
        await gateway.process.publisher.close()
    finally:
        broker.stop()
    assert [dict(r.headers or [])["ce_id"].decode() for r in records] == expected
    assert [json.loads(r.value)["change"]["sourceVersion"] for r in records] == [1, 2, 3]
    assert all(row["sent_at"] is not None for row in await outbox_rows(gateway.process))
