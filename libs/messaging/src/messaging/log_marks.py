"""What a relay saw the broker acknowledge, per topic-partition, and how to tell from the log
whether those records are still there. Pure: the relay gathers the facts, this judges them.

A partition's log is lost when it no longer reaches the newest offset acknowledged to us, when
another record stands at that offset (a new log that grew back past it), or when an ack comes
back at or below it (offsets only ever grow in one log). The embedded broker forgets everything
on a restart; a production Kafka truncates a partition after an unclean leader election and
starts from zero after a cluster rebuild: the same three signs cover all of them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from aiokafka import TopicPartition

from messaging.broker_log import Bounds, StoredRecord
from messaging.publisher import Ack


@dataclass(frozen=True)
class Mark:
    """The newest record of ours the broker acknowledged in a partition."""

    offset: int
    event_id: str


@dataclass(frozen=True)
class Loss:
    partition: TopicPartition
    acknowledged: int | None  # the offset we had seen acknowledged; None if found missing
    log_end: int | None  # where the log ends now, when known
    reason: str


class AcknowledgedMarks:
    def __init__(self) -> None:
        self.marks: dict[TopicPartition, Mark] = {}

    def acknowledged(self, acks: Iterable[Ack]) -> list[Loss]:
        """Takes the acks of one publish; an ack at or below a partition's mark means the
        broker is writing a new log there. The marks then follow the new log."""
        losses: dict[TopicPartition, Loss] = {}
        newest: dict[TopicPartition, Ack] = {}
        for ack in acks:
            tp = TopicPartition(ack.topic, ack.partition)
            mark = self.marks.get(tp)
            if mark is not None and ack.offset <= mark.offset and tp not in losses:
                losses[tp] = Loss(
                    tp,
                    mark.offset,
                    None,
                    f"the broker acknowledged offset {ack.offset} after {mark.offset}",
                )
            if tp not in newest or ack.offset > newest[tp].offset:
                newest[tp] = ack
        for tp, ack in newest.items():
            self.marks[tp] = Mark(ack.offset, ack.event_id)
        return list(losses.values())

    def adopt(self, tp: TopicPartition, mark: Mark) -> None:
        self.marks.setdefault(tp, mark)

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self.marks.pop(tp, None)


def judge(
    marks: Mapping[TopicPartition, Mark],
    bounds: Mapping[TopicPartition, Bounds],
    at_marks: Mapping[TopicPartition, StoredRecord | None],
) -> list[Loss]:
    """The partitions whose acknowledged records the log no longer holds.

    `at_marks` holds what the log has at each mark's offset (read only where the log still
    spans it). A mark below the log's start was removed by the broker's own retention: that is
    no loss, and nothing can be checked there.
    """
    losses = []
    for tp, mark in marks.items():
        bound = bounds.get(tp)
        if bound is None:
            continue
        if bound.end <= mark.offset:
            losses.append(
                Loss(
                    tp,
                    mark.offset,
                    bound.end,
                    f"the log ends at {bound.end}, below acknowledged offset {mark.offset}",
                )
            )
            continue
        if mark.offset < bound.start:
            continue
        record = at_marks.get(tp)
        if record is None or record.event_id != mark.event_id:
            losses.append(
                Loss(
                    tp,
                    mark.offset,
                    bound.end,
                    f"another record stands at acknowledged offset {mark.offset}",
                )
            )
    return losses


def checkable(
    marks: Mapping[TopicPartition, Mark], bounds: Mapping[TopicPartition, Bounds]
) -> dict[TopicPartition, int]:
    """The mark offsets the log still spans: where a record has to be read to be sure."""
    return {
        tp: mark.offset
        for tp, mark in marks.items()
        if tp in bounds and bounds[tp].start <= mark.offset < bounds[tp].end
    }


@dataclass(frozen=True)
class Sent:
    """A retained outbox row as the relay last sent it (for finding it again after a restart)."""

    event_id: str
    timestamp_ms: int  # when it was created: it cannot stand in the log before that


def locate(
    sent: Sent,
    tails: Mapping[TopicPartition, list[StoredRecord]],
    bounds: Mapping[TopicPartition, Bounds],
    *,
    skew_ms: int,
) -> tuple[TopicPartition, Mark] | Literal["missing"] | None:
    """Looks for a sent event among the last records of every partition of its topic (every
    one: a topic made again may count its partitions differently).

    Found → where. Missing although each tail reaches its log's start or goes back to before
    the event was created (`skew_ms` allows for clocks) → "missing": the log lost it.
    Otherwise nothing can be said yet: read further back.
    """
    for tp, tail in tails.items():
        for record in reversed(tail):
            if record.event_id == sent.event_id:
                return tp, Mark(record.offset, sent.event_id)
    if all(_reaches_back(tail, bounds[tp], sent, skew_ms) for tp, tail in tails.items()):
        return "missing"
    return None


def _reaches_back(tail: list[StoredRecord], bounds: Bounds, sent: Sent, skew_ms: int) -> bool:
    return (
        not tail
        or tail[0].offset <= bounds.start
        or tail[0].timestamp < sent.timestamp_ms - skew_ms
    )
