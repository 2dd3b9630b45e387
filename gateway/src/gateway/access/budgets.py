"""Points budgets: each integrator key and each person (end-user token) spends the cost of its
queries (`gateway.graphql.cost`) from a token bucket that refills its whole budget over a
window (GitHub's points, Shopify's leaky bucket).

The buckets live in each gateway worker's memory, not in the gateway's database: a bucket is
touched by every request, and a database write per request (SQLite has one writer; on
PostgreSQL one hot row per busy key) would cost more than the queries it protects. The price:
each worker keeps its own buckets, so with N workers a caller may spend up to N budgets per
window — the budgets are set per worker (GATEWAY_BUDGET_*), and a restart refills them. They
protect the API from one caller; they are not billing."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

MAX_BUCKETS: Final = 100_000


@dataclass(frozen=True)
class BudgetTerms:
    points: int  # the bucket's size: what a caller may spend at once
    window_s: float  # the time it takes an empty bucket to refill

    @property
    def rate(self) -> float:
        return self.points / self.window_s


@dataclass(frozen=True)
class BudgetStatus:
    """After a request: what it asked, what is left, when the bucket is full again."""

    limit: int
    requested: int
    remaining: int
    reset_at: float  # epoch seconds
    retry_after_s: int | None  # throttled: when the request would fit

    @property
    def throttled(self) -> bool:
        return self.retry_after_s is not None

    def headers(self) -> dict[str, str]:
        found = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-used": str(self.limit - self.remaining),
            "x-ratelimit-resource": "graphql",
        }
        if self.retry_after_s is not None:
            found["retry-after"] = str(self.retry_after_s)
        return found


@dataclass
class _Bucket:
    points: float
    updated: float


@dataclass
class Budgets:
    """Every bucket of this worker, by (tenant, key or person)."""

    clock: Callable[[], float] = time.time
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def charge(self, who: str, cost: int, terms: BudgetTerms) -> BudgetStatus:
        """Spend `cost` if the bucket holds it; otherwise spend nothing and say when."""
        bucket, now = self._refilled(who, terms)
        cost = max(cost, 0)
        retry_after = None
        if cost <= bucket.points:
            bucket.points -= cost
        else:
            missing = min(cost, terms.points) - bucket.points
            retry_after = max(1, math.ceil(missing / terms.rate))
        return self._status(bucket, now, terms, cost, retry_after)

    def status(self, who: str, terms: BudgetTerms) -> BudgetStatus:
        bucket, now = self._refilled(who, terms)
        return self._status(bucket, now, terms, 0, None)

    def _refilled(self, who: str, terms: BudgetTerms) -> tuple[_Bucket, float]:
        now = self.clock()
        bucket = self._buckets.get(who)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now, terms)
            bucket = self._buckets[who] = _Bucket(points=float(terms.points), updated=now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.points = min(float(terms.points), bucket.points + elapsed * terms.rate)
            bucket.updated = now
        return bucket, now

    def _forget_full(self, now: float, terms: BudgetTerms) -> None:
        """A full bucket is the same as none: forget those (all, if every one is in use)."""
        full = [
            who
            for who, b in self._buckets.items()
            if b.points + (now - b.updated) * terms.rate >= terms.points
        ]
        for who in full or list(self._buckets):
            del self._buckets[who]

    @staticmethod
    def _status(
        bucket: _Bucket, now: float, terms: BudgetTerms, cost: int, retry_after: int | None
    ) -> BudgetStatus:
        return BudgetStatus(
            limit=terms.points,
            requested=cost,
            remaining=int(bucket.points),
            reset_at=now + (terms.points - bucket.points) / terms.rate,
            retry_after_s=retry_after,
        )


@dataclass
class Meter:
    """One request's account: whose bucket, on what terms; what the request was charged."""

    budgets: Budgets
    who: str
    terms: BudgetTerms
    last: BudgetStatus | None = None

    def charge(self, cost: int) -> BudgetStatus:
        self.last = self.budgets.charge(self.who, max(cost, 1), self.terms)
        return self.last

    def current(self) -> BudgetStatus:
        """What the answer's headers say: the charge, or the bucket as it stands."""
        return self.last if self.last is not None else self.budgets.status(self.who, self.terms)
