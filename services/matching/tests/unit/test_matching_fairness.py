"""Priority for under-represented mentees, as `optimizer` defines it: achievable and harmless.
It gives them the first claim on first mentors and nothing else, so a mentee no rule allows
anyone for cannot cap the others, their second mentors do not come before anyone's first,
and no place is left empty for the sake of a rate."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from contracts.programs import MatchObjective, ProgramKind
from hypothesis import given
from hypothesis import strategies as st
from matching.domain.model import CohortProblem, CohortSolution
from matching.domain.optimizer import solve_cohort

from bench.matching.instances import cohort
from services.matching.tests.unit.references import (
    BIPARTITE,
    SETTINGS,
    _weights,
    assert_feasible,
    assert_priority_kept,
    milp_reference,
    organizations,
    wanted,
    with_policy,
)

KINDS = st.one_of(BIPARTITE, st.just(ProgramKind.GROUP))


def assert_no_place_left_for_nothing(problem: CohortProblem, solution: CohortSolution) -> None:
    """No mentee short of the mentors they want while a mentor allowed to them has an open
    place (and the pair would keep one mentor per department): filling it would raise the
    objective without touching anyone's first mentor. Under BEST_TOTAL a pair of weight 0
    adds nothing and may stay out."""
    p = problem.policy
    weights, mentees, mentors = _weights(problem)
    held = Counter(m.mentee_id for m in solution.matches)
    load = Counter(m.mentor_id for m in solution.matches)
    group = p.kind is ProgramKind.GROUP
    places = {r.id: p.group_size if group else r.capacity for r in mentors}
    wants = {e.id: wanted(e, p) for e in mentees}
    department = {r.id: r.department for r in mentors}
    taken = {(m.mentee_id, department[m.mentor_id]) for m in solution.matches}
    pairs = {(m.mentor_id, m.mentee_id) for m in solution.matches}
    for (mentor_id, mentee_id), weight in weights.items():
        if (mentor_id, mentee_id) in pairs or held[mentee_id] >= wants[mentee_id]:
            continue
        if load[mentor_id] >= places[mentor_id]:
            continue
        dept = department[mentor_id]
        if (
            p.mentors_per_mentee > 1
            and not group
            and dept is not None
            and (mentee_id, dept) in taken
        ):
            continue
        assert weight == 0 and p.objective is MatchObjective.BEST_TOTAL, (mentor_id, mentee_id)


@SETTINGS
@given(KINDS.flatmap(organizations))
def test_matching_priority_first_claim_is_exact_and_harmless(problem: CohortProblem) -> None:
    problem = with_policy(problem, prioritize_underrepresented=True, goal_balance_penalty=0)
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)  # includes the definition (assert_priority_kept)
    assert_no_place_left_for_nothing(problem, solution)
    filled, objective = milp_reference(problem)
    assert solution.stats.objective == objective
    if problem.policy.objective is MatchObjective.MAX_MATCHED:
        # Places form a polymatroid: first claims never lower the most places filled.
        plain = solve_cohort(with_policy(problem, prioritize_underrepresented=False))
        assert solution.stats.filled_slots == filled == plain.stats.filled_slots


def _everyone(problem: CohortProblem, underrepresented: bool) -> CohortProblem:
    return replace(
        problem,
        mentees=[replace(e, underrepresented=underrepresented) for e in problem.mentees],
    )


@SETTINGS
@given(
    KINDS.flatmap(organizations),
    st.sampled_from(["one_unmatchable", "everyone", "several_mentors", "capacity_1"]),
)
def test_matching_priority_on_adversarial_cohorts(problem: CohortProblem, shape: str) -> None:
    problem = with_policy(problem, prioritize_underrepresented=True, goal_balance_penalty=0)
    if shape == "one_unmatchable":
        # One under-represented mentee no mentor's level fits, everyone else not.
        others = _everyone(problem, False)
        lone = replace(others.mentees[0], underrepresented=True, level=99)
        problem = replace(others, mentees=[lone, *others.mentees[1:]])
    elif shape == "everyone":
        problem = _everyone(problem, True)
    elif shape == "several_mentors":
        problem = with_policy(problem, mentors_per_mentee=3)
    else:
        problem = replace(problem, mentors=[replace(r, capacity=1) for r in problem.mentors])
    solution = solve_cohort(problem)
    assert_feasible(problem, solution)
    assert_no_place_left_for_nothing(problem, solution)
    assert solution.stats.objective == milp_reference(problem)[1]
    if shape == "one_unmatchable":
        assert solution.fairness.underrepresented.matchable == 0
        plain = solve_cohort(with_policy(problem, prioritize_underrepresented=False))
        assert solution.stats.objective == plain.stats.objective
        assert solution.stats.matched_mentees == plain.stats.matched_mentees


def _one_unmatchable(mentees: int) -> CohortProblem:
    base = cohort(mentees)
    people = [replace(p, underrepresented=False) for p in base.mentees]
    people[0] = replace(people[0], underrepresented=True, level=9)  # no mentor fits 9 + 1..3
    return replace(
        base, mentees=people, policy=replace(base.policy, prioritize_underrepresented=True)
    )


@pytest.mark.parametrize("objective", list(MatchObjective))
def test_matching_one_unmatchable_underrepresented_mentee_caps_nobody(
    objective: MatchObjective,
) -> None:
    # Finding: this run once matched 0 of 1,000 (the others' cap followed her rate, 0).
    problem = with_policy(_one_unmatchable(1_000), objective=objective)
    prioritized = solve_cohort(problem)
    plain = solve_cohort(with_policy(problem, prioritize_underrepresented=False))
    assert prioritized.stats.matched_mentees == plain.stats.matched_mentees > 900
    assert prioritized.stats.objective == plain.stats.objective
    fair = prioritized.fairness
    assert (fair.underrepresented.mentees, fair.underrepresented.matchable) == (1, 0)
    assert fair.underrepresented.match_rate is None  # unmatchable: in neither rate
    assert fair.others.matched == plain.stats.matched_mentees
    assert fair.reachable == 0


@pytest.mark.parametrize("objective", list(MatchObjective))
def test_matching_second_mentors_of_the_prioritized_wait_for_everyone_s_first(
    objective: MatchObjective,
) -> None:
    # Finding: with three mentors each, under-represented mentees' second and third mentors
    # once came before anyone else's first, and the others were capped at their rate.
    base = cohort(300)
    problem = with_policy(
        base, mentors_per_mentee=3, objective=objective, prioritize_underrepresented=True
    )
    solution = solve_cohort(problem)
    assert_no_place_left_for_nothing(problem, solution)
    assert_priority_kept(problem, solution)
    if objective is MatchObjective.MAX_MATCHED:
        plain = solve_cohort(with_policy(problem, prioritize_underrepresented=False))
        assert solution.stats.filled_slots == plain.stats.filled_slots
