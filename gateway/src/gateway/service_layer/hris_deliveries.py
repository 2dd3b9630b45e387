"""Accepting a verified HRIS delivery: its canonical changes go into the gateway's outbox in one
transaction with the delivery's receipt (and whatever the provider learned from it), and the
delivery is accepted once that has committed; the relay publishes. A redelivery is answered
from its settled receipt and changes nothing."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TypeVar, cast

from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from runtime.process import ServiceProcess
from sqlalchemy import CursorResult, delete
from sqlmodel import col, select

from gateway.adapters.database import DATABASE_UNAVAILABLE
from gateway.adapters.tables import HrisConnection, HrisDeliveryReceipt
from gateway.domain.hris_delivery import (
    MAX_CHANGES,
    RECEIPT_RETENTION,
    HrisDelivery,
    delivery_digest,
    received_events,
)
from gateway.hris.delivery import (
    HrisProvider,
    NormalizeContext,
    UnsealedConnection,
    VerificationFailed,
    Verified,
)
from gateway.service_layer.org_changes import store_changes

log = logging.getLogger(__name__)
F = TypeVar("F")
_FORGET_EVERY_S = 3600.0


class DeliveryTurns:
    """Copies of one delivery (a connection and a delivery id) are taken one at a time in this
    process: a retry or replay racing the first waits, then finds its receipt, instead of
    fetching from the HRIS as well. Across replicas the receipt alone decides."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}

    @contextlib.asynccontextmanager
    async def turn(self, connection_id: str, delivery_id: str) -> AsyncIterator[None]:
        key = (connection_id, delivery_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody holds it or waits: forgotten
                del self._waiting[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


async def accepted_before(
    uow_factory: UnitOfWorkFactory, connection_id: str, delivery_id: str
) -> int | None:
    """How many changes the delivery was accepted with, if it was (within the retention) and
    nothing new can come of accepting it again."""
    async with uow_factory() as uow:
        receipt = await _receipt(uow, connection_id, delivery_id)
    return receipt.changes if receipt is not None and receipt.settled else None


async def accept_delivery(
    uow_factory: UnitOfWorkFactory,
    provider: HrisProvider[Any, F],
    fetched: F,
    connection: UnsealedConnection,
    verified: Verified,
    received_at: datetime,
) -> int:
    """Normalizes and stores the delivery; answers how many changes it was accepted with.

    Raises DeliveryRejected (nothing stored), or VerificationFailed if the connection was
    disabled meanwhile."""
    async with uow_factory() as uow:
        # One delivery of a connection at a time, from here to the commit: what one delivery
        # learns (Merge's identities), the next one sees. PostgreSQL: a row lock that leaves
        # foreign keys to the connection free; SQLite: BEGIN IMMEDIATE already serializes.
        locked = (
            await uow.session.exec(
                select(HrisConnection)
                .where(col(HrisConnection.id) == connection.id)
                .with_for_update(key_share=True)
            )
        ).first()
        if locked is None or locked.disabled_at is not None:
            raise VerificationFailed
        # A redelivery racing the first: whichever commits second finds the receipt here.
        receipt = await _receipt(uow, connection.id, verified.delivery_id)
        if receipt is not None and receipt.settled:
            return receipt.changes
        changes = await provider.normalize(
            fetched, NormalizeContext(connection, verified, received_at, uow)
        )
        # A provider may derive more changes than one canonical delivery holds (Merge's manager
        # links): each batch becomes events the same way.
        events = [
            event
            for start in range(0, len(changes), MAX_CHANGES)
            for event in received_events(
                HrisDelivery(changes=changes[start : start + MAX_CHANGES]),
                connection.id,
                provider.channel,
                received_at,
            )
        ]
        await store_changes(uow, connection.tenant_id, events)
        settled = provider.settles(verified, fetched)
        if receipt is None:
            uow.session.add(
                HrisDeliveryReceipt(
                    connection_id=connection.id,
                    delivery_digest=delivery_digest(verified.delivery_id),
                    changes=len(events),
                    settled=settled,
                    received_at=received_at,
                )
            )
        else:  # accepted before, unsettled: this acceptance saw more
            receipt.changes = len(events)
            receipt.settled = settled
            receipt.received_at = received_at
        await uow.commit()
    return len(events)


async def forget_old_receipts(uow_factory: UnitOfWorkFactory, now: datetime | None = None) -> int:
    """Deletes receipts older than the retention; answers how many."""
    cutoff = (now or utcnow()) - RECEIPT_RETENTION
    async with uow_factory() as uow:
        result = await uow.session.execute(
            delete(HrisDeliveryReceipt).where(col(HrisDeliveryReceipt.received_at) < cutoff)
        )
        await uow.commit()
    return cast(CursorResult[Any], result).rowcount


async def keep_receipts_bounded(process: ServiceProcess) -> None:
    """A gateway worker: forgets old receipts every hour, until cancelled."""
    while True:
        try:
            forgotten = await forget_old_receipts(process.uow)
            if forgotten:
                log.info("forgot %d hris delivery receipts past their retention", forgotten)
        except DATABASE_UNAVAILABLE:
            log.warning("hris delivery receipts: database unavailable; next pass later")
        await asyncio.sleep(_FORGET_EVERY_S)


async def _receipt(
    uow: UnitOfWork, connection_id: str, delivery_id: str
) -> HrisDeliveryReceipt | None:
    return await uow.session.get(HrisDeliveryReceipt, (connection_id, delivery_digest(delivery_id)))
