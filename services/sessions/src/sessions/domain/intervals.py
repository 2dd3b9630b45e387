"""Time intervals. Pure: no I/O.

`Interval` is the typed value the rest of the service passes around (two aware instants,
end after start). The slot finder works on `Span`s instead: (start, end) pairs of whole
seconds since the epoch, half-open, because sorting, merging, intersecting and subtracting
plain integers is what keeps planning a cohort fast. Every span list here is sorted and
disjoint (`merge` makes one from anything).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from runtime.refusals import invalid

Span = tuple[int, int]  # [start, end) in whole seconds since 1970-01-01T00:00Z


def aware(value: datetime, field: str) -> datetime:
    """`value` itself, refused when it carries no time zone (a naive time is a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(field, f"{value.isoformat()} has no time zone; give an offset or a zone")
    return value


def seconds(value: datetime, field: str = "time") -> int:
    """Whole seconds since the epoch (sub-second parts are dropped: no calendar keeps them)."""
    return int(aware(value, field).timestamp() // 1)


def instant(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


@dataclass(frozen=True)
class Interval:
    """[start, end): two aware instants, end after start."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        aware(self.start, "start")
        aware(self.end, "end")
        if self.end <= self.start:
            raise invalid(
                "end",
                f"ends at {self.end.isoformat()}, not after its start {self.start.isoformat()}",
            )

    @classmethod
    def of(cls, start: datetime, length: timedelta) -> Interval:
        return cls(start, start + length)

    @classmethod
    def from_span(cls, span: Span) -> Interval:
        return cls(instant(span[0]), instant(span[1]))

    def span(self) -> Span:
        return (seconds(self.start, "start"), seconds(self.end, "end"))

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping and touching spans joined; empty spans dropped."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The instants in both lists."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The instants of `a` that are not in `b`."""
    out: list[Span] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(spans: Sequence[Span], low: int, high: int) -> list[Span]:
    """The parts of `spans` inside [low, high)."""
    out: list[Span] = []
    for start, end in spans[_first_ending_after(spans, low) :]:
        if start >= high:
            break
        out.append((max(start, low), min(end, high)))
    return out


def _first_ending_after(spans: Sequence[Span], moment: int) -> int:
    # Spans are sorted and disjoint, so their ends are sorted too.
    lo, hi = 0, len(spans)
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][1] <= moment:
            lo = mid + 1
        else:
            hi = mid
    return lo
