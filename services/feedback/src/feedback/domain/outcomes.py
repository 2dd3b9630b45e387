"""Each person's career outcome over an explicit window, and the counts they add up to.

For a window [start, end), the group is everyone in the org at its start (the denominator
every rate names). Each is described by their stratum at the start (level, tenure band,
department, promoted in the year before: what the comparison matches on) and whether, within
the window, they were promoted, made an internal move (definitions in `org_history`) and were
still in the org at its end (retained). Someone who leaves during the window stays in its
denominator: a promotion before leaving still counts.

The counts by (stratum, participant, under-represented, outcome) are what the comparison is
computed from; a person whose history changes replaces their old record's contribution, so
they are kept up to date one person at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from feedback.domain.org_history import (
    PersonHistory,
    department_at,
    in_org,
    level_at,
    move_days,
    promotion_days,
)
from feedback.domain.periods import utc


@dataclass(frozen=True, slots=True)
class OutcomeWindow:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not utc(self.start) < utc(self.end):
            raise ValueError("an outcome window ends after it starts")

    def describe(self) -> str:
        return f"{utc(self.start).date().isoformat()} to {utc(self.end).date().isoformat()}"


@dataclass(frozen=True, slots=True)
class Coarsening:
    """How finely people are matched: tenure in bands (upper bounds in years), level in
    bands of `level_width` (1: exact), department exact."""

    tenure_bands: tuple[float, ...] = (1, 3, 5, 10)
    level_width: int = 1

    def __post_init__(self) -> None:
        if list(self.tenure_bands) != sorted(set(self.tenure_bands)) or not self.tenure_bands:
            raise ValueError("tenure bands are increasing upper bounds, at least one")
        if self.level_width < 1:
            raise ValueError("a level band is at least 1 wide")

    def tenure_band(self, years: float) -> str:
        lower = 0.0
        for upper in self.tenure_bands:
            if years < upper:
                return f"{lower:g}-{upper:g}y"
            lower = upper
        return f"{lower:g}y+"

    def level_band(self, level: int) -> int:
        return level // self.level_width * self.level_width


class Stratum(NamedTuple):
    level: int
    tenure_band: str
    department: str
    promoted_prior_year: bool


class OutcomeKey(NamedTuple):
    stratum: Stratum | None  # None: level, department or hire date unknown at the start
    participant: bool
    underrepresented: bool | None
    promoted: bool
    moved: bool
    retained: bool


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    person_id: str
    key: OutcomeKey


def outcome_record(
    history: PersonHistory, window: OutcomeWindow, participant: bool, coarsening: Coarsening
) -> OutcomeRecord | None:
    """None if the person was not in the org at the window's start."""
    start, end = utc(window.start), utc(window.end)
    if not in_org(history, start):
        return None
    assert history.hired_on is not None  # in_org needs a hire date
    level, department = level_at(history, start), department_at(history, start)
    promoted_on = promotion_days(history.moves)
    stratum = None
    if level is not None and department is not None:
        prior = {d for d in promoted_on if (start - timedelta(days=365)).date() <= d < start.date()}
        years = (start.date() - history.hired_on).days / 365.25
        stratum = Stratum(
            coarsening.level_band(level), coarsening.tenure_band(years), department, bool(prior)
        )
    within = range(start.toordinal(), end.toordinal())  # day ordinals of [start, end)
    return OutcomeRecord(
        history.person_id,
        OutcomeKey(
            stratum=stratum,
            participant=participant,
            underrepresented=history.underrepresented,
            promoted=any(d.toordinal() in within for d in promoted_on),
            moved=any(d.toordinal() in within for d in move_days(history.moves)),
            retained=history.left_at is None or utc(history.left_at) >= end,
        ),
    )


def record_change(
    new: OutcomeRecord | None, previous: OutcomeRecord | None
) -> dict[OutcomeKey, int]:
    """What replacing a person's previous record with the new one changes in the counts."""
    if new is not None and previous is not None and new.person_id != previous.person_id:
        raise ValueError(f"{new.person_id}'s record cannot replace {previous.person_id}'s")
    delta: Counter[OutcomeKey] = Counter()
    if new is not None:
        delta[new.key] += 1
    if previous is not None:
        delta[previous.key] -= 1
    return {k: n for k, n in delta.items() if n}


def apply_counts(
    counts: Mapping[OutcomeKey, int], delta: Mapping[OutcomeKey, int]
) -> dict[OutcomeKey, int]:
    out = dict(counts)
    for key, n in delta.items():
        total = out.get(key, 0) + n
        if total < 0:
            raise ValueError(f"{key} would count {total} people")
        if total:
            out[key] = total
        else:
            out.pop(key, None)
    return out


def count_records(records: Iterable[OutcomeRecord | None]) -> dict[OutcomeKey, int]:
    """The baseline: counts from every person's record at once."""
    return dict(Counter(r.key for r in records if r is not None))
