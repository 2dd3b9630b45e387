"""Copies of one HRIS delivery are taken one at a time in a process; other deliveries are not
held up; nothing is kept once nobody waits."""

import asyncio

import pytest
from gateway.service_layer.hris_deliveries import DeliveryTurns

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_copies_of_a_delivery_take_turns_and_others_do_not_wait() -> None:
    turns = DeliveryTurns()
    inside: dict[str, int] = {"same": 0, "other": 0}
    most: dict[str, int] = {"same": 0, "other": 0}

    async def take(key: str, delivery_id: str) -> None:
        async with turns.turn("hc_1", delivery_id):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            await asyncio.sleep(0.01)
            inside[key] -= 1

    await asyncio.gather(
        *(take("same", "msg_1") for _ in range(5)),
        *(take("other", f"msg_{n}") for n in range(2, 7)),
    )
    assert most == {"same": 1, "other": 5}
    assert len(turns) == 0


async def test_a_turn_that_fails_is_given_back() -> None:
    turns = DeliveryTurns()
    with pytest.raises(RuntimeError):
        async with turns.turn("hc_1", "msg_1"):
            raise RuntimeError("the fetch failed")
    async with asyncio.timeout(1), turns.turn("hc_1", "msg_1"):
        pass
    assert len(turns) == 0
