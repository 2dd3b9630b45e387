"""One trace from the webhook to the read models; a poison message in the org-change topic."""

import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.domain.hris_delivery import change_event_id
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")


def spans(log: str) -> list[dict[str, Any]]:
    """Spans the console exporter wrote, one JSON object per line."""
    out = []
    for line in log.splitlines():
        if line.startswith("{") and '"context"' in line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def hire(external_id: str) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@trace-co.com",
            "displayName": external_id,
        },
    }


async def test_one_trace_spans_gateway_broker_profiles_and_replicas(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Trace Co")
    external_id = f"T-{uuid.uuid4().hex[:8]}"
    change = hire(external_id)
    assert (await system.push_changes(tenant, [change])).status_code == 202
    event_id = change_event_id(tenant["hrisConnectionId"], change["id"])

    def published_by_gateway() -> dict[str, Any] | None:
        for span in spans(system.log("gateway")):
            if (
                span["name"] == "publish cairn.hris.changes"
                and span["attributes"].get("messaging.message.id") == event_id
            ):
                return span
        return None

    async def consumed_by(service: str, topic: str, trace_id: str) -> dict[str, Any] | None:
        for span in spans(system.log(service)):
            if span["name"] == f"process {topic}" and span["context"]["trace_id"] == trace_id:
                return span
        return None

    gateway_span = await eventually(lambda: _async(published_by_gateway()))
    trace_id = gateway_span["context"]["trace_id"]
    profiles_span = await eventually(
        lambda: consumed_by("profiles", "cairn.hris.changes", trace_id)
    )
    assert profiles_span["attributes"]["messaging.message.id"] == event_id
    for replica in ("matching", "sessions", "feedback"):
        span = await eventually(lambda r=replica: consumed_by(r, "cairn.profiles.people", trace_id))
        assert span["attributes"]["cloudevents.event_type"] == "person.created"


async def _async(value: Any) -> Any:
    return value


async def test_a_poison_org_change_is_dead_lettered_and_later_changes_still_apply(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Poison Pty")
    key = f"X-{uuid.uuid4().hex[:8]}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            "cairn.hris.changes", b"{not json", key=key, headers=[("ce_id", b"poison-1")]
        )
    finally:
        await producer.stop()
    after = f"A-{uuid.uuid4().hex[:8]}"
    assert (await system.push_changes(tenant, [hire(after)])).status_code == 202

    async def visible() -> Any:
        body = await system.graphql(
            tenant["apiKey"], "query($e: String){ person(externalId: $e) { id } }", {"e": after}
        )
        return body["data"]["person"]

    await eventually(visible)
    dead = await read_topic(
        system.bootstrap_servers,
        "profiles.dlq",
        until=lambda rs: any(r.key == key for r in rs),
        timeout_s=20,
    )
    ours = [dict(r.headers) for r in dead if r.key == key]
    assert len(ours) == 1
    assert ours[0]["dlq_original_topic"] == b"cairn.hris.changes"
    assert b"missing header" in ours[0]["dlq_error"]
