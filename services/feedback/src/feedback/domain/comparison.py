"""Participants against a fair comparison group: coarsened exact matching (CEM).

People are grouped into strata by level, tenure band, department and prior-year promotion at
the window's start. A stratum with participants and non-participants is matched; one with
participants only is dropped (its participants are counted, never silently lost), one with
non-participants only is not used. Within matched strata the participants' rate is the plain
proportion; the comparison group is weighted so its strata mirror the participants'
(CEM weights w_s = (T_s / T) / (C_s / C)), which makes its rate Σ_s (T_s / T) · rate_s.
Intervals: Wilson 95 % for the participants; Wilson on Kish's effective n for the weighted
comparison; Newcombe's hybrid score interval for the difference.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from contracts.internal.feedback import OutcomeMetric

from feedback.domain.intervals import (
    Interval,
    kish_effective_n,
    newcombe_difference,
    weighted_wilson,
    wilson,
)
from feedback.domain.outcomes import OutcomeKey, OutcomeWindow, Stratum

METHOD = (
    "coarsened exact matching on level, tenure band, department and prior-year promotion; "
    "comparison group of non-participants weighted to the participants' strata; "
    "Wilson 95% intervals (comparison: on Kish's effective n); "
    "difference: Newcombe hybrid score interval"
)


def _event(key: OutcomeKey, metric: OutcomeMetric) -> bool:
    if metric is OutcomeMetric.PROMOTION:
        return key.promoted
    if metric is OutcomeMetric.INTERNAL_MOBILITY:
        return key.moved
    return key.retained


@dataclass(frozen=True, slots=True)
class GroupRate:
    n: int  # people counted (comparison: non-participants in matched strata)
    events: int  # of them, how many had the outcome (unweighted)
    rate: float | None  # comparison: weighted to the participants' strata
    interval: Interval | None
    effective_n: float | None  # what the weighted comparison is worth; participants: n


@dataclass(frozen=True, slots=True)
class OutcomeComparison:
    metric: OutcomeMetric
    window: OutcomeWindow
    participants: GroupRate
    comparison: GroupRate
    difference: float | None  # participants - comparison
    difference_interval: Interval | None
    strata_matched: int
    strata_dropped: int  # with participants but no one to compare them with
    participants_dropped: int  # in dropped strata, or with an unknown stratum
    method: str = METHOD


@dataclass
class _Cell:
    treated: int = 0
    treated_events: int = 0
    control: int = 0
    control_events: int = 0


def compare(
    counts: Mapping[OutcomeKey, int],
    metric: OutcomeMetric,
    window: OutcomeWindow,
    where: Callable[[OutcomeKey], bool] | None = None,
) -> OutcomeComparison:
    """`where` narrows both groups alike (e.g. the under-represented, or one department)
    before matching."""
    cells: defaultdict[Stratum, _Cell] = defaultdict(_Cell)
    unknown = 0
    for key, n in counts.items():
        if n < 0:
            raise ValueError(f"{key} counts {n} people")
        if where is not None and not where(key):
            continue
        if key.stratum is None:
            unknown += n if key.participant else 0
            continue
        cell = cells[key.stratum]
        event = _event(key, metric)
        if key.participant:
            cell.treated += n
            cell.treated_events += n * event
        else:
            cell.control += n
            cell.control_events += n * event
    # In stratum order, and summed exactly: the same counts give the same figures whatever
    # order they were kept in.
    ordered = [cells[s] for s in sorted(cells)]
    matched = [c for c in ordered if c.treated and c.control]
    dropped = [c for c in ordered if c.treated and not c.control]
    treated = sum(c.treated for c in matched)
    treated_events = sum(c.treated_events for c in matched)
    control = sum(c.control for c in matched)
    control_events = sum(c.control_events for c in matched)
    participants = GroupRate(treated, treated_events, None, None, None)
    comparison = GroupRate(control, control_events, None, None, None)
    difference = difference_interval = None
    if treated:
        p1 = treated_events / treated
        i1 = wilson(treated_events, treated)
        participants = GroupRate(treated, treated_events, p1, i1, float(treated))
        p2 = math.fsum(c.treated / treated * c.control_events / c.control for c in matched)
        weights = [(c.control, c.treated / treated / (c.control / control)) for c in matched]
        n_eff = kish_effective_n(
            math.fsum(n * w for n, w in weights), math.fsum(n * w * w for n, w in weights)
        )
        p2 = min(1.0, max(0.0, p2))  # float dust
        i2 = weighted_wilson(p2, n_eff)
        comparison = GroupRate(control, control_events, p2, i2, n_eff)
        difference = p1 - p2
        difference_interval = newcombe_difference(p1, i1, p2, i2)
    return OutcomeComparison(
        metric=metric,
        window=window,
        participants=participants,
        comparison=comparison,
        difference=difference,
        difference_interval=difference_interval,
        strata_matched=len(matched),
        strata_dropped=len(dropped),
        participants_dropped=sum(c.treated for c in dropped) + unknown,
    )
