"""A relay's watch over the broker's log: it keeps what the broker acknowledged and tells the
relay which partitions lost it, so the relay can publish those events again.

While the relay runs, the acks themselves are the evidence (`log_marks`). After a restart the
relay has no acks yet: it finds its newest sent event of each partition in the log's tail
instead (each topic has one producing service, so that tail is short); an event that is no
longer there means the broker lost the log while the relay was away.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiokafka import TopicPartition
from aiokafka.partitioner import murmur2

from messaging.broker_log import BrokerLog
from messaging.log_marks import (
    AcknowledgedMarks,
    Loss,
    Mark,
    Sent,
    checkable,
    find_in_tail,
    judge,
)
from messaging.publisher import Ack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentRow:
    event_id: str
    topic: str
    key: str
    created_at: datetime


def partition_of(key: str, partitions: int) -> int:
    """The partition the producer's default partitioner picks for `key` (murmur2, as Java)."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class LogGuard:
    def __init__(
        self,
        broker_log: BrokerLog,
        partitions_of: Callable[[str], Awaitable[int | None]],
        *,
        check_every_s: float = 5.0,
        clock_skew: timedelta = timedelta(minutes=1),
        tail_window: int = 1000,
        max_tail: int = 64_000,
    ) -> None:
        self._log = broker_log
        self._partitions_of = partitions_of
        self._check_every_s = check_every_s
        self._skew_ms = int(clock_skew.total_seconds() * 1000)
        self._tail_window = tail_window
        self._max_tail = max_tail
        self.marks = AcknowledgedMarks()
        self._adopted = False
        self._due = True
        self._checked_at = 0.0

    def needs_check(self) -> bool:
        return self._due or time.monotonic() - self._checked_at >= self._check_every_s

    def broker_unreachable(self) -> None:
        """The broker may come back as a new one: check before publishing again."""
        self._due = True

    def acknowledged(self, acks: Iterable[Ack]) -> list[Loss]:
        return self.marks.acknowledged(acks)

    def forget(self, losses: Iterable[Loss]) -> None:
        self.marks.forget(loss.partition for loss in losses)

    async def check(self, newest_sent: Callable[[], Awaitable[list[SentRow]]]) -> list[Loss]:
        """The partitions whose acknowledged events the log lost. Raises KafkaError/OSError/
        TimeoutError when the broker cannot answer (check again later)."""
        losses = [] if self._adopted else await self._adopt(await newest_sent())
        self._adopted = True
        marks = dict(self.marks.marks)
        bounds = await self._log.bounds(marks)
        at_marks = await self._log.records_at(checkable(marks, bounds))
        losses += judge(marks, bounds, at_marks)
        self._due = False
        self._checked_at = time.monotonic()
        return losses

    async def _adopt(self, rows: list[SentRow]) -> list[Loss]:
        """Marks from the log's tail for the newest sent row of each partition (rows newest
        first); losses where it is missing."""
        newest: dict[TopicPartition, SentRow] = {}
        counts: dict[str, int | None] = {}
        for row in rows:
            if row.topic not in counts:
                counts[row.topic] = await self._partitions_of(row.topic)
            count = counts[row.topic]
            if count is None:
                raise TimeoutError(f"the broker does not say how {row.topic} is partitioned")
            newest.setdefault(TopicPartition(row.topic, partition_of(row.key, count)), row)
        bounds = await self._log.bounds(newest)
        losses = []
        for tp, row in newest.items():
            sent = Sent(row.event_id, int(row.created_at.timestamp() * 1000))
            window = self._tail_window
            while True:
                first = max(bounds[tp].start, bounds[tp].end - window)
                tail = (await self._log.read({tp: (first, bounds[tp].end)}))[tp]
                found = find_in_tail(tp, sent, tail, bounds[tp], skew_ms=self._skew_ms)
                if isinstance(found, Mark):
                    self.marks.adopt(tp, found)
                    break
                if isinstance(found, Loss):
                    losses.append(found)
                    break
                if first <= bounds[tp].start or window >= self._max_tail:
                    log.warning(
                        "outbox relay: %s not found in the last %d records of %s; "
                        "cannot tell whether the log lost it",
                        row.event_id,
                        window,
                        tp,
                    )
                    break
                window *= 4
        return losses
