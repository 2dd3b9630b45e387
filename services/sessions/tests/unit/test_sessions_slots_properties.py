"""The slot finder on random zone pairs, hours, calendars and windows, around the 2026 clock
changes (including the weeks when the US and the EU change on different dates, and the
southern hemisphere's): every slot it offers is inside everyone's hours, free, after the
notice and on the quarter hour (checked here minute by minute, independently), and it gives
the same answer as the minute-by-minute reference (`baselines.scan_slot`), so no better slot
exists. SLOTS_EXAMPLES=2000 for a long local run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sessions.domain.baselines import scan_slot
from sessions.domain.intervals import Interval
from sessions.domain.slots import (
    Attendee,
    Busy,
    NoSlot,
    Rhythm,
    SlotFound,
    SlotRules,
    find_slot,
)
from sessions.domain.working_hours import HoursWindow, WorkingHours

SETTINGS = settings(
    max_examples=int(os.environ.get("SLOTS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ZONES = [
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/New_York",
    "Europe/London",
    "Asia/Singapore",
    "America/Los_Angeles",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Asia/Beirut",
]
# Both 2026 changes of each hemisphere; the weeks between the US (Mar 8, Nov 1) and the EU
# (Mar 29, Oct 25) dates; Sydney's (Apr 5, Oct 4); and any day of the year.
DAYS = st.one_of(
    st.sampled_from(
        [
            *(date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)),
            *(date(2026, 4, 5), date(2026, 10, 4)),
        ]
    ),
    st.dates(date(2026, 3, 8), date(2026, 3, 29)),
    st.dates(date(2026, 10, 25), date(2026, 11, 1)),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    kind = draw(st.sampled_from(["default", "long", "long", "random"]))
    if kind == "default":
        return WorkingHours()  # Monday to Friday, 09:00-17:00
    if kind == "long":  # every day, early to late: overlaps across distant zones
        start = draw(st.integers(0, 8)) * 60 + draw(st.sampled_from([0, 15, 30, 5]))
        end = draw(st.integers(17, 24)) * 60
        return WorkingHours((((HoursWindow(start, end)),),) * 7)
    week = []
    for _ in range(7):
        windows: list[HoursWindow] = []
        cursor = draw(st.integers(0, 20)) * 60
        for _ in range(draw(st.integers(0, 2))):
            start = cursor + draw(st.integers(0, 8)) * 30 + draw(st.sampled_from([0, 5, 10]))
            end = start + draw(st.integers(1, 30)) * 30
            if end > 1440:
                break
            windows.append(HoursWindow(start, end))
            cursor = end + 30
        week.append(tuple(windows))
    return WorkingHours(tuple(week))


@dataclass(frozen=True)
class Case:
    attendees: list[Attendee]
    rhythm: Rhythm
    rules: SlotRules
    window: Interval
    also_busy: list[Interval]


def _busy(draw: st.DrawFn, around: datetime, count: int) -> list[Interval]:
    out = []
    for _ in range(count):
        start = around + timedelta(minutes=draw(st.integers(-18 * 60, 36 * 60)))
        start += timedelta(seconds=draw(st.sampled_from([0, 0, 0, 17])))
        out.append(Interval.of(start, timedelta(minutes=draw(st.integers(1, 16)) * 15)))
    return out


@st.composite
def cases(draw: st.DrawFn) -> Case:
    day = draw(DAYS)
    low = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=draw(st.integers(-24, 24)), minutes=draw(st.sampled_from([0, 7, 15, 40]))
    )
    hours = draw(st.integers(1, 72))
    window = Interval.of(low, timedelta(hours=hours))
    attendees = [
        Attendee(
            person_id=f"p{i}",
            zone=ZoneInfo(draw(st.sampled_from(ZONES))),
            availability=Busy(tuple(_busy(draw, low, draw(st.sampled_from([0, 4, 12, 40]))))),
            hours=draw(working_hours()),
        )
        for i in range(draw(st.sampled_from([1, 2, 2, 2, 3])))
    ]
    rhythm_zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    # Often on the quarter hour, or halfway between two (a tie), sometimes anywhere.
    target = low.replace(minute=0) + timedelta(
        minutes=draw(st.integers(-6 * 4, (hours + 6) * 4)) * 15
        + draw(st.sampled_from([0, 7, 7, 11])),
        seconds=draw(st.sampled_from([0, 30, 30])),
    )
    rules = SlotRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 50, 60, 90, 240]))),
        now=low + timedelta(minutes=draw(st.integers(-3000, 3000))),
        notice=timedelta(hours=draw(st.sampled_from([0, 0, 1, 24]))),
    )
    also_busy = _busy(draw, low, draw(st.integers(0, 2)))
    return Case(
        attendees, Rhythm(rhythm_zone, target.astimezone(rhythm_zone)), rules, window, also_busy
    )


def _inside_hours(attendee: Attendee, start: datetime, end: datetime) -> bool:
    minute = start
    while minute < end:
        wall = minute.astimezone(attendee.zone)
        windows = attendee.hours.on(wall.date())
        if not any(w.start <= wall.hour * 60 + wall.minute < w.end for w in windows):
            return False
        minute += timedelta(minutes=1)
    return True


@SETTINGS
@given(cases())
def test_every_offered_slot_keeps_every_rule(case: Case) -> None:
    result = find_slot(case.attendees, case.rhythm, case.rules, case.window, case.also_busy)
    if isinstance(result, NoSlot):
        return
    slot = result.interval
    assert slot.start.timestamp() % (15 * 60) == 0
    assert slot.end - slot.start == case.rules.duration
    assert case.window.start <= slot.start < case.window.end
    assert slot.start >= case.rules.now + case.rules.notice
    for attendee in case.attendees:
        assert _inside_hours(attendee, slot.start, slot.end), attendee
        assert isinstance(attendee.availability, Busy)
        assert not any(slot.overlaps(b) for b in attendee.availability.intervals)
    assert not any(slot.overlaps(b) for b in case.also_busy)
    assert result.distance == case.rhythm.distance(slot.start)


@SETTINGS
@given(cases())
def test_the_finder_gives_the_minute_by_minute_answer(case: Case) -> None:
    fast = find_slot(case.attendees, case.rhythm, case.rules, case.window, case.also_busy)
    naive = scan_slot(case.attendees, case.rhythm, case.rules, case.window, case.also_busy)
    event(naive.reason if isinstance(naive, NoSlot) else "slot found")
    if isinstance(naive, SlotFound):
        # The same start: no slot the reference ranks better was missed.
        assert isinstance(fast, SlotFound), fast
        assert (fast.start, fast.end, fast.distance) == (naive.start, naive.end, naive.distance)
    else:
        assert isinstance(fast, NoSlot), fast
        assert fast.reason is naive.reason
