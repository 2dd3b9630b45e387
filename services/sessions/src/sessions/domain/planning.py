"""A match's whole series planned occurrence by occurrence. Pure: no I/O.

Every occurrence is checked against every attendee's hours and calendar (cal.com checks the
first two of a recurring booking, and the rest double-book), and each planned slot counts as
busy for the occurrences after it, so a series never overlaps itself.

Each occurrence searches a window around its target: back to halfway to the previous target
and on to halfway to the next one, at most `max_shift` either way (a weekly session moves at
most three days; a daily one stays within its day). Windows of neighbours do not overlap, so
the series keeps its order. An occurrence with no slot stays in the plan with its reason:
never dropped, never moved outside anyone's hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sessions.domain.cadence import Occurrence
from sessions.domain.intervals import Interval, Span, merge
from sessions.domain.intervals import seconds as seconds_of
from sessions.domain.slots import (
    Attendee,
    PreparedAttendee,
    Rhythm,
    SlotFound,
    SlotResult,
    SlotRules,
    find_prepared,
    prepare,
)

DEFAULT_MAX_SHIFT = timedelta(days=3)


@dataclass(frozen=True)
class PlannedOccurrence:
    occurrence: Occurrence
    window: Interval  # where its start was searched
    result: SlotResult  # SlotFound, or NoSlot with the reason

    @property
    def scheduled(self) -> bool:
        return isinstance(self.result, SlotFound)


def search_windows(occurrences: Sequence[Occurrence], max_shift: timedelta) -> list[Span]:
    """[start, end) of where each occurrence's start may go (see the module's docstring)."""
    shift = int(max_shift.total_seconds())
    targets = [seconds_of(o.target, "target") for o in occurrences]
    for earlier, later in pairwise(targets):
        if later <= earlier:
            raise ValueError("occurrences must be in order, each after the one before")
    out: list[Span] = []
    for i, target in enumerate(targets):
        before = shift if i == 0 else min(shift, (target - targets[i - 1]) // 2)
        after = shift if i == len(targets) - 1 else min(shift, (targets[i + 1] - target + 1) // 2)
        out.append((target - before, target + max(after, 1)))
    return out


def plan_series(
    occurrences: Sequence[Occurrence],
    attendees: Sequence[Attendee],
    *,
    zone: ZoneInfo,
    rules: SlotRules,
    max_shift: timedelta = DEFAULT_MAX_SHIFT,
    also_busy: Sequence[Interval] = (),
) -> tuple[PlannedOccurrence, ...]:
    """Each occurrence's best slot (`slots.find_slot`), the series' earlier slots and
    `also_busy` (e.g. sessions already booked) counting as busy. `zone` is the anchor zone
    the cadence was expanded in: the rhythm is kept on its clock."""
    return plan_prepared(
        occurrences,
        prepare(attendees),
        zone=zone,
        rules=rules,
        max_shift=max_shift,
        also_busy=merge(i.span() for i in also_busy),
    )


def plan_prepared(
    occurrences: Sequence[Occurrence],
    attendees: Sequence[PreparedAttendee],
    *,
    zone: ZoneInfo,
    rules: SlotRules,
    max_shift: timedelta = DEFAULT_MAX_SHIFT,
    also_busy: Sequence[Span] = (),
) -> tuple[PlannedOccurrence, ...]:
    booked = list(also_busy)
    out: list[PlannedOccurrence] = []
    for occurrence, window in zip(occurrences, search_windows(occurrences, max_shift), strict=True):
        result = find_prepared(attendees, Rhythm(zone, occurrence.target), rules, window, booked)
        if isinstance(result, SlotFound):
            booked = merge([*booked, result.interval.span()])
        out.append(PlannedOccurrence(occurrence, Interval.from_span(window), result))
    return tuple(out)
