"""The slot finder on cases worked out by hand: afternoon hours (13:00-17:00) on both 2026
clock changes of each hemisphere, where cal.com moved schedules by an hour (#30021); the
rhythm's ranking; unknown calendars; the reasons an occurrence has no slot; a time chosen by
hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from contracts.problems import Code
from runtime.refusals import Refused
from sessions.domain.baselines import scan_slot
from sessions.domain.intervals import Interval
from sessions.domain.slots import (
    Attendee,
    Busy,
    NoSlot,
    NoSlotReason,
    Rhythm,
    SlotFound,
    SlotRules,
    Unknown,
    check_slot,
    find_slot,
)
from sessions.domain.working_hours import WorkingHours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
SINGAPORE = ZoneInfo("Asia/Singapore")
AFTERNOONS = WorkingHours.parse(
    {day: ["13:00-17:00"] for day in ("MO", "TU", "WE", "TH", "FR", "SA", "SU")}
)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _day_window(zone: ZoneInfo, day: date) -> Interval:
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return Interval(start, start + timedelta(days=1))


# (zone, the change's local date, the first and last UTC start of a one-hour afternoon session)
CHANGE_AFTERNOONS = [
    (LONDON, date(2026, 3, 29), _utc(2026, 3, 29, 12), _utc(2026, 3, 29, 15)),  # to BST
    (LONDON, date(2026, 10, 25), _utc(2026, 10, 25, 13), _utc(2026, 10, 25, 16)),  # to GMT
    (NEW_YORK, date(2026, 3, 8), _utc(2026, 3, 8, 17), _utc(2026, 3, 8, 20)),  # to EDT
    (NEW_YORK, date(2026, 11, 1), _utc(2026, 11, 1, 18), _utc(2026, 11, 1, 21)),  # to EST
    (SYDNEY, date(2026, 4, 5), _utc(2026, 4, 5, 3), _utc(2026, 4, 5, 6)),  # to AEST
    (SYDNEY, date(2026, 10, 4), _utc(2026, 10, 4, 2), _utc(2026, 10, 4, 5)),  # to AEDT
]


@pytest.mark.parametrize(("zone", "day", "first", "last"), CHANGE_AFTERNOONS)
def test_afternoon_hours_on_change_days_are_the_wall_clocks_afternoon(
    zone: ZoneInfo, day: date, first: datetime, last: datetime
) -> None:
    person = Attendee("p", zone, hours=AFTERNOONS)
    rules = SlotRules(HOUR, LONG_AGO)
    window = _day_window(zone, day)
    early = find_slot([person], Rhythm(zone, window.start), rules, window)  # wants 00:00
    late = find_slot([person], Rhythm(zone, window.end - HOUR), rules, window)  # wants 23:00
    assert isinstance(early, SlotFound) and isinstance(late, SlotFound)
    assert (early.start, late.start) == (first, last)
    assert early.start.astimezone(zone).hour == 13 and late.end.astimezone(zone).hour == 17


def test_an_afternoon_in_the_weeks_the_us_and_the_eu_change_on_different_dates() -> None:
    # 2026-03-17: New York is on EDT (UTC-4), London still on GMT: 13:00-17:00 London is
    # 09:00-13:00 New York, so a whole afternoon is shared (an hour less the week after).
    london = Attendee("mentor", LONDON, hours=AFTERNOONS)
    new_york = Attendee("mentee", NEW_YORK)
    window = _day_window(LONDON, date(2026, 3, 17))
    rules = SlotRules(HOUR, LONG_AGO)
    wants_late = Rhythm(LONDON, datetime(2026, 3, 17, 18, tzinfo=LONDON))
    found = find_slot([london, new_york], wants_late, rules, window)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 3, 17, 16)  # 16:00 London, 12:00 New York
    after_the_eu_change = _day_window(LONDON, date(2026, 3, 31))
    wants_late = Rhythm(LONDON, datetime(2026, 3, 31, 18, tzinfo=LONDON))
    found = find_slot([london, new_york], wants_late, rules, after_the_eu_change)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 3, 31, 15)  # 16:00 London (BST), 11:00 New York


def test_a_half_hour_zone_and_a_southern_one_share_their_morning_and_afternoon() -> None:
    # Kolkata is UTC+5:30, Sydney UTC+11 in January: Sydney's 14:30-17:00 is Kolkata's
    # 09:00-11:30.
    kolkata, sydney = Attendee("k", KOLKATA), Attendee("s", SYDNEY)
    window = Interval(_utc(2026, 1, 12), _utc(2026, 1, 13))
    rules = SlotRules(timedelta(minutes=30), LONG_AGO)
    wants_sydney_10 = Rhythm(SYDNEY, datetime(2026, 1, 12, 10, tzinfo=SYDNEY))
    found = find_slot([kolkata, sydney], wants_sydney_10, rules, window)
    assert isinstance(found, SlotFound)
    assert found.start.astimezone(SYDNEY).time().isoformat() == "14:30:00"
    assert found.start.astimezone(KOLKATA).time().isoformat() == "09:00:00"


def test_the_same_day_comes_before_the_same_time_and_ties_go_later() -> None:
    person = Attendee("p", LONDON)
    rules = SlotRules(HOUR, LONG_AGO)
    window = Interval(_utc(2026, 2, 9), _utc(2026, 2, 14))  # Monday to Friday
    tuesday_10 = Rhythm(LONDON, datetime(2026, 2, 10, 10, tzinfo=LONDON))
    tuesday_busy_until_1645 = Busy((Interval(_utc(2026, 2, 10, 9), _utc(2026, 2, 10, 16)),))
    found = find_slot([Attendee("p", LONDON, tuesday_busy_until_1645)], tuesday_10, rules, window)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 2, 10, 16)  # Tuesday 16:00 beats Wednesday 10:00
    tuesday_gone = Busy((Interval(_utc(2026, 2, 10), _utc(2026, 2, 11)),))
    found = find_slot([Attendee("p", LONDON, tuesday_gone)], tuesday_10, rules, window)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 2, 11, 10)  # Monday and Wednesday tie: the later
    halfway = Rhythm(LONDON, datetime(2026, 2, 10, 10, 7, 30, tzinfo=LONDON))
    found = find_slot([person], halfway, rules, window)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 2, 10, 10, 15)  # 7.5 minutes either way: the later


def test_a_slot_never_runs_into_the_next_busy_minute() -> None:
    # Free until 10:14:30: 09:00-10:00 fits, 09:15-10:15 would overlap by 30 seconds.
    busy = Busy((Interval(_utc(2026, 2, 10, 10, 14, 30), _utc(2026, 2, 10, 17)),))
    person = Attendee("p", LONDON, busy)
    wants_10 = Rhythm(LONDON, datetime(2026, 2, 10, 10, tzinfo=LONDON))
    window = Interval(_utc(2026, 2, 10), _utc(2026, 2, 11))
    rules = SlotRules(HOUR, LONG_AGO)
    found = find_slot([person], wants_10, rules, window)
    assert found == scan_slot([person], wants_10, rules, window)
    assert isinstance(found, SlotFound) and found.start == _utc(2026, 2, 10, 9)


def test_an_unreadable_calendar_gets_no_slot_on_a_guess() -> None:
    mentor = Attendee("mentor", LONDON)
    mentee = Attendee("mentee", SINGAPORE, Unknown("Google answered notFound"))
    window = Interval(_utc(2026, 2, 9), _utc(2026, 2, 14))
    result = find_slot(
        [mentor, mentee], Rhythm(LONDON, window.start), SlotRules(HOUR, LONG_AGO), window
    )
    assert isinstance(result, NoSlot)
    assert result.reason is NoSlotReason.FREE_BUSY_UNKNOWN
    assert result.person_ids == ("mentee",)
    assert "notFound" in result.message


def test_each_reason_for_no_slot() -> None:
    london, sydney = Attendee("l", LONDON), Attendee("s", SYDNEY)
    week = Interval(_utc(2026, 2, 9), _utc(2026, 2, 14))
    rhythm = Rhythm(LONDON, week.start)
    rules = SlotRules(HOUR, LONG_AGO)
    never_together = find_slot([london, sydney], rhythm, rules, week)
    assert isinstance(never_together, NoSlot)
    assert never_together.reason is NoSlotReason.NO_SHARED_HOURS
    assert never_together.person_ids == ("l", "s")

    too_soon = find_slot([london], rhythm, SlotRules(HOUR, week.end - HOUR, HOUR), week)
    assert isinstance(too_soon, NoSlot) and too_soon.reason is NoSlotReason.WITHIN_NOTICE

    taken = Busy((Interval(week.start, week.end + HOUR),))
    all_busy = find_slot([london, Attendee("x", LONDON, taken)], rhythm, rules, week)
    assert isinstance(all_busy, NoSlot) and all_busy.reason is NoSlotReason.BUSY

    series_busy = find_slot([london], rhythm, rules, week, also_busy=[taken.intervals[0]])
    assert isinstance(series_busy, NoSlot) and series_busy.reason is NoSlotReason.BUSY


def test_the_notice_counts_from_now_on_a_change_day() -> None:
    # cal.com #12137: the minimum notice landing on the DST day. Now is Saturday 28 March,
    # 15:00 London (GMT), with 24 hours' notice: 24 real hours later the clock shows 16:00
    # (BST), so Sunday's first slot is 16:00, not 15:00.
    every_day = WorkingHours.parse({d: ["09:00-17:00"] for d in ("SA", "SU", "MO")})
    person = Attendee("p", LONDON, hours=every_day)
    now = _utc(2026, 3, 28, 15)
    rules = SlotRules(HOUR, now, timedelta(hours=24))
    window = Interval(now, now + timedelta(days=2))
    found = find_slot([person], Rhythm(LONDON, now), rules, window)
    assert isinstance(found, SlotFound)
    assert found.start == _utc(2026, 3, 29, 15)
    assert found.start.astimezone(LONDON).hour == 16


def test_bad_rules_are_refused_with_the_field() -> None:
    with pytest.raises(Refused) as refused:
        SlotRules(timedelta(0), LONG_AGO)
    assert (refused.value.code, refused.value.field) == (Code.INVALID, "duration")
    with pytest.raises(Refused) as refused:
        SlotRules(HOUR, datetime(2026, 1, 1))  # no zone
    assert refused.value.field == "now"
    with pytest.raises(Refused) as refused:
        Interval(_utc(2026, 1, 2), _utc(2026, 1, 1))
    assert refused.value.field == "end"
    with pytest.raises(Refused) as refused:
        find_slot(
            [],
            Rhythm(LONDON, LONG_AGO),
            SlotRules(HOUR, LONG_AGO),
            Interval(LONG_AGO, LONG_AGO + HOUR),
        )
    assert refused.value.field == "attendees"


def test_a_time_chosen_by_hand_is_checked_against_the_same_rules() -> None:
    busy = Busy((Interval(_utc(2026, 2, 10, 14), _utc(2026, 2, 10, 15)),))
    mentor, mentee = Attendee("mentor", LONDON, busy), Attendee("mentee", NEW_YORK)
    rules = SlotRules(HOUR, _utc(2026, 2, 2, 12), timedelta(hours=24))
    assert check_slot([mentor, mentee], _utc(2026, 2, 10, 15, 10), rules) is None  # off-step
    outside = check_slot([mentor, mentee], _utc(2026, 2, 10, 11), rules)
    assert outside is not None and outside.reason is NoSlotReason.NO_SHARED_HOURS
    assert outside.person_ids == ("mentee",)  # 06:00 in New York
    taken = check_slot([mentor, mentee], _utc(2026, 2, 10, 14, 30), rules)
    assert taken is not None and taken.reason is NoSlotReason.BUSY
    assert taken.person_ids == ("mentor",)
    soon = check_slot([mentor, mentee], _utc(2026, 2, 2, 15), rules)
    assert soon is not None and soon.reason is NoSlotReason.WITHIN_NOTICE
    unknown = Attendee("mentee", NEW_YORK, Unknown("token expired"))
    assert check_slot([mentor, unknown], _utc(2026, 2, 10, 15), rules) == NoSlot(
        NoSlotReason.FREE_BUSY_UNKNOWN,
        "no time is offered on a guess: the calendar of mentee (token expired) could not be read",
        ("mentee",),
    )
