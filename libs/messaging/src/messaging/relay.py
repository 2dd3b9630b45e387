"""Publishes outbox rows to Kafka in order, marks them sent, and rides out broker outages."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from messaging.envelope import Envelope
from messaging.outbox import UnitOfWorkFactory, utcnow
from messaging.publisher import BrokerUnavailable, Publisher

log = logging.getLogger(__name__)


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
        keep_sent_for: timedelta = timedelta(days=7),
    ) -> None:
        self._engine = engine
        self._uow = uow
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._keep_sent_for = keep_sent_for
        self.published = 0

    async def run(self) -> None:
        """Runs until cancelled. On PostgreSQL only one replica relays at a time (advisory
        lock), so a service's events leave in the order they were written."""
        async with self._leadership():
            backoff = 0.2
            last_cleanup = utcnow()
            while True:
                try:
                    sent = await self.relay_once()
                    backoff = 0.2
                except BrokerUnavailable as exc:
                    log.warning(
                        "outbox relay: broker unavailable, retrying in %.1fs: %s", backoff, exc
                    )
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
                    await self._forget_old()
                    last_cleanup = utcnow()
                if sent < self._batch_size:
                    self._uow.events_written.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._uow.events_written.wait(), self._poll_interval_s
                        )

    async def relay_once(self) -> int:
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
        await self._publisher.publish(envelopes, {row["event_id"]: row["topic"] for row in rows})
        async with self._engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([row["id"] for row in rows]))
                .values(sent_at=utcnow())
            )
        self.published += len(rows)
        return len(rows)

    async def _forget_old(self) -> None:
        outbox = self._uow.tables.outbox
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(outbox).where(outbox.c.sent_at < utcnow() - self._keep_sent_for)
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
