"""Property-based tests on random organizations: the optimizer never breaks a hard rule, and
its total equals an exact reference (SciPy's linear_sum_assignment on the capacity-expanded
matrix, or a MILP written straight from the problem statement) on small instances."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from contracts.matches import Optimality
from contracts.programs import MatchObjective, ParticipantRole, ProgramKind
from hypothesis import given
from hypothesis import strategies as st
from matching.domain.compatibility import Compatibility
from matching.domain.groups import diversity_penalty
from matching.domain.model import CohortProblem, CohortSolution, MenteeProfile
from matching.domain.optimizer import solve_cohort

from bench.matching.baselines import solve_dense_assignment as solve_dense_reference
from bench.matching.baselines import solve_greedy
from services.matching.tests.unit.references import (
    BIPARTITE,
    SETTINGS,
    _milp_max,
    _weights,
    assert_feasible,
    milp_reference,
    organizations,
    pair_allowed,
    with_policy,
)

# --- the properties ---


@SETTINGS
@given(BIPARTITE.flatmap(organizations))
def test_matching_never_breaks_a_hard_rule_and_reaches_the_exact_optimum(
    problem: CohortProblem,
) -> None:
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    filled, objective = milp_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:  # else ties may differ in count
        assert solution.stats.filled_slots == filled


@SETTINGS
@given(BIPARTITE.flatmap(organizations))
def test_matching_equals_dense_linear_sum_assignment_on_the_expanded_matrix(
    problem: CohortProblem,
) -> None:
    problem = with_policy(problem, mentors_per_mentee=1, prioritize_underrepresented=False)
    solution = solve_cohort(problem)
    reference = solve_dense_reference(problem)
    assert solution.stats.objective == reference.objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.filled_slots == reference.filled_slots
    assert solve_greedy(problem).objective <= solution.stats.objective


@SETTINGS
@given(organizations(ProgramKind.GROUP))
def test_matching_groups_are_optimal_circles_within_size(problem: CohortProblem) -> None:
    # The flow stage alone, which is exact: goal balancing is a local search on top of it.
    problem = with_policy(problem, goal_balance_penalty=0)
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    assert all(len(c.member_ids) <= problem.policy.group_size for c in solution.circles)
    members = [i for c in solution.circles for i in c.member_ids]
    assert sorted(members) == sorted(m.mentee_id for m in solution.matches)
    filled, objective = milp_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.filled_slots == filled


def _repeats(codes: list[str | None]) -> int:
    known = [c for c in codes if c is not None]
    return len(known) - len(set(known))


def _theme(mentee: MenteeProfile) -> str | None:
    if not mentee.goals:
        return None
    return " ".join(mentee.goals[0].casefold().split()) or None


def combined_objective(problem: CohortProblem, solution: CohortSolution) -> int:
    """Fit minus the department and goal penalties of the solution's circles, read from its
    pairs alone: each circle pays per member beyond the first sharing a known department or
    a goal theme (the first goal)."""
    p = problem.policy
    weights, _, _ = _weights(problem)
    mentees = {e.id: e for e in problem.mentees}
    circles: dict[str, list[MenteeProfile]] = {}
    for m in solution.matches:
        circles.setdefault(m.mentor_id, []).append(mentees[m.mentee_id])
    fit = sum(weights[(m.mentor_id, m.mentee_id)] for m in solution.matches)
    departments = sum(_repeats([e.department for e in c]) for c in circles.values())
    themes = sum(_repeats([_theme(e) for e in c]) for c in circles.values())
    goal_penalty = round(p.goal_balance_penalty * 10_000)
    return fit - diversity_penalty(p) * departments - goal_penalty * themes


def _crowded(problem: CohortProblem) -> CohortProblem:
    """The same organization with everyone enrolled, and only the blocked pairs as a rule:
    fuller circles, so that goal balancing has members to re-seat."""
    return replace(
        with_policy(problem, min_level_gap=-5, max_level_gap=5),
        mentees=[
            replace(
                e,
                active=True,
                roles=frozenset({ParticipantRole.MENTEE}),
                languages=(),
                reporting_line=frozenset(),
            )
            for e in problem.mentees
        ],
        mentors=[
            replace(
                r,
                active=True,
                roles=frozenset({ParticipantRole.MENTOR}),
                capacity=max(r.capacity, 1),
                languages=(),
                reporting_line=frozenset(),
            )
            for r in problem.mentors
        ],
    )


@SETTINGS
@given(organizations(ProgramKind.GROUP), st.sampled_from([0.05, 0.3, 1.0]), st.booleans())
def test_matching_goal_balance_reseats_the_same_members_and_never_loses(
    problem: CohortProblem, goal_penalty: float, crowded: bool
) -> None:
    problem = with_policy(
        _crowded(problem) if crowded else problem, goal_balance_penalty=goal_penalty
    )
    balanced = solve_cohort(problem)
    flow_only = solve_cohort(with_policy(problem, goal_balance_penalty=0))
    assert_feasible(problem, balanced)
    assert all(len(c.member_ids) <= problem.policy.group_size for c in balanced.circles)
    members = [i for c in balanced.circles for i in c.member_ids]
    assert sorted(members) == sorted(m.mentee_id for m in balanced.matches)
    assert {m.mentee_id for m in balanced.matches} == {m.mentee_id for m in flow_only.matches}
    assert balanced.stats.underrepresented_rate == flow_only.stats.underrepresented_rate
    assert balanced.stats.others_rate == flow_only.stats.others_rate
    objective = combined_objective(problem, balanced)
    assert objective >= combined_objective(problem, flow_only)
    assert balanced.stats.objective == objective
    # The flow's optimum (fit less the department penalty) bounds any seating from above:
    # what re-seating could not reach of it is the run's gap, and only a zero gap is PROVEN.
    gap = flow_only.stats.objective - balanced.stats.objective
    assert gap >= 0 and round(balanced.optimality_gap * 10_000) == gap
    assert (balanced.optimality is Optimality.PROVEN) == (gap == 0)
    assert flow_only.optimality is Optimality.PROVEN


def peer_reference(problem: CohortProblem) -> tuple[int, int]:
    """(people paired, objective) by MILP over every allowed pair: an exact general-graph
    matching (branch and bound handles the odd cycles)."""
    p = problem.policy
    pool = [x for x in problem.mentees if x.active and ParticipantRole.PEER in x.roles]
    compat = Compatibility(pool, pool, p, problem.blocked_pairs, problem.reference_day)
    if not pool:
        return 0, 0
    w, _ = compat.block(np.arange(len(pool), dtype=np.intp))
    edges = [
        (i, j)
        for i in range(len(pool))
        for j in range(i + 1, len(pool))
        if pair_allowed(pool[i], pool[j], problem)
    ]
    if not edges:
        return 0, 0
    gain = np.array([w[i, j] for i, j in edges], dtype=float)
    rows = [np.array([i in e for e in edges], dtype=float) for i in range(len(pool))]
    lb, ub = [0.0] * len(rows), [1.0] * len(rows)
    if p.objective is MatchObjective.MAX_MATCHED:
        count = np.ones(len(edges))
        most = int(_milp_max(count, rows, ub, lb).sum())
        rows.append(count)
        lb.append(most)
        ub.append(most)
    x = _milp_max(gain, rows, ub, lb)
    return 2 * int(x.sum()), round(float(x @ gain))


@SETTINGS
@given(organizations(ProgramKind.PEER, max_mentees=14))
def test_matching_peer_pairs_are_a_maximum_weight_matching(problem: CohortProblem) -> None:
    solution = solve_cohort(problem)
    pool = {x.id: x for x in problem.mentees}
    seen: list[str] = []
    for pair in solution.peer_pairs:
        assert pair_allowed(pool[pair.first_id], pool[pair.second_id], problem)
        assert pair_allowed(pool[pair.second_id], pool[pair.first_id], problem)
        seen += [pair.first_id, pair.second_id]
    assert len(seen) == len(set(seen))  # pairs of two, nobody twice
    assert solution.stats.proven_optimal
    paired, objective = peer_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.matched_mentees == paired
