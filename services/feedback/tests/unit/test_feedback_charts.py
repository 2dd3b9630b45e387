"""Charts looked at: the SVG parses, has its title, axis labels and series labels, draws a
point for each value and none for a missing or suppressed one (labelled as suppressed); the
PNG is a PNG of the expected size. And the series carry denominators and intervals."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from contracts.internal.feedback import OutcomeMetric
from contracts.programs import ParticipantRole
from feedback.adapters.charts.render import render_png, render_svg
from feedback.adapters.charts.series import (
    Chart,
    ChartKind,
    Point,
    Series,
    adoption,
    outcomes,
    satisfaction,
)
from feedback.domain.comparison import compare
from feedback.domain.facts import EnrollmentFact, ResponseFact
from feedback.domain.figures import ProgramFigures, apply, change
from feedback.domain.insights import OutcomeRow, answer, protect
from feedback.domain.intervals import Interval
from feedback.domain.outcomes import OutcomeKey, OutcomeWindow, Stratum
from feedback.domain.periods import Grain

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2025, 1, 6, 9, tzinfo=UTC)


def texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def ids(svg: bytes) -> set[str]:
    return {e.get("id", "") for e in ET.fromstring(svg).iter()}  # noqa: S314


def program() -> ProgramFigures:
    figures = ProgramFigures("p1")
    facts = [
        EnrollmentFact(
            id=f"e{i}",
            program_id="p1",
            revision=1,
            person_id=f"x{i}",
            role=ParticipantRole.MENTEE if i % 3 else ParticipantRole.MENTOR,
            joined_at=T0 + timedelta(days=i),
            left_at=None,
        )
        for i in range(30)
    ]
    # Answers in weeks 1 and 3, none in week 2.
    facts += [
        ResponseFact(
            id=f"r{i}",
            program_id="p1",
            revision=1,
            submitted_at=T0 + timedelta(days=(0 if i < 6 else 14) + i % 3),
            rating=3 + i % 3,
            recommend=5 + i % 6,
            goal_progress=None,
        )
        for i in range(12)
    ]
    for fact in facts:
        figures = apply(figures, change(fact, None))
    return figures


def test_feedback_the_satisfaction_chart_shows_its_series_with_denominators() -> None:
    chart = satisfaction(program(), Grain.WEEK, T0, T0 + timedelta(days=20))
    rating, score = chart.series
    assert [p.label for p in rating.points] == ["2025-W02", "2025-W03", "2025-W04"]
    assert [p.denominator for p in rating.points] == [6, 0, 6]
    assert rating.points[1].value is None and not rating.points[1].suppressed  # no answers
    assert rating.points[0].value == pytest.approx(4.0)
    assert rating.points[0].interval is not None and 4.0 in rating.points[0].interval
    assert score.points[0].value is not None and score.points[0].interval is not None
    svg = render_svg(chart)
    words = texts(svg)
    for expected in (
        "Rating and NPS over time",
        "average rating (1-5)",
        "NPS (-100 to 100)",
        "week (UTC)",
        "Average rating",
        "NPS",
    ):
        assert expected in words, expected
    drawn = ids(svg)
    assert {"point-average-rating-2025-w02", "point-average-rating-2025-w04"} <= drawn
    assert "point-average-rating-2025-w03" not in drawn  # a week without answers
    assert "interval-average-rating" in drawn
    assert chart.as_json()["series"][0]["points"][1] == {
        "label": "2025-W03",
        "value": None,
        "denominator": 0,
        "low": None,
        "high": None,
        "suppressed": False,
    }


def test_feedback_the_adoption_chart_is_a_running_total() -> None:
    chart = adoption(program(), Grain.MONTH, T0, T0 + timedelta(days=40))
    mentees = chart.series[0]
    assert [(p.label, p.value) for p in mentees.points] == [("2025-01", 17), ("2025-02", 20)]
    assert "Mentees enrolled" in texts(render_svg(chart))
    with pytest.raises(ValueError, match="WEEK or MONTH"):
        adoption(program(), Grain.ALL, T0, T0)


def test_feedback_a_suppressed_point_is_not_drawn_but_labelled() -> None:
    chart = Chart(
        name="demo",
        title="Demo",
        kind=ChartKind.LINES,
        x_label="x",
        y_label="y",
        series=(
            Series(
                "Share",
                (
                    Point("a", 0.4, 20, Interval(0.2, 0.6)),
                    Point("b", None, None, suppressed=True),
                    Point("c", 0.5, 30, Interval(0.3, 0.7)),
                ),
            ),
        ),
    )
    svg = render_svg(chart)
    drawn = ids(svg)
    assert {"point-share-a", "point-share-c", "suppressed-share-b"} <= drawn
    assert "point-share-b" not in drawn
    assert "suppressed" in texts(svg)


def outcome_counts() -> dict[OutcomeKey, int]:
    counts: dict[OutcomeKey, int] = {}
    for department, participants in (("Sales", 60), ("Ops", 4)):
        for participant, n in ((True, participants), (False, 10 * participants)):
            for i in range(n):
                key = OutcomeKey(
                    Stratum(2, "1-3y", department, False),
                    participant,
                    i % 4 == 0,
                    i % (3 if participant else 6) == 0,
                    i % 5 == 0,
                    i % 10 != 0,
                )
                counts[key] = counts.get(key, 0) + 1
    return counts


def test_feedback_the_outcomes_chart_has_error_bars_and_hides_small_groups() -> None:
    window = OutcomeWindow(T0, T0 + timedelta(days=365))
    counts = outcome_counts()
    protected = protect({}, counts, window)
    insights = answer(
        ProgramFigures("p1"), protected, [], eligible=None, started_on=T0.date(), as_of=T0
    )
    chart = outcomes(insights)
    participants, comparison = chart.series
    expected = compare(counts, OutcomeMetric.PROMOTION, window)
    assert participants.points[0].value == expected.participants.rate
    assert participants.points[0].denominator == expected.participants.n
    assert comparison.points[0].interval == expected.comparison.interval
    svg = render_svg(chart)
    drawn = ids(svg)
    assert "point-participants-promotion" in drawn and "interval-participants-promotion" in drawn
    for label in ("Participants", "Comparison group", "Promotion", "Internal mobility"):
        assert label in texts(svg)
    # Ops has 4 participants: its chart draws no bar, only the label.
    small = outcomes(insights, "department=Ops")
    assert all(p.suppressed and p.value is None for s in small.series for p in s.points)
    svg = render_svg(small)
    assert not any(i.startswith("point-") for i in ids(svg))
    assert "suppressed-participants-promotion" in ids(svg)
    row = insights.outcome(OutcomeMetric.PROMOTION, "department=Ops")
    assert isinstance(row, OutcomeRow) and row.suppressed


def test_feedback_the_png_is_a_png_of_the_chart_size() -> None:
    png = render_png(satisfaction(program(), Grain.WEEK, T0, T0 + timedelta(days=20)))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (900, 480)
    assert 10_000 < len(png) < 500_000
