"""A relay's watch over the broker's log: it keeps what the broker acknowledged and tells the
relay which partitions lost it, so the relay can publish those events again.

While the relay runs, the acks themselves are the evidence (`log_marks`). After a restart the
relay has no acks yet: it finds its newest sent event of each partition in the logs' tails
instead (each topic has one producing service, so those tails are short); an event that is
no longer there means the broker lost the log while the relay was away.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiokafka import TopicPartition
from aiokafka.partitioner import murmur2

from messaging.broker_log import BrokerLog
from messaging.log_marks import AcknowledgedMarks, Loss, Sent, checkable, judge, locate
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
        *,
        check_every_s: float = 5.0,
        clock_skew: timedelta = timedelta(minutes=1),
        tail_window: int = 1000,
        max_tail: int = 64_000,
    ) -> None:
        self._log = broker_log
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
        marks = dict(self.marks.marks)
        counts = await self._log.partition_counts({tp.topic for tp in marks})
        for tp in [tp for tp in marks if tp.partition >= counts[tp.topic]]:
            # Acknowledged in a partition the topic does not have (Tansu takes writes there
            # from a producer that still knows the topic from before a restart): nobody
            # reads it, so it is as good as lost.
            losses.append(Loss(tp, marks.pop(tp).offset, None, "the topic has no such partition"))
        bounds = await self._log.bounds(marks)
        at_marks = await self._log.records_at(checkable(marks, bounds))
        losses += judge(marks, bounds, at_marks)
        self._adopted = True  # only now: a failed check looks again, losses included
        self._due = False
        self._checked_at = time.monotonic()
        return losses

    async def _adopt(self, rows: list[SentRow]) -> list[Loss]:
        """Marks from the logs' tails for the newest sent row of each partition (rows newest
        first); a loss where such a row is in none of its topic's partitions any more."""
        counts = await self._log.partition_counts({row.topic for row in rows})
        expected: dict[str, dict[int, SentRow]] = {}
        gone: set[str] = set()
        for row in rows:
            if counts[row.topic] == 0:
                gone.add(row.topic)  # the topic itself is gone: so is its log
                continue
            expected.setdefault(row.topic, {}).setdefault(
                partition_of(row.key, counts[row.topic]), row
            )
        losses = [
            Loss(TopicPartition(topic, 0), None, 0, f"the broker has no topic {topic} any more")
            for topic in sorted(gone)
        ]
        for topic, newest in expected.items():
            tps = [TopicPartition(topic, p) for p in range(counts[topic])]
            losses += await self._find_newest(tps, newest)
        return losses

    async def _find_newest(
        self, tps: list[TopicPartition], newest: dict[int, SentRow]
    ) -> list[Loss]:
        bounds = await self._log.bounds(tps)
        pending, losses, window = dict(newest), [], self._tail_window
        while pending:
            tails = await self._log.read(
                {tp: (max(b.start, b.end - window), b.end) for tp, b in bounds.items()}
            )
            for partition, row in list(pending.items()):
                sent = Sent(row.event_id, int(row.created_at.timestamp() * 1000))
                found = locate(sent, tails, bounds, skew_ms=self._skew_ms)
                if found is None:
                    continue
                del pending[partition]
                if found == "missing":
                    tp = TopicPartition(row.topic, partition)
                    end = bounds[tp].end if tp in bounds else None
                    losses.append(
                        Loss(
                            tp,
                            None,
                            end,
                            f"event {row.event_id}, sent before this relay started, is no "
                            "longer in the log",
                        )
                    )
                else:
                    self.marks.adopt(*found)
            if pending and window >= self._max_tail:
                log.warning(
                    "outbox relay: %s not found in the last %d records of their partitions; "
                    "cannot tell whether the log lost them",
                    ", ".join(row.event_id for row in pending.values()),
                    window,
                )
                break
            window *= 4
        return losses
