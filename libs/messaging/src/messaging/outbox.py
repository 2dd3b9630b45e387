"""The transactional outbox: a change and its events commit together, or not at all."""

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from contracts.base import Event
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telemetry.propagation import current_traceparent

from messaging.envelope import Envelope, envelope_for
from messaging.tables import MessagingTables


class UnitOfWork:
    """One DB transaction; `emit` writes the outbox row inside it. Commit is explicit:
    leaving the block without `commit()` rolls everything back."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        source: str,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._source = source
        self._on_commit = on_commit
        self._emitted = 0
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Detach first: what was read stays readable after the block, and a rollback of a
        # read-only block must not expire it.
        self.session.expunge_all()
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def emit(self, event: Event, *, tenant_id: str, event_id: str | None = None) -> str:
        envelope = envelope_for(event, tenant_id=tenant_id, source=self._source, event_id=event_id)
        await self.session.execute(
            insert(self._tables.outbox).values(
                **_outbox_row(event, envelope, current_traceparent())
            )
        )
        self._emitted += 1
        return envelope.id

    async def emit_many(
        self,
        events: Sequence[Event],
        *,
        tenant_id: str,
        event_ids: Sequence[str] | None = None,
    ) -> list[str]:
        """`emit` for many events in one statement (bulk writes: a per-event INSERT costs a
        round trip each). Same rows, same order as emitting them one by one; `event_ids`, when
        given, are the events' ids (deterministic ids, as `emit(event_id=...)`)."""
        if not events:
            return []
        if event_ids is not None and len(event_ids) != len(events):
            raise ValueError("one event id per event")
        traceparent = current_traceparent()
        envelopes = [
            envelope_for(
                event,
                tenant_id=tenant_id,
                source=self._source,
                event_id=event_ids[i] if event_ids is not None else None,
            )
            for i, event in enumerate(events)
        ]
        await self.session.execute(
            insert(self._tables.outbox),
            [
                _outbox_row(event, envelope, traceparent)
                for event, envelope in zip(events, envelopes, strict=True)
            ],
        )
        self._emitted += len(envelopes)
        return [envelope.id for envelope in envelopes]

    async def commit(self) -> None:
        await self.session.commit()
        if self._emitted and self._on_commit is not None:
            self._on_commit()


class UnitOfWorkFactory:
    """Builds units of work for one service and wakes its relay when events were written."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        source: str,
    ) -> None:
        self.sessions = sessions
        self.tables = tables
        self.source = source
        self.events_written = asyncio.Event()

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.tables, self.source, self.events_written.set)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _outbox_row(event: Event, envelope: Envelope, traceparent: str | None) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "topic": event.topic,
        "key": envelope.key,
        "event_type": envelope.type,
        "source": envelope.source,
        "tenant_id": envelope.tenant_id,
        "subject": envelope.subject,
        "data": envelope.data,
        "traceparent": traceparent,
        "created_at": envelope.time,
    }
