"""Publishes outbox rows to Kafka in order, marks them sent, rides out broker outages, and
publishes again what a broker lost.

The outbox is the durable record, the broker only transport: published rows stay for the
outbox retention (`messaging.settings.RetentionSettings`), and when the broker's log no longer
holds what it acknowledged (`relay_guard`) every retained row of the affected topics is marked
unsent and goes out again, in id order. Consumers' inboxes drop what they had already applied.

The relay checks before it publishes (at start, after an outage, every few seconds), so a new
log normally gets the old events before any new one; if the broker is replaced between a check
and a publish, the few events of that publish reach the new log first and again after the
republished ones (a consumer may see them before older events: person snapshots carry their
revision, and replicas keep the newest). What never went through an outbox is not republished:
dead-letter records, and events published directly (the gateway's webhook path until it
writes through its outbox).
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import timedelta

from aiokafka.errors import KafkaError
from opentelemetry import metrics
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from messaging.broker_log import BrokerLog
from messaging.envelope import Envelope
from messaging.log_marks import Loss
from messaging.outbox import UnitOfWorkFactory, utcnow
from messaging.publisher import BrokerUnavailable, Publisher
from messaging.relay_guard import LogGuard, SentRow
from messaging.settings import RetentionSettings

log = logging.getLogger(__name__)
meter = metrics.get_meter("cairn.messaging")
LOG_LOSSES = meter.create_counter(
    "cairn.messaging.relay.log_losses",
    description="partitions found to have lost events the broker had acknowledged",
)
REPUBLISHED = meter.create_counter(
    "cairn.messaging.relay.republished",
    description="outbox rows marked unsent again after a log loss",
)

_NEWEST_SENT = 5000  # rows looked at to find each partition's newest event after a restart
_MARK_CHUNK = 500  # ids per UPDATE (SQLite bounds the parameters of one statement)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        uow: UnitOfWorkFactory,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        max_backoff_s: float = 5.0,
        retention: RetentionSettings | None = None,
        log_check_every_s: float = 5.0,
    ) -> None:
        self._engine = engine
        self._uow = uow
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._retention = (retention or RetentionSettings.load()).outbox_retention
        self._broker_log = BrokerLog(publisher.bootstrap_servers)
        self.guard = LogGuard(self._broker_log, check_every_s=log_check_every_s)
        self.published = 0
        self.losses_detected = 0
        self.republished = 0

    async def run(self) -> None:
        """Runs until cancelled. On PostgreSQL only one replica relays at a time (advisory
        lock), so a service's events leave in the order they were written."""
        try:
            async with self._leadership():
                await self._relay_forever()
        finally:
            await self._broker_log.close()

    async def _relay_forever(self) -> None:
        backoff = 0.2
        last_cleanup = utcnow() - timedelta(hours=2)
        while True:
            try:
                sent = await self.relay_once()
                backoff = 0.2
            except (BrokerUnavailable, KafkaError, OSError, TimeoutError) as exc:
                self.guard.broker_unreachable()
                log.warning("outbox relay: broker unavailable, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            except Exception:
                # A database hiccup must not end the relay: the rows wait for the next pass.
                log.exception("outbox relay: pass failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            if utcnow() - last_cleanup > timedelta(hours=1):
                await self.forget_old()
                last_cleanup = utcnow()
            if sent < self._batch_size:
                self._uow.events_written.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._uow.events_written.wait(), self._poll_interval_s)

    async def relay_once(self) -> int:
        if self.guard.needs_check():
            # Before anything new goes out: a new log must first get back what the old had.
            try:
                verdict = await self.guard.check(self._newest_sent)
            except (KafkaError, OSError, TimeoutError) as exc:
                raise BrokerUnavailable(f"cannot read the broker's log: {exc!r}") from exc
            await self._recover(verdict)
        outbox = self._uow.tables.outbox
        # Read in a short transaction: a SQLite write lock must never be held while Kafka is slow.
        async with self._engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(outbox)
                        .where(outbox.c.sent_at.is_(None))
                        .order_by(outbox.c.id)
                        .limit(self._batch_size)
                    )
                )
                .mappings()
                .all()
            )
            await conn.rollback()
        if not rows:
            return 0
        envelopes = [
            Envelope(
                id=row["event_id"],
                type=row["event_type"],
                source=row["source"],
                tenant_id=row["tenant_id"],
                key=row["key"],
                data=row["data"],
                subject=row["subject"],
                time=row["created_at"],
                traceparent=row["traceparent"],
            )
            for row in rows
        ]
        acks = await self._publisher.publish(
            envelopes, {row["event_id"]: row["topic"] for row in rows}
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([row["id"] for row in rows]))
                .values(sent_at=utcnow())
            )
        self.published += len(rows)
        # Acks below what this log acknowledged before: the broker started a new log under us.
        await self._recover(self.guard.acknowledged(acks))
        return len(rows)

    async def _recover(self, losses: list[Loss]) -> None:
        if not losses:
            return
        topics = sorted({loss.partition.topic for loss in losses})
        count = await self._mark_unsent(topics)
        self.guard.forget(losses)
        # The producer may still hold the old log's partitions: learn the new ones first.
        await self._publisher.refresh_metadata()
        self.losses_detected += len(losses)
        self.republished += count
        for loss in losses:
            LOG_LOSSES.add(1, {"source": self._uow.source, "topic": loss.partition.topic})
        REPUBLISHED.add(count, {"source": self._uow.source})
        log.error(
            "outbox relay %s: THE BROKER LOST EVENTS IT HAD ACKNOWLEDGED (%s); republishing "
            "%d retained events of %s in order",
            self._uow.source,
            "; ".join(
                f"{loss.partition.topic}[{loss.partition.partition}]: {loss.reason}"
                for loss in losses
            ),
            count,
            ", ".join(topics),
        )

    async def _mark_unsent(self, topics: Iterable[str]) -> int:
        """Every retained sent row of these topics goes out again: a superset of the lost
        partitions' rows (a row's partition is not stored, and a recreated topic may count
        its partitions differently); inboxes drop the rest."""
        outbox = self._uow.tables.outbox
        cutoff = utcnow() - self._retention
        async with self._engine.begin() as conn:
            ids = [
                row[0]
                for row in await conn.execute(
                    select(outbox.c.id).where(
                        outbox.c.topic.in_(list(topics)),
                        outbox.c.sent_at.is_not(None),
                        outbox.c.created_at >= cutoff,
                    )
                )
            ]
            for start in range(0, len(ids), _MARK_CHUNK):
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids[start : start + _MARK_CHUNK]))
                    .values(sent_at=None)
                )
        return len(ids)

    async def _newest_sent(self) -> list[SentRow]:
        outbox = self._uow.tables.outbox
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_id, outbox.c.topic, outbox.c.key, outbox.c.created_at)
                .where(
                    outbox.c.sent_at.is_not(None),
                    outbox.c.created_at >= utcnow() - self._retention,
                )
                .order_by(outbox.c.id.desc())
                .limit(_NEWEST_SENT)
            )
            found = [SentRow(*row) for row in rows]
            await conn.rollback()
        return found

    async def forget_old(self) -> None:
        """Rows past the retention, counted from creation like the inboxes count theirs: a row
        republished late still leaves before any inbox could forget it."""
        outbox = self._uow.tables.outbox
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(outbox).where(
                    outbox.c.sent_at.is_not(None),
                    outbox.c.created_at < utcnow() - self._retention,
                )
            )

    @contextlib.asynccontextmanager
    async def _leadership(self):  # type: ignore[no-untyped-def]
        if self._engine.dialect.name != "postgresql":
            yield
            return
        async with self._engine.connect() as conn:
            await self._wait_for_lock(conn)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": self._lock_key}
                    )

    @property
    def _lock_key(self) -> str:
        return f"cairn-outbox-relay:{self._uow.source}"

    async def _wait_for_lock(self, conn: AsyncConnection) -> None:
        while True:
            got = (
                await conn.execute(
                    text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": self._lock_key}
                )
            ).scalar_one()
            await conn.commit()
            if got:
                return
            await asyncio.sleep(self._poll_interval_s * 4)
