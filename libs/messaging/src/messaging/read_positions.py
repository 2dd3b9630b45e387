"""Where a consumer may safely go on reading a partition, decided from facts about the log.
Pure: `position_guard` gathers the facts and acts.

The danger is a position that belongs to another log: the embedded broker forgets its log on a
restart, while a consumer keeps (and may even commit) the offset it reached in the old one; a
production Kafka truncates a partition after an unclean leader election, or starts again from
zero after a cluster rebuild. Reading on from such an offset skips every event below it, and
the broker may not say so (Tansu answers a fetch beyond its end with nothing, not with
OFFSET_OUT_OF_RANGE). So a consumer remembers the last record it read in each partition (its
anchor) and goes back to the log's start, never to its end, when the log no longer holds that
record: beyond the end, or another record at that offset. Inboxes make the re-read harmless.

On a production Kafka the same checks cover an unclean leader election (the partition loses
its tail: the remembered record is gone or replaced, or the broker answers
OFFSET_OUT_OF_RANGE) and a cluster rebuild (every partition from zero, committed offsets gone
or beyond the end). What they cannot see: records other producers wrote into a truncated range
after the election, below a position this consumer had already passed, unless their producer
republishes them (Cairn's relays do: each topic has one producing service; aiokafka has no
leader-epoch truncation detection, KIP-320, to do better). A consumer that comes back with no
memory of its last record checks the committed offset against the log's end and its inbox.
"""

from dataclasses import dataclass

from messaging.broker_log import Bounds, StoredRecord


@dataclass(frozen=True)
class Anchor:
    """The last record a consumer read in a partition (its position is `offset + 1`)."""

    offset: int
    fingerprint: str | None  # None: known only as a committed offset, the record not yet seen


@dataclass(frozen=True)
class Resume:
    offset: int
    anchor: Anchor | None
    reset: str | None = None  # why the consumer goes back to the log's start (said loudly)


def resume_point(
    committed: int | None,
    bounds: Bounds,
    remembered: Anchor | None,
    before: StoredRecord | None,
    applied_before: bool | None,
) -> Resume:
    """Where to read a newly assigned partition from.

    `committed`: the group's committed offset (None: none). `remembered`: this process's
    anchor from before the rebalance. `before`: the record the log holds at `committed - 1`
    (None where it holds none or was not read). `applied_before`: whether this consumer's inbox
    has that record's event (None when that cannot tell: a type it does not handle, or older
    than the inbox remembers).
    """
    start = Resume(bounds.start, None)
    if committed is None:
        if remembered is not None:
            return Resume(
                bounds.start,
                None,
                "the broker no longer has this group's committed offset "
                f"(this consumer had read up to {remembered.offset}): a new log",
            )
        return start  # a group's first start: from the beginning, like auto_offset_reset
    if committed > bounds.end:
        return Resume(
            bounds.start,
            None,
            f"committed offset {committed} is beyond the log's end {bounds.end}",
        )
    if committed <= bounds.start:
        return start  # nothing below to check (or gone with the broker's own retention)
    if remembered is not None and remembered.offset == committed - 1 and remembered.fingerprint:
        if before is None or before.fingerprint != remembered.fingerprint:
            return Resume(
                bounds.start,
                None,
                f"another record stands at offset {committed - 1}, where this consumer last read",
            )
    elif applied_before is False:
        return Resume(
            bounds.start,
            None,
            f"the event at offset {committed - 1}, just below the committed offset, was "
            "never applied here",
        )
    return Resume(
        committed, Anchor(committed - 1, before.fingerprint if before is not None else None)
    )


def lost_anchor(anchor: Anchor, bounds: Bounds, record: StoredRecord | None) -> str | None:
    """Why the log no longer holds what this consumer last read, or None while it does.

    `record`: what the log holds at `anchor.offset` (read only where the log still spans it).
    An anchor below the log's start went to the broker's retention: nothing lost.
    """
    if anchor.offset >= bounds.end:
        return f"the log ends at {bounds.end}, before offset {anchor.offset} this consumer read"
    if anchor.offset < bounds.start or anchor.fingerprint is None:
        return None
    if record is None or record.fingerprint != anchor.fingerprint:
        return f"another record stands at offset {anchor.offset}, where this consumer last read"
    return None
