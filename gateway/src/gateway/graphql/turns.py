"""How GraphQL executions share the gateway: each tenant runs at most so many at once (the
others wait briefly for a turn, then are refused; a turn may be kept a while after its query,
to slow down a tenant whose queries are refused), and each runs within a deadline, its work
cancelled when the deadline passes or the client goes away."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class NoTurn(Exception):
    """The tenant already runs as many queries as it may, and none ended in time."""


class Turn:
    """A tenant's turn; `keep` holds it a while after the query ends (the tenant's next
    query waits for another turn meanwhile)."""

    def __init__(self) -> None:
        self.kept_s = 0.0

    def keep(self, seconds: float) -> None:
        self.kept_s = max(self.kept_s, seconds)


class TenantTurns:
    """One semaphore per tenant, kept while the tenant has queries running or waiting."""

    def __init__(self) -> None:
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()  # running + waiting + kept, per tenant

    @contextlib.asynccontextmanager
    async def turn(self, tenant_id: str, limit: int, wait_s: float) -> AsyncIterator[Turn]:
        """Runs the block in one of `limit` turns of the tenant; NoTurn when none is free
        within `wait_s`."""
        slot = self._slots.setdefault(tenant_id, asyncio.Semaphore(limit))
        self._users[tenant_id] += 1
        try:
            async with asyncio.timeout(wait_s):
                await slot.acquire()
        except TimeoutError:
            self._leave(tenant_id)
            raise NoTurn(tenant_id) from None
        except BaseException:
            self._leave(tenant_id)
            raise
        turn = Turn()
        try:
            yield turn
        finally:
            if turn.kept_s > 0:
                asyncio.get_running_loop().call_later(turn.kept_s, self._end, tenant_id, slot)
            else:
                self._end(tenant_id, slot)

    def running(self, tenant_id: str) -> int:
        """How many of the tenant's queries run, wait or keep their turn now."""
        return self._users[tenant_id]

    def _end(self, tenant_id: str, slot: asyncio.Semaphore) -> None:
        slot.release()
        self._leave(tenant_id)

    def _leave(self, tenant_id: str) -> None:
        self._users[tenant_id] -= 1
        if not self._users[tenant_id]:  # idle: forget it (a tenant's next turn starts afresh)
            del self._users[tenant_id]
            del self._slots[tenant_id]


class Stopped(Exception):
    """The work was cancelled: its deadline passed (`client_gone` False) or the client left."""

    def __init__(self, client_gone: bool) -> None:
        super().__init__("the client went away" if client_gone else "the deadline passed")
        self.client_gone = client_gone


async def within_deadline(
    work: Awaitable[T], deadline_s: float, client_gone: Callable[[], Awaitable[None]]
) -> T:
    """`work`'s answer; or, when `deadline_s` passes or `client_gone` returns first, `work`
    cancelled (with every call it was making) and Stopped."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(client_gone())
    try:
        done, _ = await asyncio.wait(
            {task, watch}, timeout=deadline_s, return_when=asyncio.FIRST_COMPLETED
        )
    except asyncio.CancelledError:  # our own caller was cancelled: so is the work
        task.cancel()
        raise
    finally:
        watch.cancel()
    if task in done:
        return task.result()
    task.cancel()
    # Let the cancellation reach every resolver and service call before answering.
    await asyncio.wait({task}, timeout=1.0)
    raise Stopped(client_gone=watch in done and not watch.cancelled())
