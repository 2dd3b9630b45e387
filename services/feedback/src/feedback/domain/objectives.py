"""A program's objectives against their current values.

The rule: a straight line from the baseline on the program's start date to the target on the
due date. Before the due date an objective is ON_TRACK when its current value is at least as
far along that line as today's point on it (for a target below the baseline, at most), and
BEHIND otherwise; from the due date on it is MET if the target is reached, MISSED if not. Without
a baseline there is no line: an objective is MET once its target is reached and UNKNOWN until
then (and at the due date, MET or MISSED). Without a current value (no data yet, or a figure
suppressed to protect a small group) it is UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.internal.feedback import ObjectiveStanding
from contracts.programs import ObjectiveMetric, ObjectiveSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    metric: ObjectiveMetric
    target: float
    baseline: float | None
    due_on: date
    description: str | None = None


def objective_of(snapshot: ObjectiveSnapshot) -> Objective:
    return Objective(
        metric=snapshot.metric,
        target=snapshot.target,
        baseline=snapshot.baseline,
        due_on=snapshot.due_on,
        description=snapshot.description,
    )


@dataclass(frozen=True, slots=True)
class ObjectiveProgress:
    objective: Objective
    current: float | None
    expected: float | None  # today's point on the line from baseline to target
    standing: ObjectiveStanding
    as_of: date

    @property
    def on_track(self) -> bool | None:
        """The sketch's `onTrack`: None when it cannot be told."""
        if self.standing in (ObjectiveStanding.ON_TRACK, ObjectiveStanding.MET):
            return True
        if self.standing in (ObjectiveStanding.BEHIND, ObjectiveStanding.MISSED):
            return False
        return None


def progress(
    objective: Objective, current: float | None, started_on: date, today: date
) -> ObjectiveProgress:
    baseline, target = objective.baseline, objective.target
    rising = baseline is None or target >= baseline

    def reached(value: float, goal: float) -> bool:
        return value >= goal if rising else value <= goal

    expected = None
    if baseline is not None:
        span = (objective.due_on - started_on).days
        elapsed = (today - started_on).days
        share = 1.0 if span <= 0 else min(1.0, max(0.0, elapsed / span))
        expected = baseline + (target - baseline) * share
    if current is None:
        standing = ObjectiveStanding.UNKNOWN
    elif today >= objective.due_on:
        standing = ObjectiveStanding.MET if reached(current, target) else ObjectiveStanding.MISSED
    elif reached(current, target):
        standing = ObjectiveStanding.MET
    elif expected is None:
        standing = ObjectiveStanding.UNKNOWN
    else:
        standing = (
            ObjectiveStanding.ON_TRACK if reached(current, expected) else ObjectiveStanding.BEHIND
        )
    return ObjectiveProgress(objective, current, expected, standing, today)
