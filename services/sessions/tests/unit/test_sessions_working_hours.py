"""Working hours as people give them: weekly windows per weekday, overrides for dates, and
clear refusals for hours that are not hours."""

from __future__ import annotations

from datetime import date

import pytest
from contracts.problems import Code
from runtime.refusals import Refused
from sessions.domain.working_hours import DEFAULT_HOURS, HoursWindow, WorkingHours


def test_the_default_is_monday_to_friday_nine_to_five() -> None:
    assert DEFAULT_HOURS.as_mapping() == {
        d: ["09:00-17:00"] for d in ("MO", "TU", "WE", "TH", "FR")
    }
    assert DEFAULT_HOURS.covers(date(2026, 2, 9), 9 * 60)  # Monday 09:00
    assert not DEFAULT_HOURS.covers(date(2026, 2, 9), 17 * 60)  # 17:00 is the end
    assert not DEFAULT_HOURS.covers(date(2026, 2, 14), 10 * 60)  # Saturday


def test_split_days_overrides_and_midnight() -> None:
    hours = WorkingHours.parse(
        {"MO": ["13:00-17:00", "08:30-12:00"], "SA": ["20:00-24:00"]},
        overrides={date(2026, 2, 9): [], date(2026, 2, 16): ["10:00-11:00"]},
    )
    assert hours.on(date(2026, 2, 2)) == (HoursWindow(510, 720), HoursWindow(780, 1020))
    assert hours.on(date(2026, 2, 9)) == ()  # a day off
    assert hours.on(date(2026, 2, 16)) == (HoursWindow(600, 660),)
    assert hours.covers(date(2026, 2, 7), 23 * 60 + 59)
    assert hours.as_mapping() == {"MO": ["08:30-12:00", "13:00-17:00"], "SA": ["20:00-24:00"]}


@pytest.mark.parametrize(
    ("weekly", "field", "words"),
    [
        ({"MO": ["9-17"]}, "workingHours.MO", "HH:MM-HH:MM"),
        ({"MO": ["17:00-09:00"]}, "workingHours.MO", "ends before it starts"),
        ({"MO": ["09:00-25:00"]}, "workingHours.MO", "not on a clock"),
        ({"MO": ["09:00-12:00", "11:00-13:00"]}, "workingHours.MO", "overlap"),
        ({"XY": ["09:00-17:00"]}, "workingHours", "XY"),
    ],
)
def test_hours_that_are_not_hours_are_refused(
    weekly: dict[str, list[str]], field: str, words: str
) -> None:
    with pytest.raises(Refused) as refused:
        WorkingHours.parse(weekly)
    assert refused.value.code is Code.INVALID
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_bad_override_names_its_date() -> None:
    with pytest.raises(Refused) as refused:
        WorkingHours.parse({}, overrides={date(2026, 5, 1): ["12:00-11:00"]})
    assert refused.value.field == "workingHours.overrides.2026-05-01"
