"""The periods insights are kept by: the whole program, each ISO week and each calendar
month, all in UTC (a fact at 23:30 in New York on a Sunday belongs to Monday's UTC week)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class Grain(StrEnum):
    ALL = "ALL"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    """One period: `key` is "" for ALL, "2025-W07" (ISO week) or "2025-02" (month). Keys of
    one grain sort in time order."""

    grain: Grain
    key: str

    def starts_on(self) -> date | None:
        """The period's first day (UTC); None for ALL."""
        if self.grain is Grain.WEEK:
            year, week = self.key.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        if self.grain is Grain.MONTH:
            year, month = self.key.split("-")
            return date(int(year), int(month), 1)
        return None


ALL = Bucket(Grain.ALL, "")


def utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone: facts carry aware times")
    return at.astimezone(UTC)


def week_of(at: datetime) -> Bucket:
    year, week, _ = utc(at).isocalendar()
    return Bucket(Grain.WEEK, f"{year:04d}-W{week:02d}")


def month_of(at: datetime) -> Bucket:
    moment = utc(at)
    return Bucket(Grain.MONTH, f"{moment.year:04d}-{moment.month:02d}")


def buckets_of(at: datetime) -> tuple[Bucket, Bucket, Bucket]:
    """Every bucket a fact at `at` counts in: the whole program, its week, its month."""
    return (ALL, week_of(at), month_of(at))


def periods_between(start: datetime, end: datetime, grain: Grain) -> list[Bucket]:
    """Every bucket of `grain` from the one holding `start` to the one holding `end`, so a
    series shows empty periods as zeros instead of skipping them."""
    if grain is Grain.ALL:
        return [ALL]
    first, last = utc(start), utc(end)
    if last < first:
        return []
    bucket_of = week_of if grain is Grain.WEEK else month_of
    out = [bucket_of(first)]
    day = first
    step = timedelta(days=7) if grain is Grain.WEEK else timedelta(days=28)
    while out[-1] != bucket_of(last):
        day += step
        candidate = bucket_of(day)
        if candidate != out[-1]:
            out.append(candidate)
    return out
