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
                # The broker answers a fetch as soon as records arrive (long polling), so the
                # wait bounds idle traffic, not latency: 50 ms cost the idle stack a third of a
                # core in empty fetches, and events came no sooner (measured: 5-25 ms either way).
                fetch_max_wait_ms=500,
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
                await self._handle_together(records)
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
        async with self._uow() as uow:
            return await self._applied_in(uow, event_ids)

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

    async def _handle_together(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """A fetched run of one partition's records applied in one transaction (one inbox
        look-up, one commit: a commit per event capped a consumer at a few hundred events a
        second). When a record fails, what came before it is applied again (together), the failing
        record gets its remaining attempts on its own, and the rest go on together."""
        pending = records
        while pending:
            failure = await self._apply_together(pending)
            if failure is None:
                return
            index, error = failure
            if index is None:  # not one record's fault (the look-up, the commit): one by one
                for record in pending:
                    await self._handle_durably(record)
                return
            await self._handle_together(pending[:index])  # rolled back with the failure
            await self._handle_durably(pending[index], failed_once=error)
            pending = pending[index + 1 :]

    async def _apply_together(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[int | None, BaseException] | None:
        """Applies every record or none: None, else the index of the record that failed (None
        when no one record did) and the error."""
        parsed: list[Received | None] = []
        for index, record in enumerate(records):
            try:
                parsed.append(self._parse(record, list(record.headers or [])))
            except PoisonMessage as exc:
                return index, exc
        failing: int | None = None
        repeats = 0
        try:
            async with self._uow() as uow:
                ids = [received.envelope.id for received in parsed if received is not None]
                done = await self._applied_in(uow, ids)
                inbox_rows = []
                for index, (record, received) in enumerate(zip(records, parsed, strict=True)):
                    if received is None:
                        continue
                    if received.envelope.id in done:
                        repeats += 1
                        continue
                    failing = index
                    with self._span(record, received.envelope):
                        await self._handlers[received.envelope.type](uow, received)
                    failing = None
                    done.add(received.envelope.id)
                    inbox_rows.append(self._inbox_row(received.envelope))
                if inbox_rows:
                    await uow.session.execute(insert(self._uow.tables.inbox), inbox_rows)
                await uow.commit()
        except Exception as exc:
            log.info(
                "%s consumer: %d records applied one by one after %r", self.group, len(records), exc
            )
            return failing, exc
        self.processed += len(records)
        self.duplicates += repeats
        return None

    async def _handle_durably(
        self, record: ConsumerRecord[bytes, bytes], failed_once: BaseException | None = None
    ) -> None:
        """Never returns without the record applied, skipped as a duplicate, or dead-lettered."""
        while True:
            try:
                await self.handle_record(record, failed_once)
                return
            except BrokerUnavailable:
                log.warning("%s consumer: cannot dead-letter yet; retrying", self.group)
                await asyncio.sleep(1)

    def _span(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope | None = None) -> Any:
        ids = {} if envelope is None else self._event_attributes(envelope)
        return tracer.start_as_current_span(
            f"process {record.topic}",
            kind=SpanKind.CONSUMER,
            context=context_from_headers(list(record.headers or [])),
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group,
                "messaging.kafka.offset": record.offset,
                **ids,
            },
        )

    @staticmethod
    def _event_attributes(envelope: Envelope) -> dict[str, str]:
        return {"messaging.message.id": envelope.id, "cloudevents.event_type": envelope.type}

    async def handle_record(
        self, record: ConsumerRecord[bytes, bytes], failed_once: BaseException | None = None
    ) -> None:
        """One record in its own transaction, with bounded retries, then the dead-letter topic.
        `failed_once`: the first attempt already failed so (a poison message is not retried)."""
        headers = list(record.headers or [])
        with self._span(record) as span:
            error = failed_once
            first = 1
            if failed_once is not None:
                first = self._max_attempts + 1 if isinstance(failed_once, PoisonMessage) else 2
                self._log_attempt(record, 1, failed_once)
            for attempt in range(first, self._max_attempts + 1):
                if attempt > 1:
                    await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 2))
                try:
                    await self._apply(record, headers)
                    self.processed += 1
                    return
                except PoisonMessage as exc:
                    error = exc
                    break
                except Exception as exc:
                    error = exc
                    self._log_attempt(record, attempt, exc)
            assert error is not None
            span.set_status(Status(StatusCode.ERROR, str(error)))
            span.record_exception(error)
            await self._dead_letter(record, headers, error)

    def _log_attempt(
        self, record: ConsumerRecord[bytes, bytes], attempt: int, error: BaseException
    ) -> None:
        if isinstance(error, PoisonMessage):
            return
        log.warning(
            "%s consumer: attempt %d/%d of %s@%d failed: %r",
            self.group,
            attempt,
            self._max_attempts,
            record.topic,
            record.offset,
            error,
        )

    def _parse(self, record: ConsumerRecord[bytes, bytes], headers: list[Any]) -> Received | None:
        """The record as its contract model; None for a type this consumer does not use."""
        try:
            envelope = from_record(record.key, record.value, headers)
        except MalformedEnvelope as exc:
            raise PoisonMessage(str(exc)) from exc
        if envelope.type not in self._handlers:
            return None  # not ours: tolerant readers skip types they do not use
        model = EVENT_TYPES.get(envelope.type)
        if model is None:
            raise PoisonMessage(f"no contract for event type {envelope.type!r}")
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as exc:
            raise PoisonMessage(f"{envelope.type} breaks its contract: {exc}") from exc
        return Received(envelope=envelope, event=event)

    async def _applied_in(self, uow: UnitOfWork, event_ids: list[str]) -> set[str]:
        if not event_ids:
            return set()
        inbox = self._uow.tables.inbox
        rows = await uow.session.execute(
            select(inbox.c.event_id).where(
                inbox.c.consumer == self.group, inbox.c.event_id.in_(event_ids)
            )
        )
        return {row[0] for row in rows}

    def _inbox_row(self, envelope: Envelope) -> dict[str, Any]:
        return {
            "consumer": self.group,
            "event_id": envelope.id,
            "event_type": envelope.type,
            "processed_at": utcnow(),
        }

    async def _apply(self, record: ConsumerRecord[bytes, bytes], headers: list[Any]) -> None:
        received = self._parse(record, headers)
        if received is None:
            return
        envelope = received.envelope
        trace.get_current_span().set_attributes(self._event_attributes(envelope))
        async with self._uow() as uow:
            if await self._applied_in(uow, [envelope.id]):
                self.duplicates += 1
                return
            await self._handlers[envelope.type](uow, received)
            await uow.session.execute(
                insert(self._uow.tables.inbox).values(self._inbox_row(envelope))
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
