"""A relay's watch over the log, on a fake log: what the broker cannot be made to show on
demand (a partition that vanished, an event found in another partition than its key maps to
now)."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from aiokafka import TopicPartition
from messaging.broker_log import Bounds, BrokerLog, StoredRecord
from messaging.publisher import Ack
from messaging.relay_guard import LogGuard, SentRow, partition_of

TOPIC = "cairn.profiles.people"


class FakeLog(BrokerLog):
    def __init__(self, partitions: int, logs: dict[int, list[StoredRecord]]) -> None:
        super().__init__("unused:0")
        self.partitions = partitions
        self.logs = logs

    async def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        return {topic: self.partitions for topic in topics}

    async def bounds(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, Bounds]:
        return {tp: Bounds(0, len(self.logs.get(tp.partition, []))) for tp in partitions}

    async def records_at(
        self, offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, StoredRecord | None]:
        return {tp: self.logs[tp.partition][offset] for tp, offset in offsets.items()}

    async def read(
        self,
        ranges: Mapping[TopicPartition, tuple[int, int]],
        *,
        limit: int | None = None,
        until_first_batch: bool = False,
    ) -> dict[TopicPartition, list[StoredRecord]]:
        return {tp: self.logs.get(tp.partition, [])[a:b] for tp, (a, b) in ranges.items()}


def record(offset: int, event_id: str) -> StoredRecord:
    return StoredRecord(offset, 2_000_000_000_000, event_id, "person.updated", f"fp-{event_id}")


async def _none() -> list[SentRow]:
    return []


async def test_an_ack_in_a_partition_the_topic_does_not_have_is_a_loss() -> None:
    """Tansu acknowledges writes to a partition beyond its topic's count (a producer that still
    knows the topic from before a restart): no consumer reads them."""
    log = FakeLog(partitions=4, logs={3: [record(0, "e1")]})
    guard = LogGuard(log)
    guard.acknowledged([Ack("e1", TOPIC, 3, 0)])
    assert await guard.check(_none) == []  # while the topic has it: fine
    log.partitions = 3
    losses = await guard.check(_none)
    assert [(loss.partition, loss.reason) for loss in losses] == [
        (TopicPartition(TOPIC, 3), "the topic has no such partition")
    ]


async def test_after_a_restart_an_event_found_in_another_partition_is_no_loss() -> None:
    key = next(f"key-{i}" for i in range(100) if partition_of(f"key-{i}", 3) == 0)
    row = SentRow("e9", TOPIC, key, datetime.fromtimestamp(1_999_999_999, UTC))

    async def newest() -> list[SentRow]:
        return [row]

    # Sent when the topic had another partition count: it sits in partition 2.
    moved = LogGuard(FakeLog(partitions=3, logs={2: [record(0, "x"), record(1, "e9")]}))
    assert await moved.check(newest) == []
    assert moved.marks.marks == {
        TopicPartition(TOPIC, 2): moved.marks.marks[TopicPartition(TOPIC, 2)]
    }
    # In no partition any more: the broker lost it while the relay was away.
    lost = LogGuard(FakeLog(partitions=3, logs={2: [record(0, "x")]}))
    losses = await lost.check(newest)
    assert [loss.partition for loss in losses] == [TopicPartition(TOPIC, 0)]
    assert "no longer in the log" in losses[0].reason
    # Its topic not there at all: the broker lost the log with the topic.
    no_topic = LogGuard(FakeLog(partitions=0, logs={}))
    losses = await no_topic.check(newest)
    assert [loss.reason for loss in losses] == [f"the broker has no topic {TOPIC} any more"]
