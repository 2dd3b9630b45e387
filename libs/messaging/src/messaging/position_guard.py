"""A consumer's watch over its read positions (`read_positions` decides, this acts): when
partitions are assigned, every few seconds while reading, and when the broker says an offset is
out of range. A position that no longer belongs to the log goes back to the log's start, loudly
(an error line and the `cairn.messaging.consumer.offset_resets` counter), never to its end.

It also fences commits: a batch fetched before a rebalance or a reset must not commit its
offset, which belongs to the log it came from (Tansu accepts any offset, even from a member it
no longer knows, right after a restart).
"""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from opentelemetry import metrics

from messaging.broker_log import Bounds, BrokerLog, StoredRecord, fingerprint
from messaging.read_positions import Anchor, Resume, lost_anchor, resume_point

log = logging.getLogger(__name__)
OFFSET_RESETS = metrics.get_meter("cairn.messaging").create_counter(
    "cairn.messaging.consumer.offset_resets",
    description="partitions a consumer re-read from the log's start: its position had been lost",
)

Applied = Callable[[list[str]], Awaitable[set[str]]]
_BROKER_ERRORS = (KafkaError, OSError, TimeoutError)


class PositionGuard:
    def __init__(
        self,
        group: str,
        broker_log: BrokerLog,
        applied: Applied,
        handled_types: Collection[str],
        *,
        inbox_retention: timedelta,
        check_every_s: float = 5.0,
    ) -> None:
        self._group = group
        self._log = broker_log
        self._applied = applied
        self._handled_types = set(handled_types)
        self._inbox_retention = inbox_retention
        self._check_every_s = check_every_s
        self.anchors: dict[TopicPartition, Anchor] = {}
        self._before_rebalance: dict[TopicPartition, Anchor] = {}
        self._generations: defaultdict[TopicPartition, int] = defaultdict(int)
        self._checked_at = time.monotonic()
        self.resets = 0

    def listener(self, consumer: Any) -> ConsumerRebalanceListener:
        return _Listener(self, consumer)

    def generation(self, tp: TopicPartition) -> int:
        """Changes whenever the partition's position is reassigned or reset."""
        return self._generations[tp]

    def read(self, tp: TopicPartition, record: Any, generation: int) -> bool:
        """Notes the last record of a handled batch; False when the position changed meanwhile
        (the batch's offset must not be committed)."""
        if self._generations[tp] != generation:
            return False
        self.anchors[tp] = Anchor(
            record.offset, fingerprint(record.timestamp, record.key, record.value)
        )
        return True

    def revoked(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self._generations[tp] += 1
            anchor = self.anchors.pop(tp, None)
            if anchor is not None:
                self._before_rebalance[tp] = anchor

    async def assigned(self, consumer: Any, partitions: Iterable[TopicPartition]) -> None:
        tps = sorted(partitions)
        for tp in tps:
            self._generations[tp] += 1
        # The client fetches from the committed offsets on its own while this runs: nothing
        # may be handed out before the positions are checked.
        consumer.pause(*tps)
        try:
            await self._check_assigned(consumer, tps)
        finally:
            consumer.resume(*(tp for tp in tps if tp in consumer.assignment()))

    async def _check_assigned(self, consumer: Any, tps: list[TopicPartition]) -> None:
        for attempt in range(3):
            try:
                resumes = await self._resume_points(consumer, tps)
                break
            except Exception as exc:  # the broker or the inbox's database, for a moment
                if attempt == 2:
                    # The committed offsets stand unchecked; the periodic check still watches.
                    log.error(
                        "%s consumer: could not check its committed offsets (%r); reading on "
                        "from them unchecked",
                        self._group,
                        exc,
                    )
                    return
                await asyncio.sleep(0.5)
        for tp, resume in resumes.items():
            self._before_rebalance.pop(tp, None)
            consumer.seek(tp, resume.offset)
            if resume.anchor is None:
                self.anchors.pop(tp, None)
            else:
                self.anchors[tp] = resume.anchor
            if resume.reset is not None:
                self._count_reset(tp, resume.offset, resume.reset)

    async def _resume_points(
        self, consumer: Any, tps: list[TopicPartition]
    ) -> dict[TopicPartition, Resume]:
        committed: dict[TopicPartition, int | None] = {}
        for tp in tps:
            committed[tp] = await consumer.committed(tp)
        bounds = await self._log.bounds(tps)
        below = {
            tp: offset - 1
            for tp, offset in committed.items()
            if offset is not None and bounds[tp].start < offset <= bounds[tp].end
        }
        before = await self._log.records_at(below)
        applied = await self._applied_before(before)
        return {
            tp: resume_point(
                committed[tp],
                bounds[tp],
                self._before_rebalance.get(tp) or self.anchors.get(tp),
                before.get(tp),
                applied.get(tp),
            )
            for tp in tps
        }

    async def _applied_before(
        self, before: Mapping[TopicPartition, StoredRecord | None]
    ) -> dict[TopicPartition, bool]:
        """Per partition, whether the inbox has the event below the committed offset; only
        where the answer means something (a type handled here, young enough to be there)."""
        oldest = (datetime.now(UTC) - self._inbox_retention).timestamp() * 1000
        checkable = {
            tp: record.event_id
            for tp, record in before.items()
            if record is not None
            and record.event_id is not None
            and record.event_type in self._handled_types
            and record.timestamp >= oldest
        }
        if not checkable:
            return {}
        found = await self._applied(list(checkable.values()))
        return {tp: event_id in found for tp, event_id in checkable.items()}

    def check_due(self) -> bool:
        return time.monotonic() - self._checked_at >= self._check_every_s

    async def check(self, consumer: Any) -> None:
        """Goes back to the log's start wherever the log lost what this consumer last read."""
        self._checked_at = time.monotonic()
        anchors = {tp: a for tp, a in self.anchors.items() if tp in consumer.assignment()}
        if not anchors:
            return
        generations = {tp: self._generations[tp] for tp in anchors}
        try:
            bounds = await self._log.bounds(anchors)
            records = await self._log.records_at(
                {
                    tp: a.offset
                    for tp, a in anchors.items()
                    if bounds[tp].start <= a.offset < bounds[tp].end
                }
            )
        except _BROKER_ERRORS as exc:
            log.info("%s consumer: positions not checked this time: %r", self._group, exc)
            return
        for tp, anchor in anchors.items():
            if self._generations[tp] != generations[tp]:
                continue  # reassigned meanwhile: the assignment checked it
            reason = lost_anchor(anchor, bounds[tp], records.get(tp))
            if reason is not None:
                self._reset(consumer, tp, bounds[tp], reason)
            elif anchor.fingerprint is None and records.get(tp) is not None:
                found = records[tp]
                assert found is not None
                self.anchors[tp] = Anchor(anchor.offset, found.fingerprint)

    async def out_of_range(self, consumer: Any, partitions: Iterable[TopicPartition]) -> None:
        """The broker itself says a position is outside its log (Kafka after truncation)."""
        tps = [tp for tp in partitions if tp in consumer.assignment()]
        if not tps:
            return
        for tp in tps:
            self._generations[tp] += 1
            self.anchors.pop(tp, None)
            self._count_reset(tp, None, "the broker answered OFFSET_OUT_OF_RANGE")
        await consumer.seek_to_beginning(*tps)

    def _reset(self, consumer: Any, tp: TopicPartition, bounds: Bounds, reason: str) -> None:
        try:
            consumer.seek(tp, bounds.start)
        except IllegalStateError:
            return  # no longer ours: its next owner checks it on assignment
        self._generations[tp] += 1
        self.anchors.pop(tp, None)
        self._count_reset(tp, bounds.start, reason)

    def _count_reset(self, tp: TopicPartition, start: int | None, reason: str) -> None:
        self.resets += 1
        OFFSET_RESETS.add(1, {"group": self._group, "topic": tp.topic})
        log.error(
            "%s consumer: READING %s[%d] AGAIN FROM THE LOG'S START (offset %s): %s. "
            "Nothing is skipped; the inbox drops what was already applied.",
            self._group,
            tp.topic,
            tp.partition,
            "its first" if start is None else start,
            reason,
        )


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, guard: PositionGuard, consumer: Any) -> None:
        self._guard = guard
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._guard.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._guard.assigned(self._consumer, assigned)
