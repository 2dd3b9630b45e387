"""When a delivery is tried again, and what each answer does to it: a pure state machine.

2xx delivers; 410 Gone fails the delivery and disables its endpoint (the receiver said it is
gone for good); anything else (another status, a timeout, a refused target) is retried on the
schedule, with jitter so that endpoints that failed together do not all come back together,
until the schedule runs out. A replay starts a delivery's schedule over, whatever its state."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

# Standard Webhooks' suggestion, in seconds before each attempt: about a day and a half of
# retries after the first try (immediate, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h).
DEFAULT_SCHEDULE_S: Final = (
    0.0,
    5.0,
    300.0,
    1800.0,
    7200.0,
    18000.0,
    36000.0,
    50400.0,
    72000.0,
    86400.0,
)
DEFAULT_JITTER: Final = 0.1
# A receiver's Retry-After is honoured, within reason: never more than a day away.
MAX_RETRY_AFTER_S: Final = 86400.0


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its next attempt
    DELIVERED = "DELIVERED"  # a 2xx came back
    FAILED = "FAILED"  # the schedule ran out, or the endpoint answered 410 Gone


class Verdict(StrEnum):
    DELIVERED = "DELIVERED"
    GONE = "GONE"
    RETRY = "RETRY"


def verdict(status_code: int | None) -> Verdict:
    """What an attempt's answer means (None: no answer: a timeout, a refused target, …)."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    return Verdict.RETRY


@dataclass(frozen=True)
class RetrySchedule:
    """`delays_s[n]`: seconds between attempt n and attempt n+1 (the first, 0, is the first
    attempt itself); each delay spread by ±`jitter` of itself."""

    delays_s: tuple[float, ...] = DEFAULT_SCHEDULE_S
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        if not self.delays_s:
            raise ValueError("a retry schedule needs at least one attempt")
        if any(d < 0 for d in self.delays_s):
            raise ValueError("retry delays cannot be negative")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")

    @property
    def attempts(self) -> int:
        return len(self.delays_s)

    def delay_before(self, attempt: int, spread: float) -> float | None:
        """Seconds to wait before attempt number `attempt` (1-based; attempt 1 is the first),
        `spread` in [0, 1) choosing where in the jitter band; None past the schedule."""
        if not 1 <= attempt <= self.attempts:
            return None
        base = self.delays_s[attempt - 1]
        return base * (1 + self.jitter * (2 * spread - 1))


@dataclass(frozen=True)
class DeliveryState:
    status: DeliveryStatus
    attempts: int  # attempts made since the delivery was created or last replayed
    next_attempt_at: datetime | None  # None unless PENDING


@dataclass(frozen=True)
class Transition:
    state: DeliveryState
    disable_endpoint: bool = False


def created(now: datetime) -> DeliveryState:
    return DeliveryState(DeliveryStatus.PENDING, 0, now)


def after_attempt(
    state: DeliveryState,
    status_code: int | None,
    now: datetime,
    schedule: RetrySchedule,
    spread: float,
    retry_after_s: float | None = None,
) -> Transition:
    """The state after one more attempt answered `status_code`."""
    if state.status is not DeliveryStatus.PENDING:
        raise ValueError(f"a {state.status} delivery is not attempted")
    attempts = state.attempts + 1
    outcome = verdict(status_code)
    if outcome is Verdict.DELIVERED:
        return Transition(DeliveryState(DeliveryStatus.DELIVERED, attempts, None))
    if outcome is Verdict.GONE:
        return Transition(DeliveryState(DeliveryStatus.FAILED, attempts, None), True)
    delay = schedule.delay_before(attempts + 1, spread)
    if delay is None:
        return Transition(DeliveryState(DeliveryStatus.FAILED, attempts, None))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_S))
    return Transition(
        DeliveryState(DeliveryStatus.PENDING, attempts, now + timedelta(seconds=delay))
    )


def replayed(state: DeliveryState, now: datetime) -> DeliveryState:
    """Any delivery, sent again now from the start of its schedule."""
    return replace(state, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
