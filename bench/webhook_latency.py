"""Webhook → GraphQL latency on the whole running system, against the floor it is built on.

Measures, on one embedded broker and the real services (SQLite, as `make run`):
- accept: POST /webhooks/hris → 202 (verified, published with acks=all);
- visible: POST → the person readable through GraphQL (gateway → Kafka → profiles → outbox →
  GraphQL over profiles' REST);
- baseline: a bare Kafka produce (acks=all) → consume round trip on the same broker, the
  floor any event-driven path here pays twice.

`python -m bench.webhook_latency [samples]`; writes var/bench/webhook_latency.json.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from devstack.stack import GATEWAY, Stack
from standardwebhooks import Webhook

OUT = Path("var/bench/webhook_latency.json")


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


async def _kafka_round_trips(bootstrap: str, samples: int) -> list[float]:
    topic = "cairn.hris.changes"
    # The same fetch wait as the services' consumers (messaging.consumer).
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=50,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    await asyncio.sleep(1)
    timings = []
    try:
        for _ in range(samples):
            marker = uuid.uuid4().hex.encode()
            started = time.perf_counter()
            await producer.send_and_wait(topic, b"{}", key=marker)
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                if any(r.key == marker for records in batch.values() for r in records):
                    break
            timings.append(time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()
    return timings


def _create_tenant(stack: Stack) -> dict[str, str]:
    env = {**os.environ, **stack.env_for(GATEWAY)}
    out = subprocess.run(
        [sys.executable, "-m", "gateway.entrypoints.cli", "tenant", "create", "--name", "Bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    tenant: dict[str, str] = json.loads(out.stdout)
    return tenant


async def _webhook_round_trips(
    stack: Stack, tenant: dict[str, str], samples: int
) -> tuple[list[float], list[float]]:
    gateway = stack.url("gateway")
    accept, visible = [], []
    query = "query($e: String){ person(externalId: $e) { id } }"
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(samples):
            external_id = f"B{i}-{uuid.uuid4().hex[:6]}"
            body = json.dumps(
                {
                    "changes": [
                        {
                            "id": f"bench-{uuid.uuid4().hex}",
                            "type": "employee.hired",
                            "effectiveAt": datetime.now(UTC).isoformat(),
                            "sourceVersion": 1,
                            "employee": {
                                "externalId": external_id,
                                "email": f"{external_id}@bench-co.com",
                                "displayName": external_id,
                            },
                        }
                    ]
                }
            )
            message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(tenant["hrisSecret"]).sign(message_id, now, body),
            }
            started = time.perf_counter()
            response = await http.post(
                f"{gateway}/webhooks/hris/{tenant['hrisConnectionId']}",
                content=body,
                headers=headers,
            )
            assert response.status_code == 202, response.text
            accept.append(time.perf_counter() - started)
            while True:
                answer = (
                    await http.post(
                        f"{gateway}/graphql",
                        json={"query": query, "variables": {"e": external_id}},
                        headers={"Authorization": f"Bearer {tenant['apiKey']}"},
                    )
                ).json()
                if answer["data"]["person"]:
                    break
                await asyncio.sleep(0.005)
            visible.append(time.perf_counter() - started)
    return accept, visible


def run(samples: int = 50) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        stack = Stack(
            var_dir=Path(scratch) / "var", log_dir=Path(scratch) / "logs", trace_exporter="none"
        )
        stack.start(timeout_s=90)
        try:
            baseline = asyncio.run(_kafka_round_trips(stack.bootstrap_servers, samples))
            accept, visible = asyncio.run(
                _webhook_round_trips(stack, _create_tenant(stack), samples)
            )
        finally:
            stack.stop()
    results = {
        "samples": samples,
        "baseline_kafka_round_trip": _percentiles(baseline),
        "webhook_accept": _percentiles(accept),
        "webhook_to_graphql": _percentiles(visible),
    }
    print(f"{'measure':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name in ("baseline_kafka_round_trip", "webhook_accept", "webhook_to_graphql"):
        r = results[name]
        print(f"{name:<28}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['max_ms']:>10}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    return results


def main(argv: list[str]) -> int:
    """`python -m bench webhook_latency [samples]` (default 50)."""
    run(int(argv[0]) if argv else 50)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
