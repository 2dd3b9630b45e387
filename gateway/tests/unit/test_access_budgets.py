"""Points budgets as token buckets: a caller spends up to its budget at once, is refused (and
charged nothing) when a query does not fit, learns when it would, and the bucket refills at
the budget per window. Property: whatever the sequence of requests and pauses, a caller never
spends more than its budget plus what the elapsed time refilled."""

from gateway.access.budgets import Budgets, BudgetTerms
from hypothesis import given
from hypothesis import strategies as st

TERMS = BudgetTerms(points=100, window_s=100.0)  # one point a second


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_query_that_does_not_fit_is_refused_and_told_when() -> None:
    clock = Clock()
    budgets = Budgets(clock=clock)
    assert budgets.charge("t/k", 70, TERMS).remaining == 30
    refused = budgets.charge("t/k", 50, TERMS)
    assert (refused.throttled, refused.retry_after_s, refused.remaining) == (True, 20, 30)
    assert refused.headers()["retry-after"] == "20"
    assert budgets.charge("t/other", 50, TERMS).remaining == 50  # each caller its own bucket
    clock.now += 20
    fits = budgets.charge("t/k", 50, TERMS)
    assert not fits.throttled and fits.remaining == 0
    assert fits.reset_at == clock.now + 100  # empty: full again after the whole window
    assert fits.headers()["x-ratelimit-limit"] == "100"


@given(st.lists(st.tuples(st.integers(0, 150), st.floats(0, 50)), max_size=40))
def test_never_more_than_the_budget_and_the_refill(steps: list[tuple[int, float]]) -> None:
    clock = Clock()
    budgets = Budgets(clock=clock)
    spent, elapsed = 0, 0.0
    for cost, pause in steps:
        clock.now += pause
        elapsed += pause
        status = budgets.charge("t/k", cost, TERMS)
        if not status.throttled:
            spent += cost
        assert 0 <= status.remaining <= TERMS.points
        assert spent <= TERMS.points + elapsed * TERMS.rate + 1e-6
