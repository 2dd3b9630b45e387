"""GROUP programs: circles of mentees around a leader, balanced in goals and diverse in
departments. Circles are formed in two stages.

1. Fit and department diversity, exactly. Each leader is a column with `group_size` places,
   so the global min-cost flow puts every mentee in the circle whose leader best covers their
   goals. Department diversity is modelled inside the same flow: arcs from one department
   reach a leader through a (leader, department) node whose first unit is free and each
   further unit costs `department_diversity_penalty`. That cost is convex in the number of
   same-department members, which min-cost flow optimizes exactly, so this stage's circles are
   the optimum of "fit with the leader minus lack of diversity" (its certificate is
   `stats.proven_optimal`).
2. Goal balance, by local improvement. A member's goal theme is their first listed goal. It
   cannot go into the same flow: a member reaches their leader through one department node,
   and a second (leader, theme) node would need the same unit on two paths. So
   `balance_goals` improves the flow's circles afterwards: it moves one member into another
   circle with a free place, or swaps two members between circles, and accepts a change only
   when it strictly raises the combined objective, fit minus department penalty minus goal
   penalty (`goal_balance_penalty` per member beyond the first who shares a theme). It never
   changes who is matched, only who sits in which circle, so the match counts and the
   under-represented rates stay those the flow certified. The result is a local optimum for
   goals on top of the exact answer for fit and departments, not a proven optimum of all three.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.domain.compatibility import Compatibility
from matching.domain.model import (
    Circle,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.scoring import SCORE_SCALE

IntArray = npt.NDArray[np.int64]
Index = npt.NDArray[np.intp]

UNKNOWN = -1  # no department or no goal theme: never pays a penalty
LEADER_OPTIONS = 20  # leaders a member may be seated with: their best allowed ones by weight
BALANCE_PASSES = 10  # each pass visits every member whose theme repeats in their circle


def leader_places(policy: MatchingPolicy, leader: MentorProfile) -> int:
    """A leader leads one circle of up to group_size (an eligible leader has capacity > 0)."""
    return policy.group_size if leader.capacity > 0 else 0


def diversity_penalty(policy: MatchingPolicy) -> int:
    """The penalty per extra same-department member, in integer score units."""
    return round(policy.department_diversity_penalty * SCORE_SCALE)


def goal_penalty(policy: MatchingPolicy) -> int:
    """The penalty per extra member sharing a goal theme, in integer score units."""
    return round(policy.goal_balance_penalty * SCORE_SCALE)


def goal_theme(mentee: MenteeProfile) -> str | None:
    """The first listed goal, casefolded with its whitespace collapsed; None without goals."""
    if not mentee.goals:
        return None
    return " ".join(mentee.goals[0].casefold().split()) or None


def theme_codes(mentees: Sequence[MenteeProfile]) -> IntArray:
    """An integer code per mentee's theme, like the scorer's department codes (-1: none)."""
    codes: dict[str, int] = {}
    out = []
    for mentee in mentees:
        theme = goal_theme(mentee)
        out.append(UNKNOWN if theme is None else codes.setdefault(theme, len(codes)))
    return np.array(out, dtype=np.int64)


def circle_repeats(leaders: Index, codes: IntArray) -> int:
    """Sum over circles of sum over codes of max(0, members with the code - 1), unknown codes
    free; leaders[k] and codes[k] describe one member."""
    known = codes >= 0
    if not known.any():
        return 0
    distinct = np.unique(np.column_stack((leaders[known], codes[known])), axis=0)
    return int(known.sum()) - len(distinct)


@dataclass(frozen=True, slots=True)
class CircleCosts:
    """What circles pay for repeats: the flow's department charge and the goal charge."""

    department: IntArray  # department code per mentee row
    theme: IntArray  # goal theme code per mentee row
    department_penalty: int
    goal_penalty: int

    def paid(self, rows: Index, leaders: Index) -> int:
        """The total penalty of the circles formed by pairs (rows[k], leaders[k])."""
        return self.department_penalty * circle_repeats(
            leaders, self.department[rows]
        ) + self.goal_penalty * circle_repeats(leaders, self.theme[rows])


def form_circles(
    leaders: Sequence[MentorProfile],
    mentees: Sequence[MenteeProfile],
    pairs: Sequence[tuple[int, int]],
) -> tuple[Circle, ...]:
    """One circle per leader who got members; `pairs` are (mentee, leader) indices."""
    members: dict[int, list[int]] = defaultdict(list)
    for mentee, leader in pairs:
        members[leader].append(mentee)
    circles = []
    for leader in sorted(members):
        people = [mentees[i] for i in sorted(members[leader])]
        departments = {p.department for p in people if p.department is not None}
        themes = {t for t in map(goal_theme, people) if t is not None}
        circles.append(
            Circle(
                leader_id=leaders[leader].id,
                member_ids=tuple(p.id for p in people),
                departments=len(departments),
                goal_themes=len(themes),
            )
        )
    return tuple(circles)


def leader_options(compat: Compatibility, rows: Index, k: int) -> list[dict[int, int]]:
    """Each row's k heaviest allowed leaders with their weights, heaviest first. Read block
    by block, so a big cohort never holds more than a block of weights plus k per member."""
    out: list[dict[int, int]] = []
    for start in range(0, len(rows), compat.block_rows):
        weights = compat.weights_of(rows[start : start + compat.block_rows])
        best = np.argsort(-weights, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(weights, best, axis=1)
        for cols, values in zip(best.tolist(), top.tolist(), strict=True):
            out.append({c: w for c, w in zip(cols, values, strict=True) if w >= 0})
    return out


def repeats_change(counts: Counter[int], leaving: int, joining: int) -> int:
    """How a circle's repeats change when a member with code `leaving` leaves and one with
    `joining` joins (UNKNOWN: a free code, or nobody)."""
    change = 0
    if leaving >= 0 and counts[leaving] >= 2:
        change -= 1
    if joining >= 0 and counts[joining] - (joining == leaving) >= 1:
        change += 1
    return change


class _Seating:
    """Who sits in which circle, with each circle's department and theme counts, so that the
    gain of a move or a swap is read in constant time. Members are positions 0..n-1."""

    def __init__(
        self,
        leader: list[int],
        weight: list[int],
        department: list[int],
        theme: list[int],
        places: list[int],
        costs: CircleCosts,
    ) -> None:
        self.leader, self.weight = leader, weight
        self.department, self.theme, self.places = department, theme, places
        self.dept_penalty, self.goal_penalty = costs.department_penalty, costs.goal_penalty
        self.circle: dict[int, list[int]] = defaultdict(list)
        self.depts: dict[int, Counter[int]] = defaultdict(Counter)
        self.themes: dict[int, Counter[int]] = defaultdict(Counter)
        for member, at in enumerate(leader):
            self._sit(member, at)

    def _sit(self, member: int, at: int) -> None:
        self.leader[member] = at
        self.circle[at].append(member)
        self.depts[at][self.department[member]] += 1
        self.themes[at][self.theme[member]] += 1

    def _stand(self, member: int) -> None:
        at = self.leader[member]
        self.circle[at].remove(member)
        self.depts[at][self.department[member]] -= 1
        self.themes[at][self.theme[member]] -= 1

    def theme_repeats(self, member: int) -> bool:
        theme = self.theme[member]
        return theme >= 0 and self.themes[self.leader[member]][theme] >= 2

    def _penalty_change(self, at: int, leaving: int | None, joining: int | None) -> int:
        """Penalty change of circle `at` when member `leaving` leaves and member `joining`
        joins (None: nobody)."""

        def code(codes: list[int], member: int | None) -> int:
            return UNKNOWN if member is None else codes[member]

        dept = repeats_change(
            self.depts[at], code(self.department, leaving), code(self.department, joining)
        )
        theme = repeats_change(
            self.themes[at], code(self.theme, leaving), code(self.theme, joining)
        )
        return self.dept_penalty * dept + self.goal_penalty * theme

    def move_gain(self, member: int, to: int, weight: int) -> int:
        """MatchObjective gain of seating `member` with leader `to` (a free place) at `weight`."""
        return (
            weight
            - self.weight[member]
            - self._penalty_change(self.leader[member], member, None)
            - self._penalty_change(to, None, member)
        )

    def swap_gain(self, member: int, weight: int, other: int, other_weight: int) -> int:
        """MatchObjective gain of trading seats: `member` at `weight`, `other` at `other_weight`."""
        here, there = self.leader[member], self.leader[other]
        return (
            weight
            + other_weight
            - self.weight[member]
            - self.weight[other]
            - self._penalty_change(here, member, other)
            - self._penalty_change(there, other, member)
        )

    def seat(self, member: int, to: int, weight: int) -> None:
        self._stand(member)
        self.weight[member] = weight
        self._sit(member, to)


def _improve(seating: _Seating, options: list[dict[int, int]]) -> bool:
    """One pass: each member whose theme repeats in their circle takes the best strictly
    improving move or swap among their leader options, if any. True if anything changed."""
    changed = False
    for member in range(len(options)):
        if not seating.theme_repeats(member):
            continue
        here = seating.leader[member]
        best_gain = 0
        best: tuple[int, int, int | None, int] | None = None  # to, weight, other, theirs
        for to, weight in options[member].items():
            if to == here:
                continue
            if len(seating.circle[to]) < seating.places[to]:
                gain = seating.move_gain(member, to, weight)
                if gain > best_gain:
                    best_gain, best = gain, (to, weight, None, 0)
            for other in seating.circle[to]:
                # The other member only takes a seat among their own options (so, an allowed pair).
                other_weight = options[other].get(here)
                if other_weight is None:
                    continue
                gain = seating.swap_gain(member, weight, other, other_weight)
                if gain > best_gain:
                    best_gain, best = gain, (to, weight, other, other_weight)
        if best is None:
            continue
        to, weight, partner, theirs = best
        seating.seat(member, to, weight)
        if partner is not None:
            seating.seat(partner, here, theirs)
        changed = True
    return changed


def balance_goals(
    compat: Compatibility,
    rows: Index,
    leaders: Index,
    weights: IntArray,
    places: IntArray,
    costs: CircleCosts,
) -> tuple[Index, IntArray]:
    """New leaders and pair weights for the members `rows` (one circle each), seated in
    circles balanced in goals: local search from the flow's circles (see the module doc).
    Every new pair is allowed by the hard rules; no circle grows beyond its places."""
    seating = _Seating(
        leader=leaders.tolist(),
        weight=weights.tolist(),
        department=costs.department[rows].tolist(),
        theme=costs.theme[rows].tolist(),
        places=places.tolist(),
        costs=costs,
    )
    if costs.goal_penalty > 0 and any(map(seating.theme_repeats, range(len(rows)))):
        options = leader_options(compat, rows, LEADER_OPTIONS)
        for _ in range(BALANCE_PASSES):
            if not _improve(seating, options):
                break
    return (
        np.array(seating.leader, dtype=np.intp),
        np.array(seating.weight, dtype=np.int64),
    )
