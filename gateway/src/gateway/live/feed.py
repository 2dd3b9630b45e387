"""Feeds the broadcast from the broker: every gateway instance reads every event of the live
topics, from the log's end, with no consumer group.

Not the one consumer loop (group `gateway`): a group shares partitions among the replicas, so
a subscriber connected to one instance would miss the events another instance consumed; and
the loop's inbox, retries and committed offsets exist for durable effects, while a live feed
has none to protect (a subscriber sees what happens while it is connected, like any
graphql-transport-ws stream). Without a group nothing is committed and no per-instance group
is left behind on the broker when an instance goes away."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from messaging.envelope import MalformedEnvelope, from_record
from messaging.settings import client_options

from gateway.live.broadcast import ProgramEventBroadcast
from gateway.live.events import LIVE_TOPICS, program_event

log = logging.getLogger(__name__)


async def feed(broadcast: ProgramEventBroadcast, bootstrap_servers: str) -> None:
    """Runs until cancelled; reconnects after the broker goes away."""
    while True:
        consumer = AIOKafkaConsumer(
            *LIVE_TOPICS,
            **client_options(),
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            client_id="cairn-gateway-live",
            enable_auto_commit=False,
            auto_offset_reset="latest",
            metadata_max_age_ms=5000,
            fetch_max_wait_ms=500,  # long polling: bounds idle traffic, not latency
        )
        try:
            await consumer.start()
        except (KafkaError, OSError) as exc:
            log.warning("live feed: broker unavailable (%s); retrying", exc)
            await consumer.stop()
            await asyncio.sleep(1)
            continue
        try:
            async for record in consumer:
                try:
                    envelope = from_record(record.key, record.value, list(record.headers))
                except MalformedEnvelope:
                    continue  # the services' consumers dead-letter it
                event = program_event(envelope)
                if event is not None:
                    broadcast.publish(event)
        except KafkaError as exc:
            log.warning("live feed: %r; reconnecting", exc)
            await asyncio.sleep(1)
        finally:
            await consumer.stop()


def live_program_events(
    bootstrap_servers: str, capacity: int
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """For the app's life: the broadcast (`app.state.program_events`) and its feed."""

    @contextlib.asynccontextmanager
    async def running(app: FastAPI) -> AsyncIterator[None]:
        broadcast = ProgramEventBroadcast(capacity)
        app.state.program_events = broadcast
        task = asyncio.create_task(feed(broadcast, bootstrap_servers), name="live-feed")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running
