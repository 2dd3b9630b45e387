"""What the optimizer is measured against (tests and `bench/matching`): a greedy matcher and
the dense exact reference, SciPy's linear_sum_assignment on the capacity-expanded matrix.
Both score the same pairs with the same integer weights as the optimizer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from contracts.programs import MatchObjective, ProgramKind
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from matching.domain.compatibility import Compatibility
from matching.domain.groups import leader_places
from matching.domain.model import (
    CohortProblem,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor, wanted_slots
from matching.domain.scoring import SCORE_SCALE

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class BaselineResult:
    pairs: tuple[tuple[str, str], ...]  # (mentor_id, mentee_id)
    objective: int  # sum of integer weights, as SolveStats.objective
    filled_slots: int


@dataclass(frozen=True, slots=True)
class _Dense:
    mentees: list[MenteeProfile]
    mentors: list[MentorProfile]
    weights: Int32Array
    allowed: BoolArray
    slots: IntArray
    capacity: IntArray


def _dense(problem: CohortProblem) -> _Dense:
    policy = problem.policy
    if policy.kind is ProgramKind.PEER:
        raise ValueError("the baselines are bipartite; PEER programs are not")
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    compat = Compatibility(mentees, mentors, policy, problem.blocked_pairs, problem.reference_day)
    weights = np.zeros((compat.n, compat.m), dtype=np.int32)
    allowed = np.zeros((compat.n, compat.m), dtype=np.bool_)
    for chunk, w, ok in compat.blocks(np.arange(compat.n, dtype=np.intp)):
        weights[chunk], allowed[chunk] = w, ok
    group = policy.kind is ProgramKind.GROUP
    return _Dense(
        mentees=mentees,
        mentors=mentors,
        weights=weights,
        allowed=allowed,
        slots=np.array([wanted_slots(p, policy) for p in mentees], dtype=np.int64),
        capacity=np.array(
            [leader_places(policy, p) if group else p.capacity for p in mentors], dtype=np.int64
        ),
    )


def solve_greedy(problem: CohortProblem) -> BaselineResult:
    """Take the best remaining allowed pair while places last: fast, not optimal."""
    d = _dense(problem)
    one_per_department = problem.policy.mentors_per_mentee > 1
    r, c = np.nonzero(d.allowed)
    order = np.argsort(-d.weights[r, c], kind="stable")
    slots, capacity = d.slots.copy(), d.capacity.copy()
    taken: set[tuple[int, str]] = set()
    pairs: list[tuple[str, str]] = []
    objective = 0
    left = int(min(slots.sum(), capacity.sum()))
    for start in range(0, len(order), 1 << 16):  # in slices: most runs end early
        if left == 0:
            break
        part = order[start : start + (1 << 16)]
        for i, j in zip(r[part].tolist(), c[part].tolist(), strict=True):
            if left == 0:
                break
            if slots[i] == 0 or capacity[j] == 0:
                continue
            dept = d.mentors[j].department
            if one_per_department and dept is not None:
                if (i, dept) in taken:
                    continue
                taken.add((i, dept))
            slots[i] -= 1
            capacity[j] -= 1
            left -= 1
            pairs.append((d.mentors[j].id, d.mentees[i].id))
            objective += int(d.weights[i, j])
    return BaselineResult(tuple(pairs), objective, len(pairs))


def solve_dense_reference(problem: CohortProblem) -> BaselineResult:
    """The exact optimum by linear_sum_assignment over mentees x (each mentor repeated once
    per place). Covers one mentor per mentee without priority or diversity penalty, the
    cases the dense formulation can express."""
    policy = problem.policy
    if policy.mentors_per_mentee > 1 or policy.prioritize_underrepresented:
        raise ValueError("the dense reference covers one mentor per mentee, no priority")
    if policy.kind is ProgramKind.GROUP and policy.department_diversity_penalty > 0:
        raise ValueError("the dense reference has no diversity penalty")
    d = _dense(problem)
    columns = np.repeat(np.arange(len(d.mentors)), d.capacity)
    units = int(min(d.slots.sum(), d.capacity.sum()))
    bonus = SCORE_SCALE * units + 1 if policy.objective is MatchObjective.MAX_MATCHED else 0
    # A forbidden pair costs 0, the same as staying unmatched: scores are never negative,
    # so this never beats a real option, and is dropped afterwards.
    cost = np.where(d.allowed, -(d.weights.astype(np.float64) + bonus), 0.0)[:, columns]
    rows, cols = linear_sum_assignment(cost)
    mentor_of = columns[cols]
    keep = d.allowed[rows, mentor_of]
    rows, mentor_of = rows[keep], mentor_of[keep]
    pairs = tuple(
        (d.mentors[j].id, d.mentees[i].id)
        for i, j in zip(rows.tolist(), mentor_of.tolist(), strict=True)
    )
    return BaselineResult(pairs, int(d.weights[rows, mentor_of].astype(np.int64).sum()), len(pairs))
