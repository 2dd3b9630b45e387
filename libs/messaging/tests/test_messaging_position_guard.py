"""What a consumer does with its positions when the broker says, or the log shows, that they
belong to another log: go back to the start loudly, and never commit a stale offset. A fake
client and log stand in for what Tansu cannot produce (OFFSET_OUT_OF_RANGE)."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiokafka import TopicPartition
from messaging.broker_log import Bounds, BrokerLog, StoredRecord, fingerprint
from messaging.position_guard import PositionGuard

TP = TopicPartition("cairn.profiles.people", 1)


@dataclass
class FakeRecord:
    offset: int
    timestamp: int = 1_000
    key: bytes = b"k"
    value: bytes = b"v"


@dataclass
class FakeClient:
    """The part of AIOKafkaConsumer the guard uses."""

    assigned: set[TopicPartition] = field(default_factory=lambda: {TP})
    seeks: list[tuple[TopicPartition, int]] = field(default_factory=list)
    to_beginning: list[TopicPartition] = field(default_factory=list)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def seek_to_beginning(self, *tps: TopicPartition) -> bool:
        self.to_beginning.extend(tps)
        return True


class FakeLog(BrokerLog):
    def __init__(self, bounds: Bounds, records: dict[int, StoredRecord]) -> None:
        super().__init__("unused:0")
        self._bounds = bounds
        self._records = records

    async def bounds(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, Bounds]:
        return {tp: self._bounds for tp in partitions}

    async def records_at(
        self, offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, StoredRecord | None]:
        return {tp: self._records.get(offset) for tp, offset in offsets.items()}


async def _nothing_applied(_: list[str]) -> set[str]:
    return set()


def guard_on(broker_log: BrokerLog) -> PositionGuard:
    return PositionGuard(
        "matching",
        broker_log,
        _nothing_applied,
        {"person.created"},
        inbox_retention=timedelta(days=7),
        check_every_s=0,
    )


def stored_as(record: FakeRecord) -> StoredRecord:
    return StoredRecord(
        record.offset,
        record.timestamp,
        "e",
        "person.created",
        fingerprint(record.timestamp, record.key, record.value),
    )


async def test_an_offset_out_of_range_goes_back_to_the_start_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard, client = guard_on(FakeLog(Bounds(0, 0), {})), FakeClient()
    generation = guard.generation(TP)
    with caplog.at_level(logging.ERROR):
        await guard.out_of_range(client, [TP, TopicPartition("not-ours", 0)])
    assert client.to_beginning == [TP]
    assert guard.resets == 1
    assert "READING cairn.profiles.people[1] AGAIN FROM THE LOG'S START" in caplog.text
    assert "OFFSET_OUT_OF_RANGE" in caplog.text
    # What was fetched before the reset must not commit its offset.
    assert not guard.read(TP, FakeRecord(41), generation)


async def test_a_batch_fetched_before_a_rebalance_does_not_commit() -> None:
    guard = guard_on(FakeLog(Bounds(0, 50), {}))
    generation = guard.generation(TP)
    assert guard.read(TP, FakeRecord(9), generation)  # the normal case: commit
    generation = guard.generation(TP)
    guard.revoked([TP])
    assert not guard.read(TP, FakeRecord(10), generation)


async def test_another_record_where_the_consumer_last_read_sends_it_back_to_the_start() -> None:
    last = FakeRecord(30)
    replaced = FakeRecord(30, timestamp=2_000)  # the same offset in a log written again
    guard, client = guard_on(FakeLog(Bounds(0, 80), {30: stored_as(replaced)})), FakeClient()
    assert guard.read(TP, last, guard.generation(TP))
    await guard.check(client)
    assert client.seeks == [(TP, 0)]
    assert guard.resets == 1 and TP not in guard.anchors


async def test_the_same_record_where_the_consumer_last_read_changes_nothing() -> None:
    last = FakeRecord(30)
    guard, client = guard_on(FakeLog(Bounds(0, 80), {30: stored_as(last)})), FakeClient()
    assert guard.read(TP, last, guard.generation(TP))
    await guard.check(client)
    assert client.seeks == [] and guard.resets == 0


async def test_a_log_ending_below_the_last_read_record_sends_it_back_to_the_start() -> None:
    guard, client = guard_on(FakeLog(Bounds(0, 12), {})), FakeClient()
    assert guard.read(TP, FakeRecord(30), guard.generation(TP))
    await guard.check(client)
    assert client.seeks == [(TP, 0)] and guard.resets == 1
