"""Whole series planned occurrence by occurrence: across London / New York / Singapore and
both March clock changes, every occurrence checked (not the first two), the series never
overlapping itself, occurrences without a slot kept with their reason; and the planner equal
to the minute-by-minute reference on random series."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sessions.domain.baselines import scan_series
from sessions.domain.cadence import Cadence, Occurrence, expand_cadence
from sessions.domain.intervals import Interval
from sessions.domain.planning import PlannedOccurrence, plan_series, search_windows
from sessions.domain.slots import (
    Attendee,
    Busy,
    NoSlot,
    NoSlotReason,
    SlotFound,
    SlotRules,
    Unknown,
    prepare,
)
from sessions.domain.working_hours import WorkingHours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
SYDNEY = ZoneInfo("Australia/Sydney")
ACCEPTED = datetime(2026, 2, 27, 12, tzinfo=UTC)  # a Friday; US change Mar 8, EU Mar 29
RULES = SlotRules(timedelta(hours=1), ACCEPTED, timedelta(hours=24))
HOUR = timedelta(hours=1)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _weekly(zone: ZoneInfo, at: time, count: int = 7) -> tuple[Occurrence, ...]:
    cadence = Cadence.parse(f"FREQ=WEEKLY;BYDAY=TU;COUNT={count}")
    return expand_cadence(cadence, zone=zone, local_time=at, accepted_at=ACCEPTED).occurrences


def _slots(plan: tuple[PlannedOccurrence, ...]) -> list[Interval]:
    out = []
    for planned in plan:
        assert isinstance(planned.result, SlotFound), planned
        out.append(planned.result.interval)
    return out


def _inside_hours(attendee: Attendee, slot: Interval) -> bool:
    minute = slot.start
    while minute < slot.end:
        wall = minute.astimezone(attendee.zone)
        if not attendee.hours.covers(wall.date(), wall.hour * 60 + wall.minute):
            return False
        minute += timedelta(minutes=1)
    return True


def test_london_new_york_and_singapore_series_across_both_march_changes() -> None:
    # The mentor in London meets a mentee in New York (Tuesdays, 15:00 London) and one in
    # Singapore who works 08:00-19:00 (Tuesdays, 09:00 London: 17:00, then 16:00 there).
    # Busy times sit on several occurrences' targets, not only the first two.
    mentor_busy = Busy(
        (
            Interval(_utc(2026, 3, 17, 15), _utc(2026, 3, 17, 16)),  # 3rd NY target
            Interval(_utc(2026, 3, 31, 8), _utc(2026, 3, 31, 10, 30)),  # 5th SG (BST)
        )
    )
    mentee_ny_busy = Busy((Interval(_utc(2026, 4, 7, 13), _utc(2026, 4, 7, 15)),))
    mentor = Attendee("mentor", LONDON, mentor_busy)
    in_new_york = Attendee("mentee-ny", NEW_YORK, mentee_ny_busy)
    long_days = {d: ["08:00-19:00"] for d in ("MO", "TU", "WE", "TH", "FR")}
    in_singapore = Attendee("mentee-sg", SINGAPORE, hours=WorkingHours.parse(long_days))

    with_ny = plan_series(
        _weekly(LONDON, time(15)), [mentor, in_new_york], zone=LONDON, rules=RULES
    )
    ny_slots = _slots(with_ny)
    with_sg = plan_series(
        _weekly(LONDON, time(9)),
        [mentor, in_singapore],
        zone=LONDON,
        rules=RULES,
        also_busy=ny_slots,  # the mentor's sessions just booked
    )
    sg_slots = _slots(with_sg)

    london_starts = [s.start.astimezone(LONDON).strftime("%a %d %H:%M") for s in ny_slots]
    assert london_starts == [
        "Tue 03 15:00",
        "Tue 10 15:00",  # New York already on EDT: still inside its hours
        "Tue 17 16:00",  # the mentor is busy at 15:00
        "Tue 24 15:00",
        "Tue 31 15:00",  # London on BST: 10:00 in New York
        "Tue 07 16:00",  # the mentee is busy 09:00-11:00 New York
        "Tue 14 15:00",
    ]
    assert [s.start.astimezone(LONDON).strftime("%a %d %H:%M") for s in sg_slots] == [
        "Tue 03 09:00",
        "Tue 10 09:00",
        "Tue 17 09:00",
        "Tue 24 09:00",
        "Wed 01 09:00",  # the mentor is busy 09:00-11:30 BST, past Singapore's 19:00
        "Tue 07 09:00",
        "Tue 14 09:00",
    ]
    for attendees, slots in (([mentor, in_new_york], ny_slots), ([mentor, in_singapore], sg_slots)):
        for slot in slots:
            for attendee in attendees:
                assert _inside_hours(attendee, slot)
                assert isinstance(attendee.availability, Busy)
                assert not any(slot.overlaps(b) for b in attendee.availability.intervals)
    everything = sorted(ny_slots + sg_slots, key=lambda s: s.start)
    assert all(not a.overlaps(b) for a, b in itertools.pairwise(everything))


def test_the_series_counts_its_own_earlier_slots_as_busy() -> None:
    # Daily at 16:45 from Monday, one attendee who works around the clock. Monday's window
    # (from now, Sunday, to Tuesday 04:45) is all busy but Tuesday 04:30-04:45; Tuesday's
    # own day is free only 04:45-06:00, whose best start (05:00) would overlap Monday's slot
    # (04:30-05:30): the series never overlaps itself.
    always = WorkingHours.parse({d: ["00:00-24:00"] for d in ("MO", "TU", "WE", "TH", "FR")})
    busy = Busy(
        (
            Interval(_utc(2026, 3, 1), _utc(2026, 3, 3, 4, 30)),
            Interval(_utc(2026, 3, 3, 6), _utc(2026, 3, 4, 6)),
        )
    )
    person = Attendee("p", LONDON, busy, always)
    cadence = Cadence.parse("FREQ=DAILY;COUNT=2")
    occurrences = expand_cadence(
        cadence, zone=LONDON, local_time=time(16, 45), accepted_at=_utc(2026, 3, 2)
    ).occurrences
    rules = SlotRules(HOUR, _utc(2026, 3, 1))
    first, second = plan_series(occurrences, [person], zone=LONDON, rules=rules)
    assert isinstance(first.result, SlotFound)
    assert first.result.start == _utc(2026, 3, 3, 4, 30)
    # Tuesday has half an hour left: the next best is Wednesday, at the usual time.
    assert isinstance(second.result, SlotFound)
    assert second.result.start == _utc(2026, 3, 4, 16, 45)
    alone = plan_series(occurrences[1:], [person], zone=LONDON, rules=rules)[0].result
    assert isinstance(alone, SlotFound) and alone.start == _utc(2026, 3, 3, 5)


def test_occurrences_without_a_slot_stay_in_the_plan_with_their_reason() -> None:
    occurrences = _weekly(LONDON, time(10), count=3)
    apart = plan_series(
        occurrences, [Attendee("l", LONDON), Attendee("s", SYDNEY)], zone=LONDON, rules=RULES
    )
    assert [p.occurrence for p in apart] == list(occurrences)
    assert all(
        isinstance(p.result, NoSlot) and p.result.reason is NoSlotReason.NO_SHARED_HOURS
        for p in apart
    )
    unreadable = Attendee("s", SINGAPORE, Unknown("Graph answered an error for this mailbox"))
    unknown = plan_series(
        occurrences, [Attendee("l", LONDON), unreadable], zone=LONDON, rules=RULES
    )
    assert len(unknown) == 3
    assert all(isinstance(p.result, NoSlot) and p.result.person_ids == ("s",) for p in unknown)
    assert not any(p.scheduled for p in unknown)


def test_windows_reach_halfway_to_the_neighbours_and_at_most_the_max_shift() -> None:
    daily = expand_cadence(
        Cadence.parse("FREQ=DAILY;COUNT=3"),
        zone=LONDON,
        local_time=time(10),
        accepted_at=_utc(2026, 2, 2),
    ).occurrences
    windows = search_windows(daily, timedelta(days=3))
    day, half = 86_400, 43_200
    first = int(daily[0].target.timestamp())
    assert windows == [
        (first - 3 * day, first + half),
        (first + half, first + day + half),
        (first + day + half, first + 2 * day + 3 * day),
    ]


ZONES = ["Europe/London", "America/New_York", "Asia/Singapore", "Asia/Kolkata", "Australia/Sydney"]


@st.composite
def busy_weeks(draw: st.DrawFn) -> Busy:
    start = _utc(2026, 3, 1)
    blocks = []
    for _ in range(draw(st.integers(0, 25))):
        at = start + timedelta(minutes=draw(st.integers(0, 5 * 7 * 24 * 4)) * 15)
        blocks.append(Interval.of(at, timedelta(minutes=draw(st.integers(1, 12)) * 15)))
    return Busy(tuple(blocks))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zones=st.lists(st.sampled_from(ZONES), min_size=2, max_size=2),
    busy=st.lists(busy_weeks(), min_size=2, max_size=2),
    at=st.sampled_from([time(8), time(10, 30), time(15), time(17, 45)]),
    long_days=st.booleans(),
)
def test_the_planner_equals_the_minute_by_minute_reference(
    zones: list[str], busy: list[Busy], at: time, long_days: bool
) -> None:
    hours = (
        WorkingHours.parse({d: ["07:00-21:00"] for d in ("MO", "TU", "WE", "TH", "FR")})
        if long_days
        else WorkingHours()
    )
    attendees = [
        Attendee(f"p{i}", ZoneInfo(zone), b, hours)
        for i, (zone, b) in enumerate(zip(zones, busy, strict=True))
    ]
    anchor = ZoneInfo(zones[0])
    occurrences = _weekly(anchor, at, count=4)
    fast = plan_series(occurrences, attendees, zone=anchor, rules=RULES)
    naive = scan_series(occurrences, prepare(attendees), zone=anchor, rules=RULES)
    assert [p.window for p in fast] == [p.window for p in naive]
    for f, n in zip(fast, naive, strict=True):
        if isinstance(n.result, SlotFound):
            assert isinstance(f.result, SlotFound) and f.result.start == n.result.start
        else:
            assert isinstance(f.result, NoSlot) and f.result.reason is n.result.reason
