"""A program's figures period by period (ISO weeks or months, UTC), for the insights time
series and the charts: states at the end of each period are running sums of the kept
tallies, activity is the period's own. Program-wide operational figures: shown as they are,
each rate beside the count it rests on. Periods with nothing happening are listed as zeros."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from feedback.domain.figures import ZERO, ProgramFigures
from feedback.domain.intervals import Interval
from feedback.domain.periods import Grain, periods_between


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    period: str  # "2025-W07" or "2025-03"
    starts_on: date
    # At the period's end:
    enrolled_mentors: int
    enrolled_mentees: int
    active_matches: int
    # Within the period:
    matches_started: int
    sessions_completed: int
    responses: int
    average_rating: float | None
    rating_interval: Interval | None
    rating_responses: int
    nps: float | None
    nps_interval: Interval | None
    nps_responses: int
    requests: int  # that fell due in the period
    response_rate: float | None  # of those requests, the share answered


def timeline(
    figures: ProgramFigures, grain: Grain, start: datetime, end: datetime
) -> list[PeriodFigures]:
    """Every period of `grain` from the one holding `start` to the one holding `end`."""
    if grain is Grain.ALL:
        raise ValueError("a series over time is by WEEK or MONTH")
    kept = dict(figures.series(grain))
    running = ZERO
    # Periods before `start` still count towards the running states.
    first = periods_between(start, start, grain)[0]
    for bucket, tally in kept.items():
        if bucket < first:
            running = running.plus(tally)
    out = []
    for bucket in periods_between(start, end, grain):
        tally = kept.get(bucket, ZERO)
        running = running.plus(tally)
        starts_on = bucket.starts_on()
        assert starts_on is not None  # weeks and months have a first day
        out.append(
            PeriodFigures(
                period=bucket.key,
                starts_on=starts_on,
                enrolled_mentors=running.enrolled_mentors,
                enrolled_mentees=running.enrolled_mentees,
                active_matches=running.active_matches,
                matches_started=tally.matches_started,
                sessions_completed=tally.sessions_completed,
                responses=tally.responses,
                average_rating=tally.rating.mean,
                rating_interval=tally.rating.interval(),
                rating_responses=tally.rating_count,
                nps=tally.nps.score,
                nps_interval=tally.nps.interval(),
                nps_responses=tally.nps.responses,
                requests=tally.requests,
                response_rate=tally.response_rate,
            )
        )
    return out
