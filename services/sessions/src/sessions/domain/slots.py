"""The slot finder: the best time for one session, or the reason there is none. Pure: no I/O.

A slot is offered only when it
- lies inside every attendee's working hours (each in their own zone),
- is free in every attendee's calendar (and clear of `also_busy`, e.g. the series' earlier
  sessions),
- starts at or after `now + notice`, inside the search window,
- starts on a 15-minute step (of UTC, which is a 15-minute step of every zone's clock: every
  offset in use is a multiple of 15 minutes).
An attendee whose calendar could not be read gets nothing offered on a guess: the answer is
`NoSlot(FREE_BUSY_UNKNOWN)` naming them.

Among the slots that qualify, the best keeps the cadence's rhythm, judged in the rhythm's
zone (the anchor the cadence was expanded in). `Rhythm.distance` of a start s on local day D:
  days    = D - the target's local date                      (signed whole days)
  seconds = s - the instant the target's wall time has on D  (signed seconds)
and slots compare by (|days|, |seconds|, days < 0, seconds < 0): the same weekday first,
then the nearest to the usual time that day; a tie goes to the later day, then to the later
time. So a Tuesday 10:00 session that cannot be held then moves within Tuesday first (16:45
beats Wednesday 10:00), and keeps its wall-clock time across a DST change.

It is interval arithmetic, not a scan: each attendee's hours per local day become UTC spans,
the spans of all attendees are intersected, busy time subtracted, and in each free span the
start nearest the day's target time is found directly. `sessions.domain.baselines` states the
same rules minute by minute; the property tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from runtime.refusals import invalid

from sessions.domain.intervals import Interval, Span, clip, instant, intersect, merge, subtract
from sessions.domain.intervals import seconds as seconds_of
from sessions.domain.working_hours import DEFAULT_HOURS, WorkingHours, hours_spans
from sessions.domain.zones import day_span, local_date, local_days, wall_instant

STEP = 15 * 60  # slot starts are multiples of this many seconds
MAX_DURATION = timedelta(hours=24)


@dataclass(frozen=True)
class Busy:
    """A calendar that was read: these times are taken (any order, overlaps allowed)."""

    intervals: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """A calendar that could not be read, and why: never taken as free."""

    why: str


@dataclass(frozen=True)
class Attendee:
    person_id: str
    zone: ZoneInfo
    availability: Busy | Unknown = field(default_factory=Busy)
    hours: WorkingHours = DEFAULT_HOURS


class Distance(NamedTuple):
    days: int  # signed: local days after the target's date (in the rhythm's zone)
    seconds: int  # signed: after the target's wall time on that day

    def key(self) -> tuple[int, int, bool, bool]:
        """Smaller is better (see the module's docstring)."""
        return (abs(self.days), abs(self.seconds), self.days < 0, self.seconds < 0)


@dataclass(frozen=True)
class Rhythm:
    """Where the cadence wants the session: `target`'s wall-clock date and time in `zone`."""

    zone: ZoneInfo
    target: datetime

    def __post_init__(self) -> None:
        seconds_of(self.target, "target")

    @cached_property
    def local(self) -> tuple[date, time]:
        wall = self.target.astimezone(self.zone)
        return wall.date(), wall.time().replace(tzinfo=None, fold=0)

    def target_on(self, day: date) -> int:
        """The instant the target's wall time has on local `day` (zones.wall_instant)."""
        return wall_instant(self.zone, day, self.local[1])

    def distance(self, start: datetime | int) -> Distance:
        second = start if isinstance(start, int) else seconds_of(start, "start")
        day = local_date(self.zone, second)
        return Distance((day - self.local[0]).days, second - self.target_on(day))


@dataclass(frozen=True)
class SlotFound:
    start: datetime  # UTC
    end: datetime
    distance: Distance

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


class NoSlotReason(StrEnum):
    FREE_BUSY_UNKNOWN = "FREE_BUSY_UNKNOWN"  # someone's calendar could not be read
    NO_SHARED_HOURS = "NO_SHARED_HOURS"  # the working hours never overlap long enough
    WITHIN_NOTICE = "WITHIN_NOTICE"  # the shared hours left are all too soon
    BUSY = "BUSY"  # the shared hours after the notice are all taken


@dataclass(frozen=True)
class NoSlot:
    reason: NoSlotReason
    message: str
    person_ids: tuple[str, ...] = ()  # whom the reason is about, when it is about someone


SlotResult = SlotFound | NoSlot


@dataclass(frozen=True)
class SlotRules:
    """What every slot of a search must satisfy besides hours and calendars."""

    duration: timedelta
    now: datetime
    notice: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        seconds_of(self.now, "now")
        if not timedelta(0) < self.duration <= MAX_DURATION or self.duration % timedelta(minutes=1):
            raise invalid("duration", f"{self.duration} is not whole minutes from 1 to 24 hours")
        if self.notice < timedelta(0):
            raise invalid("notice", f"a minimum notice of {self.notice} is negative")

    @property
    def earliest(self) -> int:
        return seconds_of(self.now + self.notice)

    @property
    def length(self) -> int:
        return int(self.duration.total_seconds())


class PreparedAttendee(NamedTuple):
    """An attendee with their busy times as merged spans (once per series, not per slot)."""

    person_id: str
    zone: ZoneInfo
    hours: WorkingHours
    busy: list[Span] | None  # None: unknown
    why_unknown: str | None


def prepare(attendees: Sequence[Attendee]) -> list[PreparedAttendee]:
    if not attendees:
        raise invalid("attendees", "a session needs at least one attendee")
    ids = [a.person_id for a in attendees]
    if len(set(ids)) != len(ids):
        raise invalid("attendees", "an attendee is listed twice")
    out = []
    for a in attendees:
        if isinstance(a.availability, Unknown):
            out.append(PreparedAttendee(a.person_id, a.zone, a.hours, None, a.availability.why))
        else:
            spans = merge(i.span() for i in a.availability.intervals)
            out.append(PreparedAttendee(a.person_id, a.zone, a.hours, spans, None))
    return out


def find_slot(
    attendees: Sequence[Attendee],
    rhythm: Rhythm,
    rules: SlotRules,
    window: Interval,
    also_busy: Sequence[Interval] = (),
) -> SlotResult:
    """The best slot whose start lies in `window` ([start, end)), or why there is none."""
    return find_prepared(
        prepare(attendees), rhythm, rules, window.span(), merge(i.span() for i in also_busy)
    )


def find_prepared(
    attendees: Sequence[PreparedAttendee],
    rhythm: Rhythm,
    rules: SlotRules,
    window: Span,
    also_busy: Sequence[Span] = (),
) -> SlotResult:
    """`find_slot` on prepared attendees; `also_busy` merged spans."""
    unknown = _unknown(attendees)
    if unknown is not None:
        return unknown
    length = rules.length
    low, high = window  # starts in [low, high): the slot itself may end up to high + length
    shared = _shared_hours(attendees, low, high + length)
    if not _has_start(shared, length, low, high):
        return NoSlot(
            NoSlotReason.NO_SHARED_HOURS,
            f"the working hours of {_names(attendees)} share no {rules.duration} starting "
            f"on a quarter hour between {_iso(low)} and {_iso(high)}",
            tuple(a.person_id for a in attendees),
        )
    earliest = max(low, rules.earliest)
    if not _has_start(shared, length, earliest, high):
        return NoSlot(
            NoSlotReason.WITHIN_NOTICE,
            f"every shared working time before {_iso(high)} starts before {_iso(earliest)}, "
            "inside the minimum notice",
        )
    busy = merge(
        [
            *(s for a in attendees for s in clip(a.busy or [], earliest, high + length)),
            *clip(also_busy, earliest, high + length),
        ]
    )
    free = subtract(clip(shared, earliest, high + length), busy)
    best = _best_start(free, length, earliest, high, rhythm)
    if best is None:
        return NoSlot(
            NoSlotReason.BUSY,
            f"every shared working time between {_iso(earliest)} and {_iso(high)} is busy "
            f"in a calendar of {_names(attendees)}",
        )
    start, distance = best
    return SlotFound(instant(start), instant(start + length), distance)


def _unknown(attendees: Sequence[PreparedAttendee]) -> NoSlot | None:
    unknown = [a for a in attendees if a.busy is None]
    if not unknown:
        return None
    return NoSlot(
        NoSlotReason.FREE_BUSY_UNKNOWN,
        "no time is offered on a guess: the calendar of "
        + ", ".join(f"{a.person_id} ({a.why_unknown})" for a in unknown)
        + " could not be read",
        tuple(a.person_id for a in unknown),
    )


def _names(attendees: Sequence[PreparedAttendee]) -> str:
    return ", ".join(a.person_id for a in attendees)


def _iso(second: int) -> str:
    return instant(second).isoformat().replace("+00:00", "Z")


def _shared_hours(attendees: Sequence[PreparedAttendee], low: int, high: int) -> list[Span]:
    shared: list[Span] | None = None
    for a in attendees:
        days = local_days(a.zone, low, high)
        own = merge(span for day in days for span in hours_spans(a.zone, a.hours, day))
        own = clip(own, low, high)
        shared = own if shared is None else intersect(shared, own)
        if not shared:
            return []
    return shared or []


def _ceil(second: int) -> int:
    return -(-second // STEP) * STEP


def _floor(second: int) -> int:
    return second // STEP * STEP


def _starts(span: Span, length: int, low: int, high: int) -> tuple[int, int] | None:
    """The first and last step-aligned starts s in [low, high) with [s, s + length) in span."""
    first = _ceil(max(span[0], low))
    last = _floor(min(span[1] - length, high - 1))
    return (first, last) if first <= last else None


def _has_start(spans: Sequence[Span], length: int, low: int, high: int) -> bool:
    return any(_starts(span, length, low, high) is not None for span in spans)


def _best_start(
    free: Sequence[Span], length: int, low: int, high: int, rhythm: Rhythm
) -> tuple[int, Distance] | None:
    ranges = [r for span in free if (r := _starts(span, length, low, high)) is not None]
    if not ranges:
        return None
    target_day = rhythm.local[0]
    best: tuple[tuple[int, int, bool, bool], int, Distance] | None = None
    for day in local_days(rhythm.zone, ranges[0][0], ranges[-1][1]):
        target = rhythm.target_on(day)
        days = (day - target_day).days
        for day_low, day_high in day_span(rhythm.zone, day):
            for first, last in ranges:
                # starts of this range that fall on this local day
                first_here, last_here = max(first, _ceil(day_low)), min(last, _floor(day_high - 1))
                if first_here > last_here:
                    continue
                start = _nearest(first_here, last_here, target)
                distance = Distance(days, start - target)
                key = distance.key()
                if best is None or key < best[0]:
                    best = (key, start, distance)
    return None if best is None else (best[1], best[2])


def _nearest(first: int, last: int, target: int) -> int:
    """The step-aligned start in [first, last] nearest `target`, the later one on a tie."""
    if target <= first:
        return first
    if target >= last:
        return last
    below, above = _floor(target), _ceil(target)
    return below if target - below < above - target else above


def check_slot(
    attendees: Sequence[Attendee],
    start: datetime,
    rules: SlotRules,
    also_busy: Sequence[Interval] = (),
) -> NoSlot | None:
    """Why a session chosen by hand at `start` (for `rules.duration`) cannot be held then, or
    None when it can: the rules of `find_slot` but the 15-minute step (a time people agreed
    on is theirs to pick)."""
    prepared = prepare(attendees)
    unknown = _unknown(prepared)
    if unknown is not None:
        return unknown
    low = seconds_of(start, "start")
    high = low + rules.length
    outside = [
        a.person_id for a in prepared if not _covers(_shared_hours([a], low, high), low, high)
    ]
    if outside:
        return NoSlot(
            NoSlotReason.NO_SHARED_HOURS,
            f"{_iso(low)} to {_iso(high)} is outside the working hours of {', '.join(outside)}",
            tuple(outside),
        )
    if low < rules.earliest:
        return NoSlot(
            NoSlotReason.WITHIN_NOTICE,
            f"{_iso(low)} is before {_iso(rules.earliest)}, inside the minimum notice",
        )
    taken = [a.person_id for a in prepared if clip(a.busy or [], low, high)]
    if taken or clip(merge(i.span() for i in also_busy), low, high):
        who = f" for {', '.join(taken)}" if taken else ""
        return NoSlot(NoSlotReason.BUSY, f"{_iso(low)} to {_iso(high)} is busy{who}", tuple(taken))
    return None


def _covers(spans: Sequence[Span], low: int, high: int) -> bool:
    return any(start <= low and high <= end for start, end in spans)
