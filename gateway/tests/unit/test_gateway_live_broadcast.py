"""The in-memory fan-out of program events: each subscriber gets exactly its tenant's
program's events, in order; a full queue drops that subscriber (its next read fails) while
the others go on; publishing never waits."""

import asyncio
from datetime import UTC, datetime

import pytest
from gateway.live.broadcast import ProgramEventBroadcast, Subscriber, TooSlow
from gateway.live.events import ProgramEvent
from hypothesis import given, settings
from hypothesis import strategies as st

TENANTS = ("t1", "t2")
PROGRAMS = ("p1", "p2")


def event(tenant_id: str, program_id: str, n: int = 0) -> ProgramEvent:
    return ProgramEvent(
        id=f"e{n}",
        type="enrollment.created",
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        tenant_id=tenant_id,
        program_id=program_id,
    )


async def drained(subscriber: Subscriber, count: int) -> list[ProgramEvent]:
    got = []
    for _ in range(count):
        got.append(await asyncio.wait_for(anext(subscriber), 1))
    return got


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(TENANTS), st.sampled_from(PROGRAMS)), max_size=30),
)
def test_each_subscriber_gets_its_tenants_program_events_in_order(
    published: list[tuple[str, str]],
) -> None:
    async def run() -> None:
        broadcast = ProgramEventBroadcast(capacity=50)
        keys = [(t, p) for t in TENANTS for p in PROGRAMS]
        with (
            broadcast.subscribe(*keys[0]) as s0,
            broadcast.subscribe(*keys[1]) as s1,
            broadcast.subscribe(*keys[2]) as s2,
            broadcast.subscribe(*keys[3]) as s3,
            broadcast.subscribe(*keys[0]) as s0_again,
        ):
            events = [event(t, p, n) for n, (t, p) in enumerate(published)]
            for e in events:
                broadcast.publish(e)
            for key, subscriber in zip([*keys, keys[0]], [s0, s1, s2, s3, s0_again], strict=True):
                expected = [e for e in events if (e.tenant_id, e.program_id) == key]
                assert await drained(subscriber, len(expected)) == expected
                assert subscriber._queue.empty()  # nothing of another tenant or program
        assert broadcast.subscribers() == 0

    asyncio.run(run())


@settings(max_examples=40, deadline=None)
@given(capacity=st.integers(1, 10), extra=st.integers(1, 10))
def test_a_slow_subscriber_is_dropped_and_the_others_go_on(capacity: int, extra: int) -> None:
    async def run() -> None:
        broadcast = ProgramEventBroadcast(capacity=capacity)
        with (
            broadcast.subscribe("t1", "p1") as slow,
            broadcast.subscribe("t1", "p1") as keen,
        ):
            for n in range(capacity + extra):
                broadcast.publish(event("t1", "p1", n))  # never waits
                assert await drained(keen, 1) == [event("t1", "p1", n)]
            assert slow.dropped and not keen.dropped
            assert broadcast.subscribers() == 1  # the slow one is no longer fed
            with pytest.raises(TooSlow):
                await anext(slow)
            assert broadcast.publish(event("t1", "p1", 99)) == 1

    asyncio.run(run())


async def test_a_waiting_subscriber_wakes_on_its_event() -> None:
    broadcast = ProgramEventBroadcast(capacity=2)
    with broadcast.subscribe("t1", "p1") as subscriber:
        waiting = asyncio.ensure_future(anext(subscriber))
        await asyncio.sleep(0)
        assert broadcast.publish(event("t2", "p1")) == 0  # another tenant's program p1
        assert not waiting.done()
        broadcast.publish(event("t1", "p1", 7))
        assert await asyncio.wait_for(waiting, 1) == event("t1", "p1", 7)


def test_a_queue_holds_at_least_one_event() -> None:
    with pytest.raises(ValueError, match="capacity"):
        ProgramEventBroadcast(capacity=0)
