"""The transactional outbox: a change and its events commit together, or not at all."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from contracts.base import Event
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telemetry.propagation import current_traceparent

from messaging.envelope import envelope_for
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
                event_id=envelope.id,
                topic=event.topic,
                key=envelope.key,
                event_type=envelope.type,
                source=envelope.source,
                tenant_id=envelope.tenant_id,
                subject=envelope.subject,
                data=envelope.data,
                traceparent=current_traceparent(),
                created_at=envelope.time,
            )
        )
        self._emitted += 1
        return envelope.id

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
