"""Which HRIS employee a provider's own id stands for, learned from verified deliveries, and
the manager links waiting for an identity we have not learned yet.

Everything here runs in the transaction of the delivery that teaches or needs it, and commits
with that delivery's changes or not at all: an identity is never known, nor a link forgotten,
for a delivery the HRIS will have to send again. Deliveries of one connection are accepted one
at a time (the transaction locks the connection first), so of a report naming an unknown
manager and that manager's own delivery, the later one sees what the earlier one wrote: the
link is sent exactly once, by the manager's delivery if the report came first."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from messaging.outbox import UnitOfWork
from sqlalchemy import Table, delete, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from gateway.adapters.tables import HrisIdentity, HrisPendingManager


@dataclass(frozen=True)
class PendingManager:
    employee_external_id: str
    source_version: int
    manager_provider_id: str
    effective_at: datetime


class IdentityMap:
    """A connection's identities, read and written in the delivery's open transaction."""

    def __init__(self, uow: UnitOfWork, connection_id: str) -> None:
        self._uow = uow
        self._connection_id = connection_id

    async def external_ids(self, provider_ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(provider_ids))
        if not wanted:
            return {}
        rows = await self._uow.session.exec(
            select(HrisIdentity).where(
                col(HrisIdentity.connection_id) == self._connection_id,
                col(HrisIdentity.provider_id).in_(wanted),
            )
        )
        return {row.provider_id: row.external_id for row in rows}

    async def learn(self, provider_id: str, external_id: str, at: datetime) -> None:
        values = {
            "connection_id": self._connection_id,
            "provider_id": provider_id,
            "external_id": external_id,
            "learned_at": at,
        }
        insert = _insert(self._dialect(), _table(HrisIdentity), values)
        await self._uow.session.execute(
            insert.on_conflict_do_update(
                index_elements=["connection_id", "provider_id"],
                set_={"external_id": external_id, "learned_at": at},
            )
        )

    async def await_manager(self, link: PendingManager) -> None:
        values = {"connection_id": self._connection_id, **link.__dict__}
        insert = _insert(self._dialect(), _table(HrisPendingManager), values)
        await self._uow.session.execute(insert.on_conflict_do_nothing())

    async def waiting_for(self, manager_provider_id: str) -> list[PendingManager]:
        rows = await self._uow.session.exec(
            select(HrisPendingManager)
            .where(
                col(HrisPendingManager.connection_id) == self._connection_id,
                col(HrisPendingManager.manager_provider_id) == manager_provider_id,
            )
            .order_by(col(HrisPendingManager.source_version))
        )
        return [
            PendingManager(
                row.employee_external_id,
                row.source_version,
                row.manager_provider_id,
                row.effective_at,
            )
            for row in rows
        ]

    async def settle(self, links: Sequence[PendingManager]) -> None:
        """Forget links whose changes this delivery sends."""
        if not links:
            return
        keys = [(link.employee_external_id, link.source_version) for link in links]
        await self._uow.session.execute(
            delete(HrisPendingManager).where(
                col(HrisPendingManager.connection_id) == self._connection_id,
                tuple_(
                    col(HrisPendingManager.employee_external_id),
                    col(HrisPendingManager.source_version),
                ).in_(keys),
            )
        )

    def _dialect(self) -> str:
        return self._uow.session.get_bind().dialect.name


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _insert(
    dialect: str, table: Table, values: dict[str, Any]
) -> postgresql.Insert | sqlite.Insert:
    # Upserts are dialect-specific in SQLAlchemy; both dialects we run on have ON CONFLICT.
    if dialect == "postgresql":
        return postgresql.insert(table).values(values)
    if dialect == "sqlite":
        return sqlite.insert(table).values(values)
    raise RuntimeError(f"no upsert for database dialect {dialect!r}")
