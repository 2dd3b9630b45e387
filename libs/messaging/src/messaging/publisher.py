"""The one Kafka producer setup: acks=all, no idempotence (Tansu has no InitProducerId), and a
start that tolerates a broker that is not up yet."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from telemetry.propagation import context_from_traceparent, current_traceparent

from messaging.envelope import Envelope, to_record
from messaging.settings import client_options

log = logging.getLogger(__name__)
tracer = trace.get_tracer("cairn.messaging")


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time; the caller decides (503, retry later)."""


@dataclass(frozen=True)
class Ack:
    """Where the broker says it stored an event: the relay's evidence for spotting a lost log."""

    event_id: str
    topic: str
    partition: int
    offset: int


class Publisher:
    def __init__(self, bootstrap_servers: str, *, timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    @property
    def bootstrap_servers(self) -> str:
        return self._bootstrap

    async def _ensure_started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **client_options(),
                    bootstrap_servers=self._bootstrap,
                    acks="all",
                    enable_idempotence=False,
                    request_timeout_ms=int(self._timeout_s * 1000),
                    retry_backoff_ms=200,
                    linger_ms=5,
                    # As the consumers: a topic made again after a broker restart is seen soon.
                    metadata_max_age_ms=5000,
                    client_id="cairn",
                )
                try:
                    await asyncio.wait_for(producer.start(), self._timeout_s)
                except (KafkaError, OSError, TimeoutError) as exc:
                    await producer.stop()
                    raise BrokerUnavailable(f"cannot reach Kafka at {self._bootstrap}") from exc
                self._producer = producer
            return self._producer

    async def publish(self, envelopes: Sequence[Envelope], topic_of: dict[str, str]) -> list[Ack]:
        """Sends every envelope and waits for all acks; raises BrokerUnavailable otherwise.

        `topic_of` maps each envelope id to its topic. The acks come back in envelope order.
        """
        producer = await self._ensure_started()
        futures = []
        try:
            async with asyncio.timeout(self._timeout_s):
                for envelope in envelopes:
                    topic = topic_of[envelope.id]
                    with tracer.start_as_current_span(
                        f"publish {topic}",
                        kind=SpanKind.PRODUCER,
                        context=context_from_traceparent(envelope.traceparent),
                        attributes={
                            "messaging.system": "kafka",
                            "messaging.destination.name": topic,
                            "messaging.message.id": envelope.id,
                            "cloudevents.event_type": envelope.type,
                        },
                    ):
                        traced = _with_traceparent(envelope)
                        key, value, headers = to_record(traced)
                        futures.append(
                            await producer.send(topic, value=value, key=key, headers=headers)
                        )
                stored = await asyncio.gather(*futures)
        except (KafkaError, OSError, TimeoutError) as exc:
            for future in futures:
                future.cancel()
            raise BrokerUnavailable(f"Kafka did not acknowledge: {exc!r}") from exc
        return [
            Ack(envelope.id, meta.topic, meta.partition, meta.offset)
            for envelope, meta in zip(envelopes, stored, strict=True)
        ]

    async def refresh_metadata(self) -> None:
        """Learns the broker's topics and partitions now (after the broker changed under us)."""
        if self._producer is None:
            return  # a producer started later fetches them anyway
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._producer.client.force_metadata_update()
        except (KafkaError, OSError, TimeoutError) as exc:
            raise BrokerUnavailable(f"cannot refresh metadata from Kafka: {exc!r}") from exc

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        """Forwards a record as it is (dead-lettering keeps the original bytes)."""
        producer = await self._ensure_started()
        try:
            async with asyncio.timeout(self._timeout_s):
                await (await producer.send(topic, value=value, key=key, headers=headers))
        except (KafkaError, OSError, TimeoutError) as exc:
            raise BrokerUnavailable(f"Kafka did not acknowledge: {exc!r}") from exc

    async def ping(self) -> bool:
        try:
            producer = await self._ensure_started()
            async with asyncio.timeout(2):
                await producer.client.fetch_all_metadata()
        except (BrokerUnavailable, KafkaError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


def _with_traceparent(envelope: Envelope) -> Envelope:
    """The record carries the publish span's context, a child of the span that wrote it."""
    return replace(envelope, traceparent=current_traceparent() or envelope.traceparent)
