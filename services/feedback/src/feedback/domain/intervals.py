"""95 % confidence intervals for the figures insights show.

- proportions: the Wilson score interval (good coverage at small n and near 0 or 1, never
  outside [0, 1], unlike the textbook p ± z·se);
- a weighted proportion (a comparison group weighted to mirror the participants): Wilson on
  Kish's effective sample size (Σw)² / Σw²;
- a difference of two independent proportions: Newcombe's hybrid score interval (method 10 of
  Newcombe 1998), built from the two Wilson intervals;
- a mean on a bounded scale (ratings): the normal interval mean ± z·s/√n, kept inside the
  scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"an interval's low end ({self.low}) is above its high end")

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high


def wilson(successes: float, trials: float, z: float = Z95) -> Interval:
    """The Wilson score interval for `successes` of `trials` (both may be fractional, for an
    effective sample size)."""
    if not trials > 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes ({successes}) must lie between 0 and trials ({trials})")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    center = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # Rounding can push an end a hair past p̂ or [0, 1]; the interval always contains p̂.
    return Interval(max(0.0, min(center - half, p)), min(1.0, max(center + half, p)))


def kish_effective_n(weight_sum: float, weight_square_sum: float) -> float:
    """How many unweighted observations a weighted sample is worth: (Σw)² / Σw²."""
    if weight_square_sum <= 0:
        raise ValueError("a weighted sample needs a positive weight")
    return weight_sum * weight_sum / weight_square_sum


def weighted_wilson(rate: float, effective_n: float, z: float = Z95) -> Interval:
    """Wilson's interval for a weighted proportion, on its effective sample size."""
    if not 0 <= rate <= 1:
        raise ValueError(f"a rate must lie in [0, 1], not {rate}")
    interval = wilson(min(effective_n, rate * effective_n), effective_n, z)
    # rate * n / n can differ from rate in its last bit; the interval holds the rate itself.
    return Interval(min(interval.low, rate), max(interval.high, rate))


def newcombe_difference(p1: float, interval1: Interval, p2: float, interval2: Interval) -> Interval:
    """The hybrid score interval for p1 - p2, from each proportion's Wilson interval."""
    difference = p1 - p2
    low = difference - math.hypot(p1 - interval1.low, interval2.high - p2)
    high = difference + math.hypot(interval1.high - p1, p2 - interval2.low)
    return Interval(max(-1.0, low), min(1.0, high))


def mean_interval(
    count: int, total: float, square_total: float, scale: tuple[float, float], z: float = Z95
) -> Interval | None:
    """mean ± z·s/√n from running sums (n, Σx, Σx²), clipped to the scale; None below two
    answers (no spread to speak of)."""
    if count < 2:
        return None
    mean = total / count
    variance = max(0.0, (square_total - count * mean * mean) / (count - 1))
    half = z * math.sqrt(variance / count)
    low, high = scale
    return Interval(max(low, mean - half), min(high, mean + half))
