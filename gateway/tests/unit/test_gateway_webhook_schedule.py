"""The retry schedule and the delivery state machine: 2xx delivers, 410 fails and disables
the endpoint, anything else retries on the jittered schedule until it runs out; a replay
starts over."""

from datetime import UTC, datetime, timedelta

import pytest
from gateway.webhooks import schedule
from gateway.webhooks.schedule import DeliveryStatus, RetrySchedule
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
delays = st.lists(st.floats(0, 86400), min_size=1, max_size=12).map(tuple)
jitters = st.floats(0, 0.99)
spreads = st.floats(0, 1, exclude_max=True)
answers = st.one_of(st.none(), st.integers(100, 599))


@given(delays, jitters, st.integers(-2, 15), spreads)
def test_a_delay_stays_in_its_jitter_band_and_none_past_the_schedule(
    delays_s: tuple[float, ...], jitter: float, attempt: int, spread: float
) -> None:
    plan = RetrySchedule(delays_s, jitter)
    delay = plan.delay_before(attempt, spread)
    if not 1 <= attempt <= len(delays_s):
        assert delay is None
        return
    base = delays_s[attempt - 1]
    assert delay is not None
    assert base * (1 - jitter) - 1e-6 <= delay <= base * (1 + jitter) + 1e-6


@given(delays, jitters, st.lists(st.tuples(answers, spreads), max_size=20))
def test_any_run_of_answers_ends_as_the_rules_say(
    delays_s: tuple[float, ...], jitter: float, run: list[tuple[int | None, float]]
) -> None:
    plan = RetrySchedule(delays_s, jitter)
    state = schedule.created(NOW)
    now = NOW
    for status_code, spread in run:
        if state.status is not DeliveryStatus.PENDING:
            with pytest.raises(ValueError):
                schedule.after_attempt(state, status_code, now, plan, spread)
            break
        step = schedule.after_attempt(state, status_code, now, plan, spread)
        assert step.state.attempts == state.attempts + 1
        assert step.disable_endpoint == (status_code == 410)
        if status_code is not None and 200 <= status_code < 300:
            assert step.state.status is DeliveryStatus.DELIVERED
        elif status_code == 410 or step.state.attempts >= plan.attempts:
            assert step.state.status is DeliveryStatus.FAILED
        else:
            assert step.state.status is DeliveryStatus.PENDING
            assert step.state.next_attempt_at is not None
            wait = step.state.next_attempt_at - now
            base = delays_s[step.state.attempts]
            assert wait >= timedelta(seconds=base * (1 - jitter) - 1e-3)
            now = step.state.next_attempt_at
        assert (step.state.next_attempt_at is None) == (
            step.state.status is not DeliveryStatus.PENDING
        )
        assert step.state.attempts <= plan.attempts
        state = step.state


@given(st.sampled_from(list(DeliveryStatus)), st.integers(0, 20))
def test_a_replay_starts_any_delivery_over_now(status: DeliveryStatus, attempts: int) -> None:
    state = schedule.DeliveryState(status, attempts, None)
    again = schedule.replayed(state, NOW)
    assert again == schedule.DeliveryState(DeliveryStatus.PENDING, 0, NOW)


def test_the_default_schedule_spans_hours_and_grows() -> None:
    plan = RetrySchedule()
    assert plan.attempts == 10
    assert list(plan.delays_s) == sorted(plan.delays_s)
    assert sum(plan.delays_s) > 24 * 3600


def test_retry_after_is_honoured_within_a_day() -> None:
    plan = RetrySchedule((0, 5, 5), 0)
    state = schedule.created(NOW)
    later = schedule.after_attempt(state, 429, NOW, plan, 0.5, retry_after_s=120)
    assert later.state.next_attempt_at == NOW + timedelta(seconds=120)
    capped = schedule.after_attempt(state, 503, NOW, plan, 0.5, retry_after_s=10**9)
    assert capped.state.next_attempt_at == NOW + timedelta(seconds=schedule.MAX_RETRY_AFTER_S)


def test_a_schedule_must_make_sense() -> None:
    with pytest.raises(ValueError):
        RetrySchedule(())
    with pytest.raises(ValueError):
        RetrySchedule((0, -1))
    with pytest.raises(ValueError):
        RetrySchedule((0,), 1.0)


@pytest.mark.parametrize(
    ("status_code", "verdict"),
    [
        (200, schedule.Verdict.DELIVERED),
        (204, schedule.Verdict.DELIVERED),
        (410, schedule.Verdict.GONE),
        (301, schedule.Verdict.RETRY),
        (404, schedule.Verdict.RETRY),
        (429, schedule.Verdict.RETRY),
        (500, schedule.Verdict.RETRY),
        (None, schedule.Verdict.RETRY),
    ],
)
def test_verdicts(status_code: int | None, verdict: schedule.Verdict) -> None:
    assert schedule.verdict(status_code) is verdict
