"""One global optimization for a whole cohort: `solve_cohort` is the entry point the service
runs in a worker process (pure, picklable in and out).

ONE_ON_ONE, REVERSE and GROUP are transportation problems solved by `flow` (exact, with a
certificate against every allowed pair); PEER is a matching on a general graph (`peer`).
GROUP adds a second stage (`groups.balance_goals`): the flow is exact for fit and department
diversity, then a local search re-seats the same members to balance goal themes across
circles. `stats.proven_optimal` is the flow stage's certificate; `stats.objective` is fit
minus every penalty paid by the final circles (the flow's objective when goals are not
balanced, goal_balance_penalty = 0).

Modes, as lexicographic objectives in one integer cost:
* BEST_TOTAL: maximize the total score.
* MAX_MATCHED: every filled place earns a bonus larger than any total score can be, so the
  number of filled places is maximized first and the total score second.
* prioritize_underrepresented: first the most places the under-represented mentees can get
  (a max-flow over them alone, certified the same way), then the policy's objective with
  their places fixed at that number and the others' filled places capped so that the
  others' rate (filled / requested places) never exceeds theirs.
"""

from __future__ import annotations

from dataclasses import replace
from time import perf_counter

import numpy as np
import numpy.typing as npt
from contracts.programs import MatchObjective, ProgramKind

from matching.domain.compatibility import Compatibility
from matching.domain.flow import (
    Candidates,
    FlowModel,
    FlowResult,
    TransportSolver,
    initial_candidates,
)
from matching.domain.groups import (
    CircleCosts,
    balance_goals,
    diversity_penalty,
    form_circles,
    goal_penalty,
    leader_places,
    theme_codes,
)
from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    Match,
    MenteeProfile,
    MentorProfile,
    SolveStats,
)
from matching.domain.peer import solve_peers
from matching.domain.reasons import explain
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor, wanted_slots
from matching.domain.scoring import SCORE_SCALE

IntArray = npt.NDArray[np.int64]


def solve_cohort(problem: CohortProblem) -> CohortSolution:
    """Propose matches for a whole cohort under its program's policy."""
    if problem.policy.kind is ProgramKind.PEER:
        return solve_peers(problem)
    return _solve_transport(problem)


def candidate_sizes(slots: IntArray, capacity: IntArray) -> tuple[int, int]:
    """How many pairs per mentee and per mentor the first sparse round keeps. Exactness does
    not depend on it (the certificate adds what is missing); speed does."""
    k_row = 2 * int(slots.max(initial=1)) + 8
    k_col = 3 * int(capacity.max(initial=1)) + 5
    return k_row, k_col


def _solve_transport(problem: CohortProblem) -> CohortSolution:
    started = perf_counter()
    policy = problem.policy
    group = policy.kind is ProgramKind.GROUP
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    compat = Compatibility(mentees, mentors, policy, problem.blocked_pairs, problem.reference_day)
    scorer = compat.scorer
    slots = np.array([wanted_slots(p, policy) for p in mentees], dtype=np.int64)
    capacity = np.array(
        [leader_places(policy, p) if group else p.capacity for p in mentors], dtype=np.int64
    )
    penalty = diversity_penalty(policy) if group else 0
    units = int(min(slots.sum(), capacity.sum()))
    bonus = 0
    if policy.objective is MatchObjective.MAX_MATCHED:
        # More than the whole score range: one more filled place always wins.
        bonus = (SCORE_SCALE + penalty) * units + 1
    base = FlowModel(
        row_slots=slots,
        col_capacity=capacity,
        row_department=scorer.mentee_department,
        col_department=scorer.mentor_department,
        one_per_department=policy.mentors_per_mentee > 1 and not group,
        department_penalty=penalty,
        match_bonus=bonus,
    )
    rows = np.arange(len(mentees), dtype=np.intp)
    k_row, k_col = candidate_sizes(slots, capacity)
    candidates = initial_candidates(compat, rows, k_row, k_col)

    priority = np.array([p.underrepresented for p in mentees], dtype=np.bool_)
    proven, rounds = True, 0
    model = base
    if policy.prioritize_underrepresented and priority.any() and not priority.all():
        first = _priority_places(base, compat, rows[priority], candidates)
        proven, rounds = first.proven_optimal, first.rounds
        reachable = -first.cost  # each filled place cost -1
        others_cap = reachable * int(slots[~priority].sum()) // int(slots[priority].sum())
        model = replace(
            base, priority_rows=priority, priority_supply=reachable, others_cap=others_cap
        )
        candidates = candidates.union(first.candidates, len(mentors))
    result = TransportSolver(model, compat, rows).solve(candidates)
    proven = proven and result.proven_optimal
    rounds += result.rounds

    order = np.lexsort((result.cols, result.rows))
    pair_rows, pair_cols, weights = result.rows[order], result.cols[order], result.weights[order]
    paid = result.penalty
    balance = goal_penalty(policy) if group else 0
    if balance > 0:
        # Same members, maybe other circles: the matched set and the rates stay certified.
        costs = CircleCosts(
            department=scorer.mentee_department,
            theme=theme_codes(mentees),
            department_penalty=penalty,
            goal_penalty=balance,
        )
        pair_cols, weights = balance_goals(compat, pair_rows, pair_cols, weights, capacity, costs)
        paid = costs.paid(pair_rows, pair_cols)
    evidence = scorer.evidence(pair_rows, pair_cols)
    matches = tuple(
        Match(
            mentor_id=mentors[j].id,
            mentee_id=mentees[i].id,
            score=w / SCORE_SCALE,
            reasons=explain(e),
        )
        for i, j, w, e in zip(
            pair_rows.tolist(), pair_cols.tolist(), weights.tolist(), evidence, strict=True
        )
    )
    circles = (
        form_circles(
            mentors, mentees, list(zip(pair_rows.tolist(), pair_cols.tolist(), strict=True))
        )
        if group
        else ()
    )
    return CohortSolution(
        kind=policy.kind,
        matches=matches,
        circles=circles,
        peer_pairs=(),
        unmatched_mentee_ids=_unmatched(mentees, pair_rows),
        ineligible_ids=_ineligible(problem, mentees, mentors),
        stats=_stats(
            result,
            slots,
            priority,
            pair_rows,
            weights,
            paid,
            len(result.candidates),
            proven,
            rounds,
            started,
        ),
    )


def _priority_places(
    base: FlowModel, compat: Compatibility, rows: npt.NDArray[np.intp], candidates: Candidates
) -> FlowResult:
    """The most places the prioritized mentees can fill, alone: a max-flow (every pair costs
    -1), certified against every allowed pair like any other solve."""
    mine = np.isin(candidates.rows, rows)
    own = Candidates(candidates.rows[mine], candidates.cols[mine], candidates.weights[mine])
    # The diversity penalty is left out: it must not make a place look not worth filling.
    model = replace(base, department_penalty=0, match_bonus=1, use_weights=False)
    return TransportSolver(model, compat, rows).solve(own)


def _unmatched(mentees: list[MenteeProfile], rows: npt.NDArray[np.intp]) -> tuple[str, ...]:
    got = set(rows.tolist())
    return tuple(p.id for i, p in enumerate(mentees) if i not in got)


def _ineligible(
    problem: CohortProblem, mentees: list[MenteeProfile], mentors: list[MentorProfile]
) -> tuple[str, ...]:
    kept = {p.id for p in mentees} | {p.id for p in mentors}
    out: dict[str, None] = {}
    for p in [*problem.mentees, *problem.mentors]:
        if p.id not in kept:
            out[p.id] = None
    return tuple(out)


def _rate(filled: int, requested: int) -> float | None:
    return None if requested == 0 else filled / requested


def _stats(
    result: FlowResult,
    slots: IntArray,
    priority: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
    weights: IntArray,
    paid: int,  # penalties paid by the final circles
    candidates: int,
    proven: bool,
    rounds: int,
    started: float,
) -> SolveStats:
    pri_filled = int(priority[rows].sum())
    return SolveStats(
        objective=int(weights.sum()) - paid,
        total_score=int(weights.sum()) / SCORE_SCALE,
        matched_mentees=len(set(rows.tolist())),
        filled_slots=len(rows),
        requested_slots=int(slots.sum()),
        underrepresented_rate=_rate(pri_filled, int(slots[priority].sum())),
        others_rate=_rate(len(rows) - pri_filled, int(slots[~priority].sum())),
        proven_optimal=proven,
        candidate_pairs=candidates,
        allowed_pairs=result.allowed_pairs,
        rounds=rounds,
        seconds=perf_counter() - started,
    )
