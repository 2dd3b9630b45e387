"""A deterministic cohort for the sessions benchmark: accepted matches between mentors and
mentees in 12 time zones, each person with their working hours and a realistic busy calendar
(about 20 blocks a week, 30 minutes to 2 hours, mostly inside their own working day)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sessions.domain.cadence import Cadence, Occurrence, expand_cadence
from sessions.domain.intervals import Interval
from sessions.domain.slots import Attendee, Busy
from sessions.domain.working_hours import WorkingHours

ZONES = [
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
]
CADENCE = "FREQ=WEEKLY;COUNT=6"  # the program's; the weekday is the plan's first day
SESSION = timedelta(minutes=60)
NOTICE = timedelta(hours=24)
PROGRAM_STARTS = date(2026, 3, 2)  # the weeks when the US and the EU change on different dates
NOW = datetime(2026, 2, 28, 12, tzinfo=UTC)  # when the cohort is planned, all at once
BLOCKS_PER_WEEK = 20
WEEKS = 9  # the plan's six weeks, the acceptances' week and the search windows around them
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
HOURS = [
    WorkingHours(),  # 09:00-17:00, most people
    WorkingHours(),
    WorkingHours(),
    WorkingHours.parse({d: ["08:00-16:00"] for d in WEEKDAYS}),
    WorkingHours.parse({d: ["10:00-18:00"] for d in WEEKDAYS}),
    WorkingHours.parse({d: ["09:00-12:30", "13:30-17:30"] for d in WEEKDAYS}),
    WorkingHours.parse({d: ["09:00-17:00"] for d in WEEKDAYS[:4]}),  # four days a week
]


@dataclass(frozen=True)
class Pair:
    match_id: str
    mentor: Attendee
    mentee: Attendee
    accepted_at: datetime
    occurrences: tuple[Occurrence, ...]  # the cadence, expanded in the mentor's zone


@dataclass(frozen=True)
class Cohort:
    pairs: list[Pair]
    people: int
    busy_blocks: int


def _person(rng: random.Random, person_id: str, zone: str) -> Attendee:
    tz = ZoneInfo(zone)
    hours = rng.choice(HOURS)
    first = PROGRAM_STARTS - timedelta(days=7)
    blocks = []
    for week in range(WEEKS):
        for _ in range(rng.randint(BLOCKS_PER_WEEK - 5, BLOCKS_PER_WEEK + 5)):
            day = first + timedelta(days=7 * week + rng.randrange(5))
            start = datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))))
            length = timedelta(minutes=rng.choice((30, 30, 45, 60, 60, 90, 120)))
            blocks.append(Interval.of(start.replace(tzinfo=tz).astimezone(UTC), length))
    return Attendee(person_id, tz, Busy(tuple(blocks)), hours)


def build(matches: int, seed: int) -> Cohort:
    """`matches` accepted matches; each mentor has one to three mentees."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    people = 0
    busy_blocks = 0
    cadence = Cadence.parse(CADENCE)
    while len(pairs) < matches:
        mentor_zone = rng.randrange(len(ZONES))
        mentor = _person(rng, f"mentor-{people}", ZONES[mentor_zone])
        people += 1
        busy_blocks += _blocks(mentor)
        local_time = time(rng.randint(9, 15), rng.choice((0, 30)))
        for _ in range(min(rng.randint(1, 3), matches - len(pairs))):
            # Matching weighs time zones: most mentees are a few zones away, some far.
            near = (mentor_zone + rng.choice((-2, -1, 0, 0, 1, 2))) % len(ZONES)
            zone = ZONES[near] if rng.random() < 0.85 else rng.choice(ZONES)
            mentee = _person(rng, f"mentee-{people}", zone)
            people += 1
            busy_blocks += _blocks(mentee)
            accepted = datetime.combine(
                NOW.date() - timedelta(days=1 + rng.randrange(7)),
                time(rng.randrange(24), rng.randrange(60)),
                tzinfo=UTC,
            )
            plan = expand_cadence(
                cadence,
                zone=mentor.zone,
                local_time=local_time,
                accepted_at=accepted,
                program_starts_on=PROGRAM_STARTS,
            )
            pairs.append(Pair(f"match-{len(pairs)}", mentor, mentee, accepted, plan.occurrences))
    return Cohort(pairs, people, busy_blocks)


def _blocks(person: Attendee) -> int:
    assert isinstance(person.availability, Busy)
    return len(person.availability.intervals)
