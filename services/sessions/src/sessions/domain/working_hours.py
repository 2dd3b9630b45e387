"""When a person works: weekly hours per weekday, in their own IANA zone, with whole-day
overrides for given dates (a day off, a shorter Friday). Pure: no I/O.

The default is Monday to Friday, 09:00 to 17:00 local. Windows are wall-clock minutes after
local midnight, half-open, up to 24:00; a day may have several (09:00-12:00, 13:00-17:00).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from runtime.refusals import invalid

from sessions.domain.intervals import Span, merge
from sessions.domain.zones import wall_spans

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # date.weekday() order, RFC 5545 names
DAY_MINUTES = 24 * 60
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True, order=True)
class HoursWindow:
    """[start, end) in minutes after local midnight; end up to 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= DAY_MINUTES):
            raise invalid(
                None,
                f"{self} is not a window of one day: start before end, from 00:00 up to 24:00",
            )

    @classmethod
    def parse(cls, text: str, field: str = "workingHours") -> HoursWindow:
        """'09:00-17:00'."""
        match = _WINDOW.match(text.strip())
        if match is None:
            raise invalid(field, f"{text!r} is not HH:MM-HH:MM (e.g. 09:00-17:00)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2):
            raise invalid(field, f"{text!r} names a time that is not on a clock (00:00-24:00)")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise invalid(field, f"{text!r} ends before it starts; split a night across two days")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


DayHours = tuple[HoursWindow, ...]


def _day_hours(windows: Iterable[HoursWindow], field: str) -> DayHours:
    ordered = tuple(sorted(windows))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise invalid(field, f"{before} and {after} overlap")
    return ordered


NINE_TO_FIVE: DayHours = (HoursWindow(9 * 60, 17 * 60),)


@dataclass(frozen=True)
class WorkingHours:
    """`weekly[0]` is Monday; an empty day is a day off. `overrides` replace whole dates."""

    weekly: tuple[DayHours, ...] = (NINE_TO_FIVE,) * 5 + ((),) * 2
    overrides: tuple[tuple[date, DayHours], ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise invalid("workingHours", "give the hours of all seven weekdays")
        for index, windows in enumerate(self.weekly):
            _day_hours(windows, f"workingHours.{WEEKDAYS[index]}")
        days = [day for day, _ in self.overrides]
        if len(set(days)) != len(days):
            raise invalid("workingHours.overrides", "a date is overridden twice")
        for day, windows in self.overrides:
            _day_hours(windows, f"workingHours.overrides.{day.isoformat()}")

    @classmethod
    def parse(
        cls,
        weekly: Mapping[str, Sequence[str]],
        overrides: Mapping[date, Sequence[str]] | None = None,
    ) -> WorkingHours:
        """{'MO': ['09:00-12:00', '13:00-17:00'], 'FR': ['09:00-13:00']}: weekdays not named
        are days off; an override's empty list is a day off."""
        unknown = sorted(set(weekly) - set(WEEKDAYS))
        if unknown:
            raise invalid(
                "workingHours", f"{', '.join(unknown)}: weekdays are {', '.join(WEEKDAYS)}"
            )
        week = tuple(
            _day_hours(
                (HoursWindow.parse(w, f"workingHours.{name}") for w in weekly.get(name, ())),
                f"workingHours.{name}",
            )
            for name in WEEKDAYS
        )
        dated = tuple(
            sorted(
                (
                    day,
                    _day_hours(
                        (
                            HoursWindow.parse(w, f"workingHours.overrides.{day.isoformat()}")
                            for w in windows
                        ),
                        f"workingHours.overrides.{day.isoformat()}",
                    ),
                )
                for day, windows in (overrides or {}).items()
            )
        )
        return cls(week, dated)

    def on(self, day: date) -> DayHours:
        for overridden, windows in self.overrides:
            if overridden == day:
                return windows
        return self.weekly[day.weekday()]

    def covers(self, day: date, minute: int) -> bool:
        """Whether `minute` (after local midnight on `day`) is inside the hours."""
        return any(w.start <= minute < w.end for w in self.on(day))

    def as_mapping(self) -> dict[str, list[str]]:
        return {WEEKDAYS[i]: [str(w) for w in day] for i, day in enumerate(self.weekly) if day}


DEFAULT_HOURS = WorkingHours()


@lru_cache(maxsize=262_144)
def hours_spans(zone: ZoneInfo, hours: WorkingHours, day: date) -> tuple[Span, ...]:
    """The instants of `day` (local to `zone`) inside the hours."""
    return tuple(
        merge(span for w in hours.on(day) for span in wall_spans(zone, day, w.start, w.end))
    )
