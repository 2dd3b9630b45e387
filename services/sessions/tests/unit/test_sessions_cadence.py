"""Cadences expanded into occurrences: the vocabulary profiles accepts, wall-clock times kept
across DST, the plan's start and end, UNTIL in its three forms, the final occurrence."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from contracts.problems import Code
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime.refusals import Refused
from sessions.domain.cadence import Cadence, DaySpec, Frequency, expand_cadence, plan_start

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
ACCEPTED = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday


def _walls(rule: str, zone: ZoneInfo = LONDON, **kw: object) -> list[str]:
    plan = expand_cadence(
        Cadence.parse(rule),
        zone=zone,
        local_time=kw.pop("local_time", time(10)),  # type: ignore[arg-type]
        accepted_at=kw.pop("accepted_at", ACCEPTED),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return [o.target.isoformat() for o in plan.occurrences]


def test_a_weekly_series_keeps_its_wall_clock_time_across_the_change() -> None:
    # London changes on 29 March: 10:00 stays 10:00 on the clock, an hour earlier in UTC.
    plan = expand_cadence(
        Cadence.parse("FREQ=WEEKLY;BYDAY=TU;COUNT=6"),
        zone=LONDON,
        local_time=time(10),
        accepted_at=ACCEPTED,
    )
    assert [o.target.astimezone(LONDON).strftime("%a %d %H:%M") for o in plan.occurrences] == [
        "Tue 03 10:00",
        "Tue 10 10:00",
        "Tue 17 10:00",
        "Tue 24 10:00",
        "Tue 31 10:00",
        "Tue 07 10:00",
    ]
    utc_hours = [o.target.astimezone(UTC).hour for o in plan.occurrences]
    assert utc_hours == [10, 10, 10, 10, 9, 9]
    assert [o.final for o in plan.occurrences] == [False] * 5 + [True]
    assert [o.index for o in plan.occurrences] == list(range(6))
    assert plan.complete


def test_the_plan_starts_at_the_later_of_the_program_start_and_the_acceptance() -> None:
    weekly = "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3"
    assert _walls(weekly, program_starts_on=date(2026, 4, 1)) == [
        "2026-04-02T10:00:00+01:00",
        "2026-04-06T10:00:00+01:00",
        "2026-04-09T10:00:00+01:00",
    ]
    # Program started earlier: from the acceptance (Monday 08:00 UTC, before 10:00 London).
    assert _walls(weekly, program_starts_on=date(2026, 1, 5))[0] == "2026-03-02T10:00:00+00:00"
    # Accepted after that day's 10:00: not on that day.
    late = datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert _walls(weekly, accepted_at=late)[0] == "2026-03-05T10:00:00+00:00"
    assert plan_start(late, date(2026, 3, 1), LONDON) == late


def test_monthly_positions_and_intervals() -> None:
    assert _walls("FREQ=MONTHLY;BYDAY=2WE;COUNT=3") == [
        "2026-03-11T10:00:00+00:00",
        "2026-04-08T10:00:00+01:00",
        "2026-05-13T10:00:00+01:00",
    ]
    assert _walls("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2") == [
        "2026-03-27T10:00:00+00:00",
        "2026-04-24T10:00:00+01:00",
    ]
    assert _walls("FREQ=WEEKLY;INTERVAL=2;COUNT=3") == [
        "2026-03-02T10:00:00+00:00",
        "2026-03-16T10:00:00+00:00",
        "2026-03-30T10:00:00+01:00",
    ]
    assert _walls("FREQ=DAILY;INTERVAL=3;COUNT=2", zone=SYDNEY) == [
        "2026-03-03T10:00:00+11:00",  # 08:00 UTC on the 2nd is 19:00 in Sydney
        "2026-03-06T10:00:00+11:00",
    ]


def test_until_as_a_utc_time_a_date_or_a_floating_local_time() -> None:
    utc = _walls("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260324T100000Z")
    assert utc[-1] == "2026-03-24T10:00:00+00:00" and len(utc) == 4
    # The 31st at 10:00 BST is 09:00 UTC: before an UNTIL of 09:30 UTC, so included.
    assert _walls("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331T093000Z")[-1].startswith("2026-03-31")
    as_date = _walls("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331")
    assert as_date[-1] == "2026-03-31T10:00:00+01:00" and len(as_date) == 5
    # Floating (no Z): read in the anchor zone. dateutil alone refuses it.
    floating = _walls("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331T095959", zone=NEW_YORK)
    assert floating[-1] == "2026-03-24T10:00:00-04:00"
    assert _walls("FREQ=WEEKLY;UNTIL=20260301") == []


def test_the_program_end_and_the_limit_end_the_plan() -> None:
    unbounded = Cadence.parse("FREQ=WEEKLY")
    ends = expand_cadence(
        unbounded,
        zone=LONDON,
        local_time=time(10),
        accepted_at=ACCEPTED,
        program_ends_on=date(2026, 3, 23),
    )
    assert len(ends.occurrences) == 4 and ends.complete and ends.occurrences[-1].final
    capped = expand_cadence(
        unbounded, zone=LONDON, local_time=time(10), accepted_at=ACCEPTED, limit=5
    )
    assert len(capped.occurrences) == 5 and not capped.complete
    assert not any(o.final for o in capped.occurrences)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("", "empty"),
        ("FREQ=YEARLY", "YEARLY"),
        ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY;BYDAY=XX", "'XX'"),
        ("FREQ=WEEKLY;BYDAY=2MO", "plain weekdays"),
        ("FREQ=MONTHLY;BYDAY=5MO", "position"),
        ("FREQ=DAILY;BYDAY=MO", "DAILY"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL"),
        ("INTERVAL=2", "FREQ is missing"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ", "NAME=VALUE"),
    ],
)
def test_a_cadence_we_cannot_book_is_refused_saying_why(rule: str, words: str) -> None:
    with pytest.raises(Refused) as refused:
        Cadence.parse(rule)
    assert refused.value.code is Code.INVALID
    assert refused.value.field == "curriculum.cadence"
    assert words in refused.value.message


def test_parsing_is_case_insensitive_and_takes_the_rrule_prefix() -> None:
    assert Cadence.parse("rrule:freq=monthly;byday=1mo,1we;count=4") == Cadence(
        Frequency.MONTHLY, 1, (DaySpec(0, 1), DaySpec(2, 1)), count=4
    )


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    accepted=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    rule=st.sampled_from(
        [
            "FREQ=WEEKLY;COUNT=8",
            "FREQ=DAILY;INTERVAL=2;COUNT=10",
            "FREQ=MONTHLY;BYDAY=1TU;COUNT=5",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=7",
        ]
    ),
)
def test_every_occurrence_is_at_the_wall_time_after_the_start_and_in_order(
    zone: str, accepted: datetime, hour: int, minute: int, rule: str
) -> None:
    anchor = ZoneInfo(zone)
    at = time(hour, minute)
    plan = expand_cadence(Cadence.parse(rule), zone=anchor, local_time=at, accepted_at=accepted)
    targets = [o.target for o in plan.occurrences]
    assert len(targets) == int(rule.rsplit("=", 1)[1])
    assert targets[0] >= accepted
    assert all(a < b for a, b in itertools.pairwise(targets))
    for target in targets:
        wall = target.astimezone(anchor)
        # The wall time, unless it does not exist that day (then PEP 495 moves it on).
        exists = datetime.combine(wall.date(), at, tzinfo=anchor)
        if exists.astimezone(UTC).astimezone(anchor).time() == at:
            assert wall.time() == at
        else:
            assert wall.time() > at and wall - timedelta(hours=1) < exists
