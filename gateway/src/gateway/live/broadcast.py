"""In-memory fan-out of program events to the subscribers of one tenant's program.

Each subscriber has a bounded queue; `publish` never waits: a subscriber whose queue is full
is dropped (its next read raises `TooSlow`), so one slow client never holds back the feed or
the other subscribers, and the gateway's memory per subscriber stays bounded."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Final

from gateway.live.events import ProgramEvent

DEFAULT_CAPACITY: Final = 100

ProgramKey = tuple[str, str]  # tenant id, program id


class TooSlow(Exception):
    """The subscriber fell `capacity` events behind and was dropped."""


class Subscriber:
    """One subscription's queue; iterate it for the events, in the order they were published."""

    def __init__(self, capacity: int) -> None:
        self._queue: asyncio.Queue[ProgramEvent] = asyncio.Queue(maxsize=capacity)
        self.dropped = False

    def offer(self, event: ProgramEvent) -> bool:
        """Queue the event; False (and dropped) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # Full: its reader is not waiting (it has events to read) and sees this next.
            self.dropped = True
            return False
        return True

    def __aiter__(self) -> AsyncIterator[ProgramEvent]:
        return self

    async def __anext__(self) -> ProgramEvent:
        if self.dropped:
            raise TooSlow(f"fell {self._queue.maxsize} events behind")
        return await self._queue.get()


class ProgramEventBroadcast:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._subscribers: dict[ProgramKey, set[Subscriber]] = {}

    @contextmanager
    def subscribe(self, tenant_id: str, program_id: str) -> Iterator[Subscriber]:
        """A subscriber to one program of one tenant, for the block's duration."""
        key = (tenant_id, program_id)
        subscriber = Subscriber(self.capacity)
        self._subscribers.setdefault(key, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            self._forget(key, subscriber)

    def publish(self, event: ProgramEvent) -> int:
        """Offer the event to its program's subscribers; how many took it."""
        key = (event.tenant_id, event.program_id)
        taken = 0
        for subscriber in list(self._subscribers.get(key, ())):
            if subscriber.offer(event):
                taken += 1
            else:
                self._forget(key, subscriber)
        return taken

    def subscribers(self) -> int:
        return sum(len(found) for found in self._subscribers.values())

    def _forget(self, key: ProgramKey, subscriber: Subscriber) -> None:
        found = self._subscribers.get(key)
        if found is None:
            return
        found.discard(subscriber)
        if not found:
            del self._subscribers[key]
