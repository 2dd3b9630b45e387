"""What the optimizer is measured against (tests and `bench/matching`), each scoring the same
pairs with the same integer weights as the optimizer (`Compatibility`):

* `solve_greedy`: take the best remaining allowed pair while places last (fast, not optimal);
* `solve_dense_flow`: the exact optimum by one OR-Tools min-cost flow over every allowed pair,
  the strongest exact reference (one mentor per department when a mentee takes several, and
  MAX_MATCHED, as the optimizer reads the policy);
* `solve_dense_assignment`: the exact optimum by SciPy's linear_sum_assignment on the
  capacity-expanded matrix (one mentor per mentee only; small cohorts).

Test-only code: the service never imports it."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from contracts.programs import MatchObjective, ProgramKind
from matching.domain.compatibility import Compatibility
from matching.domain.groups import leader_places
from matching.domain.model import CohortProblem, MenteeProfile, MentorProfile
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor, wanted_slots
from matching.domain.scoring import SCORE_SCALE
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

IntArray = npt.NDArray[np.int64]
Index = npt.NDArray[np.intp]

GREEDY_BATCH = 32  # pairs per mentee read at a time, best first


@dataclass(frozen=True, slots=True)
class BaselineResult:
    pairs: tuple[tuple[str, str], ...]  # (mentor_id, mentee_id)
    objective: int  # sum of integer weights, as SolveStats.objective
    filled_slots: int


@dataclass(frozen=True, slots=True)
class _Cohort:
    mentees: list[MenteeProfile]
    mentors: list[MentorProfile]
    compat: Compatibility
    slots: IntArray
    capacity: IntArray
    one_per_department: bool


def _cohort(problem: CohortProblem) -> _Cohort:
    policy = problem.policy
    if policy.kind is ProgramKind.PEER:
        raise ValueError("the baselines are bipartite; PEER programs are not")
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    group = policy.kind is ProgramKind.GROUP
    return _Cohort(
        mentees=mentees,
        mentors=mentors,
        compat=Compatibility(
            mentees, mentors, policy, problem.blocked_pairs, problem.reference_day
        ),
        slots=np.array([wanted_slots(p, policy) for p in mentees], dtype=np.int64),
        capacity=np.array(
            [leader_places(policy, p) if group else p.capacity for p in mentors], dtype=np.int64
        ),
        one_per_department=policy.mentors_per_mentee > 1 and not group,
    )


def _result(c: _Cohort, rows: list[int], cols: list[int], weights: list[int]) -> BaselineResult:
    pairs = tuple((c.mentors[j].id, c.mentees[i].id) for i, j in zip(rows, cols, strict=True))
    return BaselineResult(pairs, int(sum(weights)), len(pairs))


def solve_greedy(problem: CohortProblem) -> BaselineResult:
    """Take the best remaining allowed pair while places last (ties: lower mentee index,
    then lower mentor index), one mentor per department when a mentee takes several.

    Lazily: each mentee offers its best pairs a batch at a time (read in one pass over the
    weights, later batches skipping mentors already full) and a heap picks the best offer
    overall, which is the order of sorting every allowed pair."""
    c = _cohort(problem)
    n, m = c.compat.n, c.compat.m
    if n == 0 or m == 0:
        return BaselineResult((), 0, 0)
    k = min(GREEDY_BATCH, m)
    batch_w = np.full((n, k), -1, dtype=np.int64)
    batch_c = np.zeros((n, k), dtype=np.int64)
    for chunk, block in c.compat.blocks(np.arange(n, dtype=np.intp)):
        keys = _order_keys(block.astype(np.int64), np.arange(m))
        top = (
            np.argpartition(-keys, k - 1, axis=1)[:, :k]
            if k < m
            else np.tile(np.arange(m), (len(chunk), 1))
        )
        top = np.take_along_axis(
            top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1), axis=1
        )
        batch_c[chunk] = top
        batch_w[chunk] = np.take_along_axis(block, top, axis=1)
    at = np.zeros(n, dtype=np.int64)
    slots, capacity = c.slots.copy(), c.capacity.copy()
    department = c.compat.scorer.mentor_department
    taken: set[tuple[int, int]] = set()
    heap = [(-int(batch_w[i, 0]), i, int(batch_c[i, 0])) for i in range(n) if batch_w[i, 0] >= 0]
    heapq.heapify(heap)
    left = int(min(slots.sum(), capacity.sum()))
    out_rows: list[int] = []
    out_cols: list[int] = []
    out_w: list[int] = []
    while heap and left > 0:
        neg, row, col = heapq.heappop(heap)
        ok = slots[row] > 0 and capacity[col] > 0
        dept = int(department[col])
        if ok and c.one_per_department and dept >= 0:
            ok = (row, dept) not in taken
            if ok:
                taken.add((row, dept))
        if ok:
            slots[row] -= 1
            capacity[col] -= 1
            left -= 1
            out_rows.append(row)
            out_cols.append(col)
            out_w.append(-neg)
        if slots[row] == 0:
            continue
        at[row] += 1
        if at[row] == k:  # the batch is spent: the next open pairs after this one
            weights = c.compat.weights_of(np.array([row], dtype=np.intp))[0]
            keys = _order_keys(weights, np.arange(m))
            open_after = np.flatnonzero((keys < keys[col]) & (weights >= 0) & (capacity > 0))
            nxt = open_after[np.argsort(-keys[open_after], kind="stable")][:k]
            batch_c[row, :] = 0
            batch_w[row, :] = -1
            batch_c[row, : len(nxt)] = nxt
            batch_w[row, : len(nxt)] = weights[nxt]
            at[row] = 0
        if batch_w[row, at[row]] >= 0:
            heapq.heappush(heap, (-int(batch_w[row, at[row]]), row, int(batch_c[row, at[row]])))
    return _result(c, out_rows, out_cols, out_w)


def _order_keys(weights: IntArray, cols: IntArray) -> IntArray:
    """One key per pair, larger first in greedy order: weight descending, then column
    ascending; forbidden pairs (-1) below every allowed one."""
    m = len(cols)
    return np.asarray(weights * (m + 1) + (m - cols), dtype=np.int64)


def solve_dense_flow(problem: CohortProblem) -> BaselineResult:
    """The exact optimum: one min-cost flow over every allowed pair (no priority, no
    department penalty: the policies this dense formulation is written for)."""
    policy = problem.policy
    if policy.prioritize_underrepresented:
        raise ValueError("the dense flow reference has no priority")
    if policy.kind is ProgramKind.GROUP and policy.department_diversity_penalty > 0:
        raise ValueError("the dense flow reference has no diversity penalty")
    c = _cohort(problem)
    n, m = c.compat.n, c.compat.m
    units = int(min(c.slots.sum(), c.capacity.sum()))
    bonus = SCORE_SCALE * units + 1 if policy.objective is MatchObjective.MAX_MATCHED else 0
    rows_l: list[Index] = []
    cols_l: list[Index] = []
    w_l: list[IntArray] = []
    for chunk, block in c.compat.blocks(np.arange(n, dtype=np.intp)):
        at, cols = np.nonzero(block >= 0)
        rows_l.append(chunk[at])
        cols_l.append(cols.astype(np.intp))
        w_l.append(block[at, cols].astype(np.int64))
    rows = np.concatenate(rows_l) if rows_l else np.empty(0, dtype=np.intp)
    cols = np.concatenate(cols_l) if cols_l else np.empty(0, dtype=np.intp)
    weights = np.concatenate(w_l) if w_l else np.empty(0, dtype=np.int64)
    # Nodes: 0 source, 1 sink, 2.. mentees, then mentors, then (mentee, department).
    source, sink, mentee0, mentor0 = 0, 1, 2, 2 + n
    tails = [np.full(n, source), [source], mentor0 + np.arange(m)]
    heads = [mentee0 + np.arange(n), [sink], np.full(m, sink)]
    caps = [c.slots, [int(c.slots.sum())], c.capacity]
    costs = [np.zeros(n), [0], np.zeros(m)]
    pair_tail = mentee0 + rows
    dept = c.compat.scorer.mentor_department[cols]
    if c.one_per_department:
        known = dept >= 0
        keys, inverse = np.unique(
            rows[known] * (int(dept.max(initial=0)) + 1) + dept[known], return_inverse=True
        )
        first = 2 + n + m
        tails.append(mentee0 + keys // (int(dept.max(initial=0)) + 1))
        heads.append(first + np.arange(len(keys)))
        caps.append(np.ones(len(keys)))
        costs.append(np.zeros(len(keys)))
        pair_tail = pair_tail.copy()
        pair_tail[known] = first + inverse
    tails.append(pair_tail)
    heads.append(mentor0 + cols)
    caps.append(np.ones(len(rows)))
    costs.append(-(weights + bonus))
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    supplies = np.zeros(int(np.concatenate(heads).max(initial=1)) + 1, dtype=np.int64)
    supplies[source], supplies[sink] = int(c.slots.sum()), -int(c.slots.sum())
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("the dense min-cost flow did not solve")
    pair_arcs = np.asarray(arcs)[-len(rows) :] if len(rows) else np.empty(0, dtype=np.int64)
    used = np.asarray(smcf.flows(pair_arcs.astype(np.int32)), dtype=np.int64) > 0
    return _result(c, rows[used].tolist(), cols[used].tolist(), weights[used].tolist())


def solve_dense_assignment(problem: CohortProblem) -> BaselineResult:
    """The exact optimum by linear_sum_assignment over mentees x (each mentor repeated once
    per place): one mentor per mentee, no priority, no diversity penalty."""
    policy = problem.policy
    if policy.mentors_per_mentee > 1 or policy.prioritize_underrepresented:
        raise ValueError("the dense assignment covers one mentor per mentee, no priority")
    if policy.kind is ProgramKind.GROUP and policy.department_diversity_penalty > 0:
        raise ValueError("the dense assignment has no diversity penalty")
    c = _cohort(problem)
    weights = c.compat.weights_of(np.arange(c.compat.n, dtype=np.intp))
    allowed = weights >= 0
    columns = np.repeat(np.arange(len(c.mentors)), c.capacity)
    units = int(min(c.slots.sum(), c.capacity.sum()))
    bonus = SCORE_SCALE * units + 1 if policy.objective is MatchObjective.MAX_MATCHED else 0
    # A forbidden pair costs 0, the same as staying unmatched: scores are never negative,
    # so this never beats a real option, and is dropped afterwards.
    cost = np.where(allowed, -(weights.astype(np.float64) + bonus), 0.0)[:, columns]
    rows, cols = linear_sum_assignment(cost)
    mentor_of = columns[cols]
    keep = allowed[rows, mentor_of]
    rows, mentor_of = rows[keep], mentor_of[keep]
    return _result(c, rows.tolist(), mentor_of.tolist(), weights[rows, mentor_of].tolist())
