"""Objective progress: the line from baseline to target, on hand-made dates, and as a
property against the rule restated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from contracts.internal.feedback import ObjectiveStanding
from contracts.programs import ObjectiveMetric, ObjectiveSnapshot
from feedback.domain.objectives import Objective, objective_of, progress
from hypothesis import given, settings
from hypothesis import strategies as st

START = date(2025, 1, 1)
DUE = date(2025, 12, 31)


def objective(target: float = 0.3, baseline: float | None = 0.1) -> Objective:
    return Objective(
        metric=ObjectiveMetric.PROMOTION_RATE, target=target, baseline=baseline, due_on=DUE
    )


def test_feedback_halfway_through_the_line() -> None:
    halfway = START + (DUE - START) / 2
    on = progress(objective(), 0.21, START, halfway)
    assert on.expected == pytest.approx(0.2, abs=0.001)
    assert on.standing is ObjectiveStanding.ON_TRACK and on.on_track is True
    behind = progress(objective(), 0.15, START, halfway)
    assert behind.standing is ObjectiveStanding.BEHIND and behind.on_track is False


def test_feedback_at_the_due_date_an_objective_is_met_or_missed() -> None:
    assert progress(objective(), 0.3, START, DUE).standing is ObjectiveStanding.MET
    assert (
        progress(objective(), 0.29, START, DUE + timedelta(days=5)).standing
        is ObjectiveStanding.MISSED
    )
    assert progress(objective(), 0.31, START, START).standing is ObjectiveStanding.MET  # early


def test_feedback_a_falling_target() -> None:
    # e.g. bring something down from 0.5 to 0.2
    falling = objective(target=0.2, baseline=0.5)
    halfway = START + (DUE - START) / 2
    assert progress(falling, 0.34, START, halfway).standing is ObjectiveStanding.ON_TRACK
    assert progress(falling, 0.4, START, halfway).standing is ObjectiveStanding.BEHIND


def test_feedback_without_a_baseline_or_a_value() -> None:
    no_line = objective(baseline=None)
    assert (
        progress(no_line, 0.1, START, START + timedelta(days=30)).standing
        is ObjectiveStanding.UNKNOWN
    )
    assert (
        progress(no_line, 0.3, START, START + timedelta(days=30)).standing is ObjectiveStanding.MET
    )
    assert progress(no_line, 0.1, START, DUE).standing is ObjectiveStanding.MISSED
    suppressed = progress(objective(), None, START, DUE)
    assert suppressed.standing is ObjectiveStanding.UNKNOWN and suppressed.on_track is None


def test_feedback_an_objective_from_the_program_snapshot() -> None:
    snapshot = ObjectiveSnapshot(
        metric=ObjectiveMetric.SATISFACTION,
        target=4.2,
        baseline=3.8,
        due_on=DUE,
        description="happier",
    )
    assert objective_of(snapshot) == Objective(
        metric=ObjectiveMetric.SATISFACTION,
        target=4.2,
        baseline=3.8,
        due_on=DUE,
        description="happier",
    )


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.integers(-30, 400), st.integers(1, 365)
)
def test_feedback_standing_follows_the_line(
    baseline: float, target: float, current: float, day: int, span: int
) -> None:
    due = START + timedelta(days=span)
    today = START + timedelta(days=day)
    result = progress(
        Objective(
            metric=ObjectiveMetric.PARTICIPATION, target=target, baseline=baseline, due_on=due
        ),
        current,
        START,
        today,
    )
    share = min(1, max(0, day / span))
    expected = baseline + (target - baseline) * share
    assert result.expected == pytest.approx(expected)
    up = target >= baseline
    hit = current >= target if up else current <= target
    if today >= due:
        assert result.standing is (ObjectiveStanding.MET if hit else ObjectiveStanding.MISSED)
    elif hit:
        assert result.standing is ObjectiveStanding.MET
    else:
        along = current >= expected if up else current <= expected
        assert result.standing is (
            ObjectiveStanding.ON_TRACK if along else ObjectiveStanding.BEHIND
        )
