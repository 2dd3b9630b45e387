"""The satisfaction scores: NPS, the mean rating, and the response rate beside them.

NPS (Net Promoter Score) from the 0-10 "how likely are you to recommend" answer: promoters
answer 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % detractors, from -100 to +100,
with passives in the denominator. Every score travels with the number of answers it rests on
and the response rate (answers ÷ requests), so a reader sees how much it can be trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from feedback.domain.intervals import Z95, Interval, mean_interval

RATING_SCALE = (1, 5)
RECOMMEND_SCALE = (0, 10)
GOAL_PROGRESS_SCALE = (1, 5)


class NpsCategory(StrEnum):
    PROMOTER = "PROMOTER"
    PASSIVE = "PASSIVE"
    DETRACTOR = "DETRACTOR"


def nps_category(score: int) -> NpsCategory:
    low, high = RECOMMEND_SCALE
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValueError(f"a recommend score is a whole number from {low} to {high}, not {score!r}")
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


@dataclass(frozen=True, slots=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    def __post_init__(self) -> None:
        if min(self.promoters, self.passives, self.detractors) < 0:
            raise ValueError("NPS counts cannot be negative")

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors; None without answers."""
        n = self.responses
        if n == 0:
            return None
        return 100.0 * (self.promoters - self.detractors) / n

    def interval(self, z: float = Z95) -> Interval | None:
        """Normal approximation: NPS is a difference of two shares of one multinomial, with
        variance (p₊ + p₋ - (p₊ - p₋)²) / n. None below two answers."""
        n = self.responses
        if n < 2:
            return None
        plus, minus = self.promoters / n, self.detractors / n
        centre = plus - minus
        half = z * math.sqrt(max(0.0, plus + minus - centre * centre) / n)
        return Interval(max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)))


def summarize_nps(scores: list[int]) -> NpsSummary:
    """From raw answers (the baseline the incremental counts are checked against)."""
    categories = [nps_category(s) for s in scores]
    return NpsSummary(
        promoters=categories.count(NpsCategory.PROMOTER),
        passives=categories.count(NpsCategory.PASSIVE),
        detractors=categories.count(NpsCategory.DETRACTOR),
    )


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """A mean on the 1-5 rating scale from running sums, so it updates in O(1)."""

    count: int
    total: int
    square_total: int

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def interval(self) -> Interval | None:
        return mean_interval(self.count, self.total, self.square_total, RATING_SCALE)


def response_rate(responses: int, requests: int) -> float | None:
    """Answered requests ÷ requests sent; None before any request went out."""
    if responses < 0 or requests < 0:
        raise ValueError("counts cannot be negative")
    if responses > requests:
        raise ValueError(f"{responses} answers to {requests} requests: a request is answered once")
    return responses / requests if requests else None
