"""The one consumer loop: each event applied once (inbox row in the same transaction as the
effect), offsets committed after the DB commit, bounded retries, then the dead-letter topic."""

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from contracts.base import Event
from contracts.catalog import EVENT_TYPES
from contracts.topics import dead_letter_topic
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy import insert, select
from telemetry.propagation import context_from_headers

from messaging.envelope import Envelope, MalformedEnvelope, from_record
from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from messaging.publisher import BrokerUnavailable, Publisher

log = logging.getLogger(__name__)
tracer = trace.get_tracer("cairn.messaging")


@dataclass(frozen=True)
class Received:
    """An event as a handler sees it: the envelope, and its data as the contract model."""

    envelope: Envelope
    event: Event

    @property
    def tenant_id(self) -> str:
        return self.envelope.tenant_id


Handler = Callable[[UnitOfWork, Received], Awaitable[None]]


def subscriptions(*groups: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per event type, from each use case's own map. Two handlers for one type is
    a wiring mistake (one would silently replace the other): refused at start-up."""
    merged: dict[str, Handler] = {}
    for group in groups:
        for event_type, handler in group.items():
            if event_type in merged:
                raise ValueError(
                    f"two handlers for {event_type}: {_name(merged[event_type])} and "
                    f"{_name(handler)}; compose them in one use case"
                )
            if event_type not in EVENT_TYPES:
                raise ValueError(f"no contract for event type {event_type!r}")
            merged[event_type] = handler
    return merged


def _name(handler: Handler) -> str:
    return f"{handler.__module__}.{getattr(handler, '__qualname__', handler)}"


class PoisonMessage(Exception):
    """Retrying cannot help (unreadable envelope, data that breaks the contract)."""


class EventConsumer:
    def __init__(
        self,
        *,
        group: str,
        topics: list[str],
        handlers: Mapping[str, Handler],
        uow: UnitOfWorkFactory,
        publisher: Publisher,
        bootstrap_servers: str,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
    ) -> None:
        self.group = group
        self._topics = topics
        self._handlers = handlers
        self._uow = uow
        self._publisher = publisher
        self._bootstrap = bootstrap_servers
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self.processed = 0
        self.dead_lettered = 0

    async def run(self) -> None:
        """Runs until cancelled; reconnects after the broker goes away."""
        while True:
            consumer = AIOKafkaConsumer(
                *self._topics,
                bootstrap_servers=self._bootstrap,
                group_id=self.group,
                client_id=f"cairn-{self.group}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                metadata_max_age_ms=5000,
                # Latency over idle traffic: an org change should show within a tenth of a second.
                fetch_max_wait_ms=50,
            )
            try:
                await consumer.start()
            except (KafkaError, OSError) as exc:
                log.warning("%s consumer: broker unavailable (%s); retrying", self.group, exc)
                await consumer.stop()
                await asyncio.sleep(1)
                continue
            try:
                await self._consume(consumer)
            except KafkaError as exc:
                log.warning("%s consumer: %r; reconnecting", self.group, exc)
                await asyncio.sleep(1)
            finally:
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            for partition, records in batches.items():
                for record in records:
                    await self._handle_durably(record)
                await self._commit(consumer, partition, records[-1].offset + 1)

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except CommitFailedError as exc:
            # A rebalance took the partition; its new owner re-reads and the inbox dedupes.
            log.info("%s consumer: commit of %s skipped: %s", self.group, tp, exc)

    async def _handle_durably(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Never returns without the record applied, skipped as a duplicate, or dead-lettered."""
        while True:
            try:
                await self.handle_record(record)
                return
            except BrokerUnavailable:
                log.warning("%s consumer: cannot dead-letter yet; retrying", self.group)
                await asyncio.sleep(1)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        headers = list(record.headers or [])
        with tracer.start_as_current_span(
            f"process {record.topic}",
            kind=SpanKind.CONSUMER,
            context=context_from_headers(headers),
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group,
                "messaging.kafka.offset": record.offset,
            },
        ) as span:
            error: BaseException | None = None
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await self._apply(record, headers)
                    self.processed += 1
                    return
                except PoisonMessage as exc:
                    error = exc
                    break
                except Exception as exc:
                    error = exc
                    log.warning(
                        "%s consumer: attempt %d/%d of %s@%d failed: %r",
                        self.group,
                        attempt,
                        self._max_attempts,
                        record.topic,
                        record.offset,
                        exc,
                    )
                    if attempt < self._max_attempts:
                        await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))
            assert error is not None
            span.set_status(Status(StatusCode.ERROR, str(error)))
            span.record_exception(error)
            await self._dead_letter(record, headers, error)

    async def _apply(self, record: ConsumerRecord[bytes, bytes], headers: list[Any]) -> None:
        try:
            envelope = from_record(record.key, record.value, headers)
        except MalformedEnvelope as exc:
            raise PoisonMessage(str(exc)) from exc
        trace.get_current_span().set_attributes(
            {"messaging.message.id": envelope.id, "cloudevents.event_type": envelope.type}
        )
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return  # not ours: tolerant readers skip types they do not use
        model = EVENT_TYPES.get(envelope.type)
        if model is None:
            raise PoisonMessage(f"no contract for event type {envelope.type!r}")
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as exc:
            raise PoisonMessage(f"{envelope.type} breaks its contract: {exc}") from exc
        inbox = self._uow.tables.inbox
        async with self._uow() as uow:
            seen = await uow.session.execute(
                select(inbox.c.event_id).where(
                    inbox.c.consumer == self.group, inbox.c.event_id == envelope.id
                )
            )
            if seen.first() is not None:
                return
            await handler(uow, Received(envelope=envelope, event=event))
            await uow.session.execute(
                insert(inbox).values(
                    consumer=self.group,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    processed_at=utcnow(),
                )
            )
            await uow.commit()

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], headers: list[Any], error: BaseException
    ) -> None:
        topic = dead_letter_topic(self.group)
        detail = "".join(traceback.format_exception_only(error)).strip()
        dlq_headers = [
            *headers,
            ("dlq_error", detail[:4000].encode()),
            ("dlq_error_type", type(error).__name__.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self.group.encode()),
            ("dlq_failed_at", utcnow().isoformat().encode()),
        ]
        await self._publisher.send_raw(topic, record.key, record.value, dlq_headers)
        self.dead_lettered += 1
        log.error(
            "%s consumer: %s@%d dead-lettered to %s: %s",
            self.group,
            record.topic,
            record.offset,
            topic,
            detail,
        )
