"""The slot rules stated the naive way, minute by minute: the reference the property tests hold
`slots.find_slot` to, and the benchmark's baseline. Pure: no I/O.

Every minute of the window is looked at on its own: is it inside each attendee's hours (its
wall-clock time in their zone, on its local date), does any busy time touch it? A start
qualifies when every minute of the session does; the best is the one `Rhythm.distance` ranks
first. Slow on purpose: it shares nothing with the finder but the definition of distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from sessions.domain.cadence import Occurrence
from sessions.domain.intervals import Interval, Span, instant, merge
from sessions.domain.planning import DEFAULT_MAX_SHIFT, PlannedOccurrence, search_windows
from sessions.domain.slots import (
    STEP,
    Attendee,
    NoSlot,
    NoSlotReason,
    PreparedAttendee,
    Rhythm,
    SlotFound,
    SlotResult,
    SlotRules,
    prepare,
)

MINUTE = 60


def scan_slot(
    attendees: Sequence[Attendee],
    rhythm: Rhythm,
    rules: SlotRules,
    window: Interval,
    also_busy: Sequence[Interval] = (),
) -> SlotResult:
    return scan_prepared(
        prepare(attendees), rhythm, rules, window.span(), merge(i.span() for i in also_busy)
    )


def scan_prepared(
    attendees: Sequence[PreparedAttendee],
    rhythm: Rhythm,
    rules: SlotRules,
    window: Span,
    also_busy: Sequence[Span] = (),
) -> SlotResult:
    unknown = tuple(a.person_id for a in attendees if a.busy is None)
    if unknown:
        return NoSlot(NoSlotReason.FREE_BUSY_UNKNOWN, "unknown free/busy", unknown)
    low, high = window
    length = rules.length
    base = low - low % MINUTE
    count = (high + length - base) // MINUTE + 1
    minutes = [base + n * MINUTE for n in range(count)]

    in_hours = [all(_works(a, m) for a in attendees) for m in minutes]
    free = list(in_hours)
    for spans in [*(a.busy or [] for a in attendees), also_busy]:
        for start, end in spans:
            # every minute [m, m + 1 min) the busy time touches
            first = max(0, (start - base) // MINUTE)
            last = min(count - 1, (end - 1 - base) // MINUTE)
            for index in range(first, last + 1):
                free[index] = False
    hours_run = _runs(in_hours)
    free_run = _runs(free)
    needed = length // MINUTE

    def whole(run: list[int], start: int) -> bool:
        index = (start - base) // MINUTE
        return run[index + needed] - run[index] == needed

    starts = [m for m in minutes if m % STEP == 0 and low <= m < high]
    with_hours = [s for s in starts if whole(hours_run, s)]
    if not with_hours:
        return NoSlot(NoSlotReason.NO_SHARED_HOURS, "no shared hours")
    noticed = [s for s in with_hours if s >= rules.earliest]
    if not noticed:
        return NoSlot(NoSlotReason.WITHIN_NOTICE, "all within the notice")
    open_starts = [s for s in noticed if whole(free_run, s)]
    if not open_starts:
        return NoSlot(NoSlotReason.BUSY, "all busy")
    best = min(open_starts, key=lambda s: rhythm.distance(s).key())
    return SlotFound(instant(best), instant(best + length), rhythm.distance(best))


def _works(attendee: PreparedAttendee, minute: int) -> bool:
    wall = datetime.fromtimestamp(minute, attendee.zone)
    return attendee.hours.covers(wall.date(), wall.hour * 60 + wall.minute)


def _runs(flags: list[bool]) -> list[int]:
    """Prefix counts: run[j] - run[i] is how many of flags[i:j] are set."""
    return [0, *accumulate(int(f) for f in flags)]


def scan_series(
    occurrences: Sequence[Occurrence],
    attendees: Sequence[PreparedAttendee],
    *,
    zone: ZoneInfo,
    rules: SlotRules,
    max_shift: timedelta = DEFAULT_MAX_SHIFT,
    also_busy: Sequence[Span] = (),
) -> tuple[PlannedOccurrence, ...]:
    """`planning.plan_prepared`, each occurrence scanned minute by minute."""
    booked = list(also_busy)
    out = []
    for occurrence, window in zip(occurrences, search_windows(occurrences, max_shift), strict=True):
        result = scan_prepared(attendees, Rhythm(zone, occurrence.target), rules, window, booked)
        if isinstance(result, SlotFound):
            booked.append(result.interval.span())
        out.append(PlannedOccurrence(occurrence, Interval.from_span(window), result))
    return tuple(out)
