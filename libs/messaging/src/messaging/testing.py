"""Test helpers that talk to the real broker."""

import asyncio
import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool] | None = None,
    timeout_s: float = 10.0,
    idle_s: float = 1.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` from the beginning, without joining a group. Stops when `until`
    holds, or (without `until`) when nothing new came for `idle_s`, or at the timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        client_id=f"test-reader-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
                last_new = time.monotonic()
            if until is not None and until(records):
                break
            if until is None and time.monotonic() - last_new > idle_s:
                break
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records
