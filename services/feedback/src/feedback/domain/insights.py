"""A program's insights, answered from its incrementally kept state.

Two steps, so a query never rescans anything:
- `protect` turns the counts of people (who is enrolled, by role and self-identification;
  everyone's outcome over the window) into disclosure-controlled tables and the comparisons
  against the matched group. It depends only on those counts, so a service runs it when they
  change (an org change, an enrollment) and keeps the result, not on every query;
- `answer` reads the program-wide figures (O(1) from the kept tallies), the protected tables
  and the objectives into one `ProgramInsights`.

Program-wide operational figures (enrolled, matches, sessions, average rating and NPS with
their response counts) are shown as they are. Everything broken down by a group of people is
suppressed below k, complementarily (see `suppression`), and a rate only shows when both its
count and its complement do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.internal.feedback import OutcomeMetric
from contracts.programs import ObjectiveMetric, ParticipantRole

from feedback.domain.breakdowns import TOTAL, Dimension, breakdown
from feedback.domain.comparison import METHOD, OutcomeComparison, compare
from feedback.domain.figures import ParticipantGroup, ProgramFigures, Tally
from feedback.domain.intervals import Interval
from feedback.domain.objectives import Objective, ObjectiveProgress, progress
from feedback.domain.outcomes import OutcomeKey, OutcomeWindow
from feedback.domain.suppression import CellKey, Suppression, SuppressionRule, Table, suppress

UNDERREPRESENTED = Dimension(
    "underrepresented", ("yes", "no", "unknown"), zero_safe=frozenset({"unknown"})
)
_OUTCOME_DIMENSION = {
    OutcomeMetric.PROMOTION: "promoted",
    OutcomeMetric.INTERNAL_MOBILITY: "moved",
    OutcomeMetric.RETENTION: "retained",
}
_YES_NO = ("yes", "no")


def _stated(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


@dataclass(frozen=True, slots=True)
class Operational:
    """Program-wide figures, each with what it rests on."""

    enrolled_mentors: int
    enrolled_mentees: int
    enrolled_peers: int
    eligible: int | None
    participation_rate: float | None  # enrolled ÷ eligible
    open_matches: int
    active_matches: int
    sessions_completed: int
    sessions_per_active_match: float | None
    completion_rate: float | None
    average_rating: float | None
    rating_interval: Interval | None
    rating_responses: int
    nps: float | None
    nps_interval: Interval | None
    nps_responses: int
    requests: int
    response_rate: float | None
    mean_goal_progress: float | None


def operational_figures(total: Tally, eligible: int | None) -> Operational:
    enrolled = total.enrolled_mentors + total.enrolled_mentees + total.enrolled_peers
    if eligible is not None and eligible < 0:
        raise ValueError("eligible people cannot be negative")
    return Operational(
        enrolled_mentors=total.enrolled_mentors,
        enrolled_mentees=total.enrolled_mentees,
        enrolled_peers=total.enrolled_peers,
        eligible=eligible,
        participation_rate=enrolled / eligible if eligible else None,
        open_matches=total.open_matches,
        active_matches=total.active_matches,
        sessions_completed=total.sessions_completed,
        sessions_per_active_match=total.sessions_per_active_match,
        completion_rate=total.completion_rate,
        average_rating=total.rating.mean,
        rating_interval=total.rating.interval(),
        rating_responses=total.rating_count,
        nps=total.nps.score,
        nps_interval=total.nps.interval(),
        nps_responses=total.nps.responses,
        requests=total.requests,
        response_rate=total.response_rate,
        mean_goal_progress=total.mean_goal_progress,
    )


@dataclass(frozen=True, slots=True)
class Share:
    """Under-represented people among a group (of those who said), or why not shown."""

    count: int | None
    of: int | None
    share: float | None
    suppressed: bool


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    metric: OutcomeMetric
    subgroup: str  # "all", "underrepresented=yes", "department=Sales"
    participants_n: int | None  # in the compared population (None: suppressed)
    comparison_n: int | None
    comparison: OutcomeComparison | None  # None: suppressed
    suppressed: bool


@dataclass(frozen=True, slots=True)
class Protected:
    """The disclosure-controlled part of the insights, computed from counts of people."""

    rule: SuppressionRule
    window: OutcomeWindow | None
    representation: Suppression | None
    outcomes: Suppression | None
    rows: tuple[OutcomeRow, ...]
    participants_unmatched: int | None  # no one comparable, or stratum unknown; None: small
    method: str = METHOD


def _representation_table(participants: Mapping[ParticipantGroup, int]) -> Table | None:
    counts: Counter[tuple[str, ...]] = Counter()
    for group, n in participants.items():
        counts[(group.role.value, _stated(group.underrepresented))] += n
    roles = tuple(r.value for r in ParticipantRole if any(k[0] == r.value for k in counts))
    if not roles:
        return None
    # Shares by role only: a share across roles is not asked for, and publishing it would
    # cost a role's share whenever another role has a small group.
    return breakdown(
        counts,
        [Dimension("role", roles), UNDERREPRESENTED],
        published=[frozenset(), frozenset({"role"}), frozenset({"role", "underrepresented"})],
        exempt=[(r, TOTAL) for r in roles] + [(TOTAL, TOTAL)],  # enrolled: operational
    )


def _matched(counts: Mapping[OutcomeKey, int]) -> dict[OutcomeKey, int]:
    """Counts in strata with both participants and others (the compared population)."""
    sides: dict[object, set[bool]] = {}
    for key, n in counts.items():
        if key.stratum is not None and n:
            sides.setdefault(key.stratum, set()).add(key.participant)
    return {k: n for k, n in counts.items() if len(sides.get(k.stratum, ())) == 2}


def _outcome_table(matched: Mapping[OutcomeKey, int]) -> Table | None:
    departments = tuple(sorted({k.stratum.department for k in matched if k.stratum}))
    if not departments:
        return None
    counts: Counter[tuple[str, ...]] = Counter()
    for key, n in matched.items():
        assert key.stratum is not None
        counts[
            (
                "participants" if key.participant else "comparison",
                _stated(key.underrepresented),
                key.stratum.department,
                *("yes" if flag else "no" for flag in (key.promoted, key.moved, key.retained)),
            )
        ] += n
    dims = [
        Dimension("group", ("participants", "comparison")),
        UNDERREPRESENTED,
        Dimension("department", departments),
        *(Dimension(name, _YES_NO) for name in _OUTCOME_DIMENSION.values()),
    ]
    published = [
        frozenset({"group", *by, *outcome})
        for by in ((), ("underrepresented",), ("department",))
        for outcome in ((), *((name,) for name in _OUTCOME_DIMENSION.values()))
    ]
    return breakdown(counts, dims, published=published)


def _key(group: str, by: tuple[int, str] | None, outcome: str | None, value: str) -> CellKey:
    key = [group, TOTAL, TOTAL, TOTAL, TOTAL, TOTAL]
    if by is not None:
        key[by[0]] = by[1]
    if outcome is not None:
        key[3 + list(_OUTCOME_DIMENSION.values()).index(outcome)] = value
    return tuple(key)


def _stated_as(value: str) -> Callable[[OutcomeKey], bool]:
    return lambda key: _stated(key.underrepresented) == value


def _in_department(department: str) -> Callable[[OutcomeKey], bool]:
    return lambda key: key.stratum is not None and key.stratum.department == department


def _rows(
    matched: Mapping[OutcomeKey, int],
    table: Suppression,
    window: OutcomeWindow,
    rule: SuppressionRule,
) -> list[OutcomeRow]:
    subgroups: list[tuple[str, tuple[int, str] | None, Callable[[OutcomeKey], bool] | None]]
    subgroups = [("all", None, None)]
    subgroups += [
        (f"underrepresented={value}", (1, value), _stated_as(value))
        for value in UNDERREPRESENTED.values
    ]
    departments = sorted({k.stratum.department for k in matched if k.stratum})
    subgroups += [(f"department={d}", (2, d), _in_department(d)) for d in departments]
    rows = []
    for metric, outcome in _OUTCOME_DIMENSION.items():
        for label, by, where in subgroups:
            cells = [
                _key(g, by, outcome, v) for g in ("participants", "comparison") for v in _YES_NO
            ]
            shown = all(table.shown(c) for c in cells)
            result = compare(matched, metric, window, where) if shown else None
            if result is not None and not _safe(result, rule):
                result = None
            rows.append(
                OutcomeRow(
                    metric=metric,
                    subgroup=label,
                    participants_n=table.value(_key("participants", by, None, "")),
                    comparison_n=table.value(_key("comparison", by, None, "")),
                    comparison=result,
                    suppressed=result is None,
                )
            )
    return rows


def _safe(result: OutcomeComparison, rule: SuppressionRule) -> bool:
    """Both groups' counts and complements reach k, and whoever was dropped is no small
    group (a subgroup matched on its own may drop a few more)."""
    sides = (result.participants, result.comparison)
    if any(rule.small(s.events) or rule.small(s.n - s.events) for s in sides):
        return False
    return result.participants_dropped == 0 or not rule.small(result.participants_dropped)


def protect(
    participants: Mapping[ParticipantGroup, int],
    outcome_counts: Mapping[OutcomeKey, int],
    window: OutcomeWindow | None,
    rule: SuppressionRule | None = None,
) -> Protected:
    rule = rule or SuppressionRule()
    table = _representation_table(participants)
    representation = None if table is None else suppress(table, rule)
    outcomes = None
    rows: list[OutcomeRow] = []
    unmatched = None
    if window is not None:
        matched = _matched(outcome_counts)
        outcome_table = _outcome_table(matched)
        if outcome_table is not None:
            outcomes = suppress(outcome_table, rule)
            rows = _rows(matched, outcomes, window, rule)
        dropped = compare(outcome_counts, OutcomeMetric.PROMOTION, window).participants_dropped
        unmatched = dropped if dropped == 0 or not rule.small(dropped) else None
    return Protected(rule, window, representation, outcomes, tuple(rows), unmatched)


@dataclass(frozen=True, slots=True)
class Representation:
    """Under-represented people among the enrolled mentees and mentors (now), and among the
    participants promoted in the window; shares of those who said."""

    mentees: Share
    mentors: Share
    promoted: Share


def _share(table: Suppression | None, yes: CellKey, no: CellKey) -> Share:
    if table is None or yes not in table.table.cells:
        return Share(None, None, None, suppressed=False)
    count, other = table.value(yes), table.value(no)
    rate = table.rate(yes, no)
    if rate is None or count is None or other is None:
        return Share(None, None, None, suppressed=True)
    return Share(count, count + other, rate, suppressed=False)


def representation(protected: Protected) -> Representation:
    role = protected.representation
    promoted = _key("participants", None, "promoted", "yes")
    return Representation(
        mentees=_share(role, ("MENTEE", "yes"), ("MENTEE", "no")),
        mentors=_share(role, ("MENTOR", "yes"), ("MENTOR", "no")),
        promoted=_share(
            protected.outcomes,
            (promoted[0], "yes", *promoted[2:]),
            (promoted[0], "no", *promoted[2:]),
        ),
    )


@dataclass(frozen=True, slots=True)
class ProgramInsights:
    program_id: str
    as_of: datetime
    k: int  # the minimum group size every breakdown respects
    operational: Operational
    representation: Representation
    window: OutcomeWindow | None
    outcomes: tuple[OutcomeRow, ...]
    participants_unmatched: int | None
    objectives: tuple[ObjectiveProgress, ...]
    method: str = METHOD
    notes: tuple[str, ...] = field(default=())

    def outcome(self, metric: OutcomeMetric, subgroup: str = "all") -> OutcomeRow | None:
        return next(
            (r for r in self.outcomes if r.metric is metric and r.subgroup == subgroup), None
        )


def _participants_rate(protected: Protected, metric: OutcomeMetric) -> float | None:
    row = next((r for r in protected.rows if r.metric is metric and r.subgroup == "all"), None)
    if row is None or row.comparison is None:
        return None
    return row.comparison.participants.rate


def objective_values(
    operational: Operational, shares: Representation, protected: Protected
) -> dict[ObjectiveMetric, float | None]:
    """Each objective metric's current value. REPRESENTATION_IN_LEADERSHIP is read as the
    share of under-represented people among the participants promoted in the window (the
    program's pipeline into leadership); a caller with a better figure passes it instead."""
    return {
        ObjectiveMetric.PARTICIPATION: operational.participation_rate,
        ObjectiveMetric.SATISFACTION: operational.average_rating,
        ObjectiveMetric.PROMOTION_RATE: _participants_rate(protected, OutcomeMetric.PROMOTION),
        ObjectiveMetric.INTERNAL_MOBILITY: _participants_rate(
            protected, OutcomeMetric.INTERNAL_MOBILITY
        ),
        ObjectiveMetric.RETENTION: _participants_rate(protected, OutcomeMetric.RETENTION),
        ObjectiveMetric.REPRESENTATION_IN_LEADERSHIP: shares.promoted.share,
    }


def answer(
    figures: ProgramFigures,
    protected: Protected,
    objectives: Sequence[Objective],
    *,
    eligible: int | None,
    started_on: date,
    as_of: datetime,
    values: Mapping[ObjectiveMetric, float | None] | None = None,
) -> ProgramInsights:
    """The program's insights now: O(1) in the number of facts (the kept tallies and the
    protected tables are read, never rebuilt)."""
    figures_now = operational_figures(figures.total, eligible)
    shares = representation(protected)
    current = objective_values(figures_now, shares, protected) | dict(values or {})
    return ProgramInsights(
        program_id=figures.program_id,
        as_of=as_of,
        k=protected.rule.k,
        operational=figures_now,
        representation=shares,
        window=protected.window,
        outcomes=protected.rows,
        participants_unmatched=protected.participants_unmatched,
        objectives=tuple(
            progress(o, current.get(o.metric), started_on, as_of.date()) for o in objectives
        ),
        method=protected.method,
    )
