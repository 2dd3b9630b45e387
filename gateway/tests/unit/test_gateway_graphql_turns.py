"""Turns and deadlines: a tenant runs at most so many queries at once (the next waits briefly,
then is refused; other tenants are not held up), and work past its deadline, or whose client
left, is cancelled."""

import asyncio

import pytest
from gateway.graphql.turns import NoTurn, Stopped, TenantTurns, within_deadline


async def never() -> None:
    await asyncio.Event().wait()


async def test_a_tenant_runs_at_most_its_limit_and_others_are_not_held_up() -> None:
    turns = TenantTurns()
    release = asyncio.Event()
    started: list[str] = []

    async def query(tenant: str) -> None:
        async with turns.turn(tenant, limit=2, wait_s=0.05):
            started.append(tenant)
            await release.wait()

    running = [asyncio.create_task(query("a")) for _ in range(2)]
    await asyncio.sleep(0.01)
    with pytest.raises(NoTurn):
        await query("a")  # the third of tenant a: no turn within 50 ms
    other = asyncio.create_task(query("b"))
    await asyncio.sleep(0.01)
    assert started == ["a", "a", "b"]
    assert (turns.running("a"), turns.running("b")) == (2, 1)
    release.set()
    await asyncio.gather(*running, other)
    assert (turns.running("a"), turns.running("b")) == (0, 0)


async def test_a_waiting_query_gets_the_first_turn_that_ends() -> None:
    turns = TenantTurns()
    order: list[str] = []

    async def query(name: str, hold_s: float) -> None:
        async with turns.turn("t", limit=1, wait_s=1.0):
            order.append(name)
            await asyncio.sleep(hold_s)

    await asyncio.gather(query("first", 0.05), query("second", 0))
    assert order == ["first", "second"]


async def test_a_refused_or_failed_query_gives_its_turn_back() -> None:
    turns = TenantTurns()
    with pytest.raises(RuntimeError):
        async with turns.turn("t", limit=1, wait_s=0):
            raise RuntimeError("resolver failed")
    async with turns.turn("t", limit=1, wait_s=0):
        assert turns.running("t") == 1
    assert turns.running("t") == 0


async def test_work_within_its_deadline_is_answered() -> None:
    async def work() -> int:
        await asyncio.sleep(0.01)
        return 42

    assert await within_deadline(work(), 1.0, never) == 42


async def test_a_failure_of_the_work_is_its_own() -> None:
    async def work() -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await within_deadline(work(), 1.0, never)


async def test_work_past_its_deadline_is_cancelled() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    started = asyncio.get_running_loop().time()
    with pytest.raises(Stopped) as stopped:
        await within_deadline(slow(), 0.05, never)
    assert not stopped.value.client_gone
    assert cancelled.is_set()
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_work_whose_client_left_is_cancelled() -> None:
    cancelled = asyncio.Event()
    gone = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def client_gone() -> None:
        await gone.wait()

    asyncio.get_running_loop().call_later(0.05, gone.set)
    with pytest.raises(Stopped) as stopped:
        await within_deadline(slow(), 30, client_gone)
    assert stopped.value.client_gone
    assert cancelled.is_set()


async def test_a_kept_turn_is_given_back_after_the_time_it_was_kept() -> None:
    turns = TenantTurns()
    async with turns.turn("t", limit=1, wait_s=0) as turn:
        turn.keep(0.1)
    assert turns.running("t") == 1  # the query ended; its turn is still kept
    with pytest.raises(NoTurn):
        async with turns.turn("t", limit=1, wait_s=0.02):
            pass
    async with turns.turn("t", limit=1, wait_s=1.0):  # given back within the wait
        assert turns.running("t") == 1
    assert turns.running("t") == 0
