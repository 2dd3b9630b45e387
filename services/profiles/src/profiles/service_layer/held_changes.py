"""Releasing held changes when their effective time comes: each through the same use case as
any other change, in its own transaction, removed from the held ones in that transaction.

Order between changes is by sourceVersion per field (see `domain.people`), never by when a
change was released, so releasing earliest-first is only a courtesy to the log."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from messaging.outbox import UnitOfWorkFactory, utcnow
from runtime.process import ServiceProcess

from profiles.adapters.repository import HeldChanges
from profiles.service_layer.org_changes import apply_hris_change

log = logging.getLogger(__name__)

BATCH = 200


async def release_due(uows: UnitOfWorkFactory, now: datetime, *, batch: int = BATCH) -> int:
    """Applies every change due by `now`; the number applied. A change that fails stays
    held (logged) and is retried next time; it never blocks the others."""
    released = 0
    while True:
        async with uows() as uow:
            due = await HeldChanges(uow.session).due(now, limit=batch)
        progress = 0
        for tenant_id, change_id in due:
            try:
                progress += await _release(uows, tenant_id, change_id, now)
            except Exception:
                log.exception("held change %s of tenant %s failed; kept", change_id, tenant_id)
        released += progress
        if len(due) < batch or progress == 0:
            return released


async def _release(uows: UnitOfWorkFactory, tenant_id: str, change_id: str, now: datetime) -> int:
    async with uows() as uow:
        change = await HeldChanges(uow.session).take(tenant_id, change_id)
        if change is None:
            return 0  # another replica released it
        await apply_hris_change(uow, tenant_id, change, now=now)
        await uow.commit()
        return 1


def held_change_releaser(
    poll_s: float,
) -> Callable[[ServiceProcess], Coroutine[Any, Any, None]]:
    """A worker for `ServiceProcess(workers=[...])`: releases due changes every `poll_s`."""

    async def run(process: ServiceProcess) -> None:
        while True:
            try:
                released = await release_due(process.uow, utcnow())
                if released:
                    log.info("released %d held change(s)", released)
            except Exception:
                # The database may be away for a moment; the next round tries again.
                log.exception("releasing held changes failed")
            await asyncio.sleep(poll_s)

    return run
