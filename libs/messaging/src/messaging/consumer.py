"""The one consumer loop: each event applied once (inbox row in the same transaction as the
effect), offsets committed after the DB commit, bounded retries, then the dead-letter topic.
Positions are watched (`position_guard`): one the log no longer holds is read again from the
log's start, never skipped. Inbox rows are kept for the inbox retention (`RetentionSettings`).
"""

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    KafkaError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
)
from contracts.base import Event
from contracts.catalog import EVENT_TYPES
from contracts.topics import dead_letter_topic
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from telemetry.propagation import context_from_headers

from messaging.broker_log import BrokerLog
from messaging.envelope import Envelope, MalformedEnvelope, from_record
from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from messaging.position_guard import PositionGuard
from messaging.publisher import BrokerUnavailable, Publisher
from messaging.settings import RetentionSettings, client_options

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
        retention: RetentionSettings | None = None,
        position_check_every_s: float = 5.0,
    ) -> None:
        self.group = group
        self._topics = topics
        self._handlers = handlers
        self._uow = uow
        self._publisher = publisher
        self._bootstrap = bootstrap_servers
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._inbox_retention = (retention or RetentionSettings.load()).inbox_retention
        self._broker_log = BrokerLog(bootstrap_servers)
        self.positions = PositionGuard(
            group,
            self._broker_log,
            self._applied,
            handlers.keys(),
            inbox_retention=self._inbox_retention,
            check_every_s=position_check_every_s,
        )
        self._forgotten_at: float | None = None
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0

    async def run(self) -> None:
        """Runs until cancelled; reconnects after the broker goes away."""
        try:
            await self._run()
        finally:
            await self._broker_log.close()

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(),
                bootstrap_servers=self._bootstrap,
                group_id=self.group,
                client_id=f"cairn-{self.group}",
                enable_auto_commit=False,
                # Positions are set on assignment (`positions`); one the broker finds out of
                # range is reset there, loudly, instead of quietly by the client.
                auto_offset_reset="none",
                metadata_max_age_ms=5000,
                # Latency over idle traffic: an org change should show within a tenth of a second.
                fetch_max_wait_ms=50,
            )
            consumer.subscribe(self._topics, listener=self.positions.listener(consumer))
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
            await self._forget_old_hourly()
            try:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
            except OffsetOutOfRangeError as exc:
                await self.positions.out_of_range(consumer, _partitions_in(exc))
                continue
            except NoOffsetForPartitionError as exc:
                # Only when the assignment could not be checked: a group's first read.
                await consumer.seek_to_beginning(*_partitions_in(exc))
                continue
            for partition, records in batches.items():
                generation, repeats = self.positions.generation(partition), self.duplicates
                for record in records:
                    await self._handle_durably(record)
                if self.duplicates > repeats:
                    log.info(
                        "%s consumer: %d of %d events of %s[%d] were applied before "
                        "(delivered again): dropped by the inbox",
                        self.group,
                        self.duplicates - repeats,
                        len(records),
                        partition.topic,
                        partition.partition,
                    )
                if self.positions.read(partition, records[-1], generation):
                    await self._commit(consumer, partition, records[-1].offset + 1)
            if self.positions.check_due():
                await self.positions.check(consumer)

    async def _applied(self, event_ids: list[str]) -> set[str]:
        inbox = self._uow.tables.inbox
        async with self._uow() as uow:
            rows = await uow.session.execute(
                select(inbox.c.event_id).where(
                    inbox.c.consumer == self.group, inbox.c.event_id.in_(event_ids)
                )
            )
            return {row[0] for row in rows}

    async def _forget_old_hourly(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._forgotten_at is not None and now - self._forgotten_at < 3600:
            return
        self._forgotten_at = now
        try:
            await self.forget_old()
        except Exception:
            # The rows wait for the next hour; consuming must go on.
            log.exception("%s consumer: could not prune the inbox", self.group)

    async def forget_old(self) -> None:
        """Inbox rows past the inbox retention: no relay republishes events that old."""
        inbox = self._uow.tables.inbox
        async with self._uow() as uow:
            await uow.session.execute(
                delete(inbox).where(
                    inbox.c.consumer == self.group,
                    inbox.c.processed_at < utcnow() - self._inbox_retention,
                )
            )
            await uow.commit()

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
                self.duplicates += 1
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


def _partitions_in(exc: KafkaError) -> list[TopicPartition]:
    """The partitions an aiokafka position error names ({tp: offset} or a tp)."""
    named = exc.args[0] if exc.args else None
    if isinstance(named, dict):
        return list(named)
    return [named] if isinstance(named, TopicPartition) else []
