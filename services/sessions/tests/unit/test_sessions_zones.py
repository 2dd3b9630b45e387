"""Wall clocks to instants, checked minute by minute against what a clock on the wall shows,
on every 2026 clock change of zones chosen for their traps: both hemispheres, half- and
quarter-hour offsets, a 30-minute DST (Lord Howe), changes at midnight (Beirut, Havana,
Santiago: the day starts in a gap, or is revisited)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from contracts.problems import Code
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime.refusals import Refused
from sessions.domain.zones import day_span, wall_instant, wall_spans, zone_named

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Beirut",
    "America/Havana",
    "America/Santiago",
    "America/St_Johns",
    "Asia/Kathmandu",
]


def _changes_2026(zone: ZoneInfo) -> list[date]:
    """Local dates on which the zone's offset changes in 2026 (found by stepping 15 min)."""
    out = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    before = moment.astimezone(zone).utcoffset()
    while moment.year < 2027:
        moment += timedelta(minutes=15)
        offset = moment.astimezone(zone).utcoffset()
        if offset != before:
            out.append(moment.astimezone(zone).date())
            before = offset
    return out


CHANGE_DAYS = [(name, day) for name in ZONES for day in _changes_2026(ZoneInfo(name))]


def _minutes_on_the_wall(zone: ZoneInfo, day: date, start: int, end: int) -> set[int]:
    """Every minute (epoch seconds) whose wall time in `zone` is on `day` in [start, end)."""
    low = int(datetime.combine(day, time(), tzinfo=UTC).timestamp()) - 15 * 3600
    out = set()
    for second in range(low, low + 52 * 3600, 60):
        wall = datetime.fromtimestamp(second, zone)
        if wall.date() == day and start <= wall.hour * 60 + wall.minute < end:
            out.add(second)
    return out


def _minutes_in(spans: tuple[tuple[int, int], ...]) -> set[int]:
    return {s for start, end in spans for s in range(start, end, 60)}


def test_there_are_changes_to_test() -> None:
    assert len(CHANGE_DAYS) == 2 * 9  # Kolkata, Singapore and Kathmandu keep one offset


@pytest.mark.parametrize(("name", "day"), CHANGE_DAYS)
def test_a_whole_change_day_is_exactly_its_wall_minutes(name: str, day: date) -> None:
    zone = ZoneInfo(name)
    assert _minutes_in(day_span(zone, day)) == _minutes_on_the_wall(zone, day, 0, 1440)


@settings(max_examples=300, deadline=None)
@given(
    change=st.sampled_from(CHANGE_DAYS),
    shift=st.integers(-1, 1),
    start=st.integers(0, 1439),
    length=st.integers(1, 1440),
)
def test_wall_windows_are_exactly_their_wall_minutes(
    change: tuple[str, date], shift: int, start: int, length: int
) -> None:
    zone, day = ZoneInfo(change[0]), change[1] + timedelta(days=shift)
    end = min(1440, start + length)
    spans = wall_spans(zone, day, start, end)
    assert _minutes_in(spans) == _minutes_on_the_wall(zone, day, start, end)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in pairwise(spans))


def test_afternoon_hours_on_both_london_changes() -> None:
    london = ZoneInfo("Europe/London")
    spring = wall_spans(london, date(2026, 3, 29), 13 * 60, 17 * 60)
    autumn = wall_spans(london, date(2026, 10, 25), 13 * 60, 17 * 60)
    assert spring == ((_utc(2026, 3, 29, 12), _utc(2026, 3, 29, 16)),)  # BST: UTC+1
    assert autumn == ((_utc(2026, 10, 25, 13), _utc(2026, 10, 25, 17)),)  # GMT again


def test_the_skipped_hour_has_no_minutes_and_the_repeated_one_twice_as_many() -> None:
    new_york = ZoneInfo("America/New_York")
    skipped = wall_spans(new_york, date(2026, 3, 8), 2 * 60, 3 * 60)
    repeated = wall_spans(new_york, date(2026, 11, 1), 1 * 60, 2 * 60)
    assert skipped == ()
    assert sum(end - start for start, end in repeated) == 2 * 3600


def test_a_wall_time_that_does_not_exist_is_read_with_the_offset_before_the_change() -> None:
    london = ZoneInfo("Europe/London")
    skipped = wall_instant(london, date(2026, 3, 29), time(1, 30))
    assert skipped == _utc(2026, 3, 29, 1, 30)  # 02:30 BST, half an hour after the change
    repeated = wall_instant(london, date(2026, 10, 25), time(1, 30))
    assert repeated == _utc(2026, 10, 25, 0, 30)  # the first 01:30 (BST)


def test_an_unknown_zone_is_refused_naming_the_field() -> None:
    with pytest.raises(Refused) as refused:
        zone_named("Mars/Olympus_Mons", "mentor.timeZone")
    assert refused.value.code is Code.INVALID
    assert refused.value.field == "mentor.timeZone"
    assert "Mars/Olympus_Mons" in refused.value.message
    assert zone_named("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")


def _utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[misc]
