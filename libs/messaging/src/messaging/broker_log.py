"""Reads what the broker's log holds now, outside any consumer group: its bounds per partition
and the records at given offsets. Relays and consumers ask it whether the log they wrote to or
read from is still the same one."""

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError

from messaging.settings import client_options

log = logging.getLogger(__name__)

_UNBOUNDED = 2**63 - 1


@dataclass(frozen=True)
class Bounds:
    """The offsets a partition holds now: [start, end)."""

    start: int
    end: int


@dataclass(frozen=True)
class StoredRecord:
    """A record as the log holds it: enough to recognise it again."""

    offset: int
    timestamp: int
    event_id: str | None  # the CloudEvent id and type, when the record has them
    event_type: str | None
    fingerprint: str  # changes whenever another record stands at this offset


def fingerprint(timestamp: int, key: bytes | None, value: bytes | None) -> str:
    """Identifies one stored record: a republished event gets a new timestamp, so even the same
    event written again at the same offset of a new log is told apart."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(str(timestamp).encode())
    digest.update(b"\x00" + (key or b""))
    digest.update(b"\x00" + (value or b""))
    return digest.hexdigest()


def stored(record: Any) -> StoredRecord:
    headers = dict(record.headers or ())
    event_id, event_type = headers.get("ce_id"), headers.get("ce_type")
    return StoredRecord(
        offset=record.offset,
        timestamp=record.timestamp,
        event_id=event_id.decode(errors="replace") if event_id is not None else None,
        event_type=event_type.decode(errors="replace") if event_type is not None else None,
        fingerprint=fingerprint(record.timestamp, record.key, record.value),
    )


class BrokerLog:
    """One reader per relay or consumer; started lazily, stopped with `close()`. Every call
    raises KafkaError/OSError/TimeoutError when the broker cannot answer."""

    def __init__(self, bootstrap_servers: str, *, timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout_s = timeout_s
        self._reader: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = AIOKafkaConsumer(
                **client_options(),
                bootstrap_servers=self._bootstrap,
                group_id=None,
                enable_auto_commit=False,
                # A position outside the log is an answer here, never something to fix quietly.
                auto_offset_reset="none",
                client_id=f"cairn-log-check-{uuid.uuid4().hex[:6]}",
                request_timeout_ms=int(self._timeout_s * 1000),
                fetch_max_wait_ms=50,
                metadata_max_age_ms=5000,
            )
            try:
                async with asyncio.timeout(self._timeout_s):
                    await reader.start()
            except BaseException:
                await reader.stop()
                raise
            self._reader = reader
        return self._reader

    async def bounds(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, Bounds]:
        """Where each partition's log starts and ends now.

        The end is read, not only asked for: Tansu 0.6 answers ListOffsets(latest) with its last
        batch's base offset + 1, short of the real end whenever that batch holds several
        records. Reading from there finds the real end on Tansu and Kafka alike.
        """
        wanted = list(partitions)
        if not wanted:
            return {}
        async with self._lock:
            reader = await self._started()
            async with asyncio.timeout(self._timeout_s):
                starts = await reader.beginning_offsets(wanted)
                ends = await reader.end_offsets(wanted)
        reported = {tp: Bounds(int(starts[tp]), int(ends[tp])) for tp in wanted}
        last_batches = await self.read(
            {tp: (b.end - 1, _UNBOUNDED) for tp, b in reported.items() if b.end > b.start},
            until_first_batch=True,
        )
        return {
            tp: Bounds(b.start, max([b.end, *(r.offset + 1 for r in last_batches.get(tp, []))]))
            for tp, b in reported.items()
        }

    async def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        """How many partitions each topic has now, from fresh metadata (0: no such topic).

        Fresh, not cached: Tansu acknowledges writes to a partition its topic does not have,
        which no consumer ever reads; a producer still holding the partition count of a topic
        from before a restart writes there."""
        async with self._lock:
            reader = await self._started()
            async with asyncio.timeout(self._timeout_s):
                # The consumer has no public call for metadata fetched now; its client has.
                cluster = await reader._client.fetch_all_metadata()
        return {topic: len(cluster.partitions_for_topic(topic) or ()) for topic in topics}

    async def records_at(
        self, offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, StoredRecord | None]:
        """The record at each offset; None where another offset stands there instead (a gap)
        or the log no longer reaches back that far. Offsets must lie below the log's end."""
        found = await self.read(
            {tp: (offset, offset + 1) for tp, offset in offsets.items()}, limit=1
        )
        return {
            tp: next((r for r in found.get(tp, []) if r.offset == offset), None)
            for tp, offset in offsets.items()
        }

    async def read(
        self,
        ranges: Mapping[TopicPartition, tuple[int, int]],
        *,
        limit: int | None = None,
        until_first_batch: bool = False,
    ) -> dict[TopicPartition, list[StoredRecord]]:
        """The records of [first, last) per partition (at most `limit` each), in offset order;
        with `until_first_batch`, only what the first fetch answering for it returns. A range
        the log no longer reaches back to reads as empty."""
        todo = {tp: r for tp, r in ranges.items() if r[0] < r[1]}
        records: dict[TopicPartition, list[StoredRecord]] = {tp: [] for tp in ranges}
        if not todo:
            return records
        async with self._lock:
            reader = await self._started()
            reader.assign(list(todo))
            for tp, (first, _) in todo.items():
                reader.seek(tp, first)
            deadline = time.monotonic() + self._timeout_s
            pending = set(todo)
            while pending:
                if time.monotonic() > deadline:
                    if until_first_batch:
                        break  # nothing readable there (a control record): the caller's guess
                    raise TimeoutError(f"could not read {sorted(map(str, pending))} in time")
                try:
                    batches = await reader.getmany(*pending, timeout_ms=200)
                except OffsetOutOfRangeError as exc:
                    # Deleted by retention (or a log that shrank): nothing there to read.
                    gone = set(exc.args[0]) if exc.args and isinstance(exc.args[0], dict) else set()
                    pending -= gone or pending
                    continue
                for tp, batch in batches.items():
                    first, last = todo[tp]
                    for record in batch:
                        if first <= record.offset < last:
                            records[tp].append(stored(record))
                    done_at = batch[-1].offset + 1 if batch else first
                    full = limit is not None and len(records[tp]) >= limit
                    if done_at >= last or full or (batch and until_first_batch):
                        pending.discard(tp)
                        if limit is not None:
                            del records[tp][limit:]
            reader.assign([])
        return records

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            try:
                await reader.stop()
            except (KafkaError, OSError) as exc:
                log.debug("log reader did not stop cleanly: %r", exc)
