"""NPS, mean ratings, response rates and the Wilson / Newcombe intervals: boundaries, known
published values, and the properties an interval must have."""

from __future__ import annotations

import math

import pytest
from feedback.domain.intervals import (
    Interval,
    kish_effective_n,
    mean_interval,
    newcombe_difference,
    weighted_wilson,
    wilson,
)
from feedback.domain.scores import (
    NpsCategory,
    NpsSummary,
    RatingSummary,
    nps_category,
    response_rate,
    summarize_nps,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, NpsCategory.DETRACTOR),
        (6, NpsCategory.DETRACTOR),  # the boundary everyone gets wrong
        (7, NpsCategory.PASSIVE),
        (8, NpsCategory.PASSIVE),
        (9, NpsCategory.PROMOTER),
        (10, NpsCategory.PROMOTER),
    ],
)
def test_feedback_nps_boundaries(score: int, category: NpsCategory) -> None:
    assert nps_category(score) is category


@pytest.mark.parametrize("score", [-1, 11, 7.5, True, "9"])
def test_feedback_nps_refuses_what_is_not_a_score(score: object) -> None:
    with pytest.raises(ValueError, match="recommend score"):
        nps_category(score)  # type: ignore[arg-type]


def test_feedback_nps_keeps_passives_in_the_denominator() -> None:
    # 3 promoters, 4 passives, 3 detractors: (3 - 3) / 10 → 0, not (3 - 3) / 6.
    summary = summarize_nps([9, 10, 9, 7, 7, 8, 8, 6, 0, 5])
    assert (summary.promoters, summary.passives, summary.detractors) == (3, 4, 3)
    assert summary.score == 0.0
    assert summarize_nps([10, 10, 7, 6]).score == 25.0  # (2 - 1) / 4
    assert summarize_nps([6, 6]).score == -100.0
    assert summarize_nps([]).score is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_feedback_nps_lies_in_range_and_its_interval_holds_it(scores: list[int]) -> None:
    summary = summarize_nps(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    assert summary.score == pytest.approx(100 * (promoters - detractors) / len(scores))
    assert summary.score is not None and -100 <= summary.score <= 100
    interval = summary.interval()
    if len(scores) >= 2:
        assert interval is not None and summary.score in interval
        assert -100 <= interval.low <= interval.high <= 100
    else:
        assert interval is None


def test_feedback_nps_counts_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        NpsSummary(-1, 0, 0)


def test_feedback_mean_rating_and_its_interval() -> None:
    ratings = [5, 4, 4, 3, 5, 2]
    summary = RatingSummary(len(ratings), sum(ratings), sum(r * r for r in ratings))
    assert summary.mean == pytest.approx(23 / 6)
    sd = math.sqrt(sum((r - 23 / 6) ** 2 for r in ratings) / 5)
    interval = summary.interval()
    assert interval is not None
    assert interval.low == pytest.approx(23 / 6 - 1.959964 * sd / math.sqrt(6), abs=1e-5)
    assert interval.high == pytest.approx(min(5, 23 / 6 + 1.959964 * sd / math.sqrt(6)), abs=1e-5)
    assert RatingSummary(0, 0, 0).mean is None
    assert RatingSummary(1, 4, 16).interval() is None  # one answer has no spread
    # Identical answers: no spread, a point interval inside the scale.
    assert mean_interval(3, 15, 75, (1, 5)) == Interval(5.0, 5.0)


def test_feedback_response_rate() -> None:
    assert response_rate(3, 4) == 0.75
    assert response_rate(0, 0) is None
    with pytest.raises(ValueError, match="answered once"):
        response_rate(5, 4)
    with pytest.raises(ValueError):
        response_rate(-1, 4)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", table I
# (method 3, the Wilson score interval without continuity correction).
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_feedback_wilson_matches_published_values(x: int, n: int, low: float, high: float) -> None:
    interval = wilson(x, n)
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


# Newcombe (1998), "Interval estimation for the difference between independent
# proportions", table II, method 10 (the hybrid score interval).
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)],
)
def test_feedback_newcombe_difference_matches_published_values(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    p1, p2 = x1 / n1, x2 / n2
    interval = newcombe_difference(p1, wilson(x1, n1), p2, wilson(x2, n2))
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_feedback_wilson_lies_in_the_unit_range_and_contains_the_estimate(
    case: tuple[int, int],
) -> None:
    x, n = case
    interval = wilson(x, n)
    assert 0 <= interval.low <= x / n <= interval.high <= 1
    # It narrows as n grows at the same proportion.
    wider = wilson(x, n)
    narrower = wilson(4 * x, 4 * n)
    assert narrower.width < wider.width


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1), st.floats(1, 10_000))
def test_feedback_weighted_wilson_on_an_effective_n(rate: float, n_eff: float) -> None:
    interval = weighted_wilson(rate, n_eff)
    assert 0 <= interval.low <= rate <= interval.high <= 1


def test_feedback_kish_effective_n() -> None:
    assert kish_effective_n(10, 10) == 10  # ten weights of 1
    assert kish_effective_n(4, 10) == pytest.approx(1.6)  # weights 3 and 1
    with pytest.raises(ValueError):
        kish_effective_n(0, 0)


def test_feedback_intervals_refuse_impossible_input() -> None:
    with pytest.raises(ValueError, match="at least one trial"):
        wilson(0, 0)
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson(5, 4)
    with pytest.raises(ValueError):
        Interval(2, 1)
