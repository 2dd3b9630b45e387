"""Chart-ready series: each point with its value, what it rests on (its denominator), its
interval and whether it was suppressed, so a chart (or an export) never has to guess.

- adoption over time: mentees and mentors enrolled, and active matches, at the end of each
  period (running totals of the kept tallies; program-wide, so shown as they are);
- satisfaction over time: the mean rating and NPS of each period's answers, each with its
  number of answers and its 95 % interval;
- outcomes: participants against the matched comparison group, per outcome, with Wilson
  intervals; a suppressed comparison is a point without a value, flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from contracts.internal.feedback import OutcomeMetric

from feedback.domain.figures import ProgramFigures
from feedback.domain.insights import ProgramInsights
from feedback.domain.intervals import Interval
from feedback.domain.periods import Grain
from feedback.domain.timeline import timeline


class ChartKind(StrEnum):
    LINES = "LINES"  # a value per period
    BARS = "BARS"  # groups side by side per category


class Axis(StrEnum):
    LEFT = "LEFT"
    RIGHT = "RIGHT"


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # the period ("2025-W07", "2025-03") or the category
    value: float | None  # None: no data, or suppressed
    denominator: int | None  # what the value rests on: answers, people
    interval: Interval | None = None
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: tuple[Point, ...]
    axis: Axis = Axis.LEFT


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # the file name the gateway serves it under
    title: str
    kind: ChartKind
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    y2_label: str | None = None
    note: str | None = None
    y_range: tuple[float, float] | None = None

    def as_json(self) -> dict[str, Any]:
        """The chart-ready series as plain JSON (for exports and GraphQL)."""
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind.value,
            "xLabel": self.x_label,
            "yLabel": self.y_label,
            "y2Label": self.y2_label,
            "note": self.note,
            "yRange": None if self.y_range is None else list(self.y_range),
            "series": [
                {
                    "name": s.name,
                    "axis": s.axis.value,
                    "points": [
                        {
                            "label": p.label,
                            "value": p.value,
                            "denominator": p.denominator,
                            "low": None if p.interval is None else p.interval.low,
                            "high": None if p.interval is None else p.interval.high,
                            "suppressed": p.suppressed,
                        }
                        for p in s.points
                    ],
                }
                for s in self.series
            ],
        }


def adoption(figures: ProgramFigures, grain: Grain, start: datetime, end: datetime) -> Chart:
    periods = timeline(figures, grain, start, end)
    return Chart(
        name="adoption",
        title="Adoption over time",
        kind=ChartKind.LINES,
        x_label=f"{grain.value.lower()} (UTC)",
        y_label="people / matches",
        series=(
            Series(
                "Mentees enrolled",
                tuple(Point(p.period, p.enrolled_mentees, None) for p in periods),
            ),
            Series(
                "Mentors enrolled",
                tuple(Point(p.period, p.enrolled_mentors, None) for p in periods),
            ),
            Series(
                "Active matches", tuple(Point(p.period, p.active_matches, None) for p in periods)
            ),
        ),
    )


def satisfaction(figures: ProgramFigures, grain: Grain, start: datetime, end: datetime) -> Chart:
    periods = timeline(figures, grain, start, end)
    return Chart(
        name="satisfaction",
        title="Rating and NPS over time",
        kind=ChartKind.LINES,
        x_label=f"{grain.value.lower()} (UTC)",
        y_label="average rating (1-5)",
        y2_label="NPS (-100 to 100)",
        series=(
            Series(
                "Average rating",
                tuple(
                    Point(p.period, p.average_rating, p.rating_responses, p.rating_interval)
                    for p in periods
                ),
            ),
            Series(
                "NPS",
                tuple(Point(p.period, p.nps, p.nps_responses, p.nps_interval) for p in periods),
                Axis.RIGHT,
            ),
        ),
        note="95% intervals; each point's number of answers is its denominator",
    )


_OUTCOME_LABELS = {
    OutcomeMetric.PROMOTION: "Promotion",
    OutcomeMetric.INTERNAL_MOBILITY: "Internal mobility",
    OutcomeMetric.RETENTION: "Retention",
}


def outcomes(insights: ProgramInsights, subgroup: str = "all") -> Chart:
    participants, comparison = [], []
    for metric, label in _OUTCOME_LABELS.items():
        row = insights.outcome(metric, subgroup)
        result = None if row is None else row.comparison
        hidden = row is not None and row.suppressed
        if result is None:
            participants.append(Point(label, None, None, suppressed=hidden))
            comparison.append(Point(label, None, None, suppressed=hidden))
            continue
        mine, theirs = result.participants, result.comparison
        participants.append(Point(label, mine.rate, mine.n, mine.interval))
        comparison.append(Point(label, theirs.rate, theirs.n, theirs.interval))
    window = "" if insights.window is None else f" ({insights.window.describe()})"
    return Chart(
        name="outcomes" if subgroup == "all" else f"outcomes-{subgroup}",
        title=f"Outcomes against the comparison group{window}",
        kind=ChartKind.BARS,
        x_label="outcome",
        y_label="share of people in the group at the window's start",
        series=(
            Series("Participants", tuple(participants)),
            Series("Comparison group", tuple(comparison)),
        ),
        note=f"coarsened exact matching; Wilson 95% intervals; groups under {insights.k} "
        "people suppressed",
        y_range=(0.0, 1.05),
    )
