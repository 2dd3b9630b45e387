"""One global optimization for a whole cohort: `solve_cohort` is the entry point the service
runs in a worker process (pure, picklable in and out).

ONE_ON_ONE, REVERSE and GROUP are transportation problems solved by `flow` (exact, with a
certificate against every allowed pair); PEER is a matching on a general graph (`peer`).
GROUP adds a second stage (`groups.balance_goals`): the flow is exact for fit and department
diversity, then a local search re-seats the same members to balance goal themes across
circles. `stats.proven_optimal` is the flow stage's certificate; `stats.objective` is fit
minus every penalty paid by the final circles (the flow's objective when goals are not
balanced, goal_balance_penalty = 0).

`optimality` says what is known of the whole answer. The flow is always run to its proof
(PROVEN). A GROUP run that re-seated members for goal balance is BEST_FOUND unless the
re-seating cost nothing: the flow's optimum of fit minus department penalty bounds every
seating's fit minus both penalties from above, so `optimality_gap` is that bound minus the
objective found.

Modes, as lexicographic objectives in one integer cost:
* BEST_TOTAL: maximize the total score.
* MAX_MATCHED: every filled place earns a bonus larger than any total score can be, so the
  number of filled places is maximized first and the total score second.

Priority (`prioritize_underrepresented`), defined so that it is always achievable and never
levels anyone down:
* First claim: the run matches as many under-represented mentees to a first mentor as any
  assignment under the rules can (`Fairness.reachable`, a max-flow over their first places
  alone, certified like every flow); within that, the policy's objective decides everything
  else, with no cap on anyone.
* So an under-represented mentee is left without a mentor only when every mentor the rules
  allow them is full, and full of under-represented mentees holding that mentor as their
  only one: never because the place went to another mentee, or to anyone's second or
  third mentor. Among mentees who can be matched, the under-represented are matched at the
  highest rate the cohort allows them (all `reachable` of them).
* A mentee no rule allows any mentor for is unmatchable: counted in neither group's rate
  (`GroupOutcome.matchable`), and no limit on anyone else.
* It costs the others only places that an under-represented mentee's first mentor needs:
  under MAX_MATCHED the number of filled places is the same as without priority (the
  mentees' places form a polymatroid: any set of first places extends to a maximum one).
"""

from __future__ import annotations

from dataclasses import replace
from time import perf_counter

import numpy as np
import numpy.typing as npt
from contracts.matches import Optimality
from contracts.programs import MatchObjective, ProgramKind

from matching.domain.candidates import (
    Candidates,
    TieBreak,
    column_sizes,
    initial_candidates,
    row_size,
)
from matching.domain.compatibility import Compatibility
from matching.domain.flow import FlowModel, FlowResult, TransportSolver
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
    Fairness,
    GroupOutcome,
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
BoolArray = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]


def solve_cohort(problem: CohortProblem) -> CohortSolution:
    """Propose matches for a whole cohort under its program's policy."""
    if problem.policy.kind is ProgramKind.PEER:
        return solve_peers(problem)
    return _solve_transport(problem)


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
    ties = TieBreak(len(mentees), len(mentors))
    candidates = initial_candidates(
        compat, rows, row_size(slots), column_sizes(capacity, len(mentees)), ties
    )
    # Every row with an allowed pair has at least one candidate from its own best list.
    matchable = np.zeros(len(mentees), dtype=np.bool_)
    matchable[candidates.rows] = True

    priority = np.array([p.underrepresented for p in mentees], dtype=np.bool_)
    proven, rounds, reachable = True, 0, None
    model = base
    if policy.prioritize_underrepresented and priority.any():
        first = _first_places(base, compat, rows[priority], candidates, ties)
        proven, rounds = first.proven_optimal, first.rounds
        reachable = -first.cost  # each first place cost -1
        model = replace(base, priority_rows=priority, priority_supply=reachable)
        candidates = candidates.union(first.candidates, len(mentors))
    result = TransportSolver(model, compat, rows, ties).solve(candidates)
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
    objective = int(weights.sum()) - paid
    # The flow's fit less its department penalty bounds any seating of the same members.
    gap = int(result.weights.sum()) - result.penalty - objective + result.gap
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
    stats = SolveStats(
        objective=objective,
        total_score=int(weights.sum()) / SCORE_SCALE,
        matched_mentees=len(set(pair_rows.tolist())),
        filled_slots=len(pair_rows),
        requested_slots=int(slots.sum()),
        underrepresented_rate=_rate(int(priority[pair_rows].sum()), int(slots[priority].sum())),
        others_rate=_rate(int((~priority[pair_rows]).sum()), int(slots[~priority].sum())),
        proven_optimal=proven,
        candidate_pairs=len(result.candidates),
        allowed_pairs=result.allowed_pairs,
        rounds=rounds,
        seconds=perf_counter() - started,
        scored_pairs=compat.scored_pairs,
    )
    return CohortSolution(
        kind=policy.kind,
        matches=matches,
        circles=circles,
        peer_pairs=(),
        unmatched_mentee_ids=_unmatched(mentees, pair_rows),
        unmatchable_mentee_ids=tuple(
            p.id for p, ok in zip(mentees, matchable, strict=True) if not ok
        ),
        ineligible_ids=_ineligible(problem, mentees, mentors),
        stats=stats,
        fairness=fairness(
            policy.prioritize_underrepresented, priority, matchable, pair_rows, reachable
        ),
        optimality=Optimality.PROVEN if proven and gap == 0 else Optimality.BEST_FOUND,
        optimality_gap=gap / SCORE_SCALE,
    )


def _first_places(
    base: FlowModel,
    compat: Compatibility,
    rows: Index,
    candidates: Candidates,
    ties: TieBreak,
) -> FlowResult:
    """The most prioritized mentees who can get a first mentor at once: a max-flow over their
    first places alone (every pair costs -1), certified against every allowed pair like any
    other solve."""
    model = replace(
        base,
        row_slots=np.minimum(base.row_slots, 1),
        one_per_department=False,  # one place each: nothing to spread over departments
        department_penalty=0,  # it must not make a place look not worth filling
        match_bonus=1,
        use_weights=False,
    )
    return TransportSolver(model, compat, rows, ties).solve(candidates.of_rows(rows))


def fairness(
    prioritized: bool,
    priority: BoolArray,
    matchable: BoolArray,
    matched_rows: Index,
    reachable: int | None,
) -> Fairness:
    got = np.zeros(len(priority), dtype=np.bool_)
    got[matched_rows] = True

    def outcome(members: BoolArray) -> GroupOutcome:
        return GroupOutcome(
            mentees=int(members.sum()),
            matchable=int((members & matchable).sum()),
            matched=int((members & got).sum()),
        )

    return Fairness(
        prioritized=prioritized,
        underrepresented=outcome(priority),
        others=outcome(~priority),
        reachable=reachable,
    )


def _unmatched(mentees: list[MenteeProfile], rows: Index) -> tuple[str, ...]:
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
