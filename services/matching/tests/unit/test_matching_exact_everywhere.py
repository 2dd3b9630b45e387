"""Exact on every cohort, and sparse where it should be: the adversarial shapes against the
dense min-cost flow over every allowed pair, and the findings that once made the certificate
stall (ties), re-score every pair each round (the cache cliff) or go dense (one mentor with
a huge capacity). Counts, never timings."""

from __future__ import annotations

from dataclasses import astuple, replace
from unittest import mock

import numpy as np
import pytest
from contracts.matches import Optimality
from contracts.programs import MatchObjective
from matching.domain import compatibility, flow, pricing
from matching.domain.candidates import (
    Candidates,
    TieBreak,
    column_sizes,
    initial_candidates,
    row_size,
)
from matching.domain.compatibility import Compatibility
from matching.domain.flow import FlowModel, TransportSolver
from matching.domain.model import CohortProblem
from matching.domain.optimizer import solve_cohort
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor, wanted_slots
from matching.domain.scoring import SCORE_SCALE

from bench.matching.baselines import solve_dense_assignment, solve_dense_flow, solve_greedy
from bench.matching.instances import ADVERSARIAL, adversarial, cohort
from services.matching.tests.unit.references import with_policy


@pytest.mark.parametrize("objective", list(MatchObjective))
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_matching_adversarial_cohorts_reach_the_dense_optimum(
    name: str, objective: MatchObjective
) -> None:
    problem = with_policy(adversarial(name, 300), objective=objective)
    solution = solve_cohort(problem)
    reference = solve_dense_flow(problem)
    assert solution.optimality is Optimality.PROVEN and solution.stats.proven_optimal
    assert solution.optimality_gap == 0.0
    assert solution.stats.objective == reference.objective
    if objective is MatchObjective.MAX_MATCHED:
        assert solution.stats.filled_slots == reference.filled_slots
    assert solve_greedy(problem).objective <= solution.stats.objective
    if problem.policy.mentors_per_mentee == 1:  # the second, independent exact reference
        assert solve_dense_assignment(problem).objective == reference.objective


def test_matching_ties_do_not_stall_the_certificate() -> None:
    # Finding: with equal scores every mentee's top candidates were the same mentors, each
    # round reached ~16 more, and the solver stopped unproven at 50 rounds, 20 % short.
    problem = adversarial("identical", 1_000)  # 1,000 alike against 200 of capacity 5
    solution = solve_cohort(problem)
    assert solution.optimality is Optimality.PROVEN
    assert solution.stats.filled_slots == 1_000 == solve_dense_flow(problem).filled_slots
    assert solution.stats.rounds <= 3
    assert solution.stats.candidate_pairs < solution.stats.allowed_pairs / 10


def test_matching_equal_mentees_spread_their_first_candidates_over_equal_mentors() -> None:
    problem = adversarial("identical", 1_000)
    compat, slots, capacity = _parts(problem)
    rows = np.arange(compat.n, dtype=np.intp)
    ties = TieBreak(compat.n, compat.m)
    start = initial_candidates(
        compat, rows, row_size(slots), column_sizes(capacity, compat.n), ties
    )
    per_mentor = np.bincount(start.cols, minlength=compat.m)
    assert per_mentor.min() >= 5  # every mentor can fill its places in the first round
    assert len(start) <= compat.n * row_size(slots) + int(column_sizes(capacity, compat.n).sum())


def test_matching_one_huge_capacity_keeps_the_others_sparse() -> None:
    # Finding: candidate counts per mentor followed the largest capacity, for every mentor,
    # so one mentor of capacity 10,000 made every pair a candidate.
    problem = adversarial("big_capacity", 600)
    solution = solve_cohort(problem)
    assert solution.stats.objective == solve_dense_flow(problem).objective
    assert solution.stats.candidate_pairs < solution.stats.allowed_pairs / 3
    assert column_sizes(np.array([1, 5, 10_000]), 600).tolist() == [8, 20, 600]


def _parts(problem: CohortProblem, **kw: int) -> tuple[Compatibility, np.ndarray, np.ndarray]:
    policy = problem.policy
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    compat = Compatibility(
        mentees, mentors, policy, problem.blocked_pairs, problem.reference_day, **kw
    )
    slots = np.array([wanted_slots(p, policy) for p in mentees], dtype=np.int64)
    capacity = np.array([p.capacity for p in mentors], dtype=np.int64)
    return compat, slots, capacity


def test_matching_scores_every_pair_once_however_many_rounds() -> None:
    # Finding: above 60 M pairs the weights were not kept, and every certificate round
    # scored every pair again (50k x 10k: ~8 full scoring passes).
    problem = cohort(1_000)
    solution = solve_cohort(problem)
    pairs = len(problem.mentees) * len(problem.mentors)
    assert solution.stats.rounds >= 2
    assert solution.stats.scored_pairs == pairs
    assert compatibility.CACHE_BYTES >= 50_000 * 10_000 * 2  # the 50k x 10k bench fits


def test_matching_past_the_cache_budget_only_the_rows_beyond_it_are_scored_again() -> None:
    problem = cohort(1_000)
    m = len(problem.mentors)
    half = 500 * m * 2  # bytes for the first 500 rows
    real = compatibility.Compatibility

    def budgeted(*args: object, **kwargs: object) -> Compatibility:
        return real(*args, cache_bytes=half, **kwargs)  # type: ignore[arg-type]

    with mock.patch("matching.domain.optimizer.Compatibility", budgeted):
        solution = solve_cohort(problem)
    # The first pass scores everything; each round reads all rows, scoring only the 500
    # it could not keep. No cliff: the extra work is proportional to what did not fit.
    assert solution.stats.scored_pairs == 1_000 * m + solution.stats.rounds * 500 * m
    assert solution.stats.objective == solve_cohort(problem).stats.objective


def test_matching_a_stopped_flow_reports_a_valid_gap_bound() -> None:
    problem = cohort(600)
    compat, slots, capacity = _parts(problem)
    scorer = compat.scorer
    model = FlowModel(
        row_slots=slots,
        col_capacity=capacity,
        row_department=scorer.mentee_department,
        col_department=scorer.mentor_department,
    )
    rows = np.arange(compat.n, dtype=np.intp)
    ties = TieBreak(compat.n, compat.m)
    start = initial_candidates(compat, rows, 1, np.ones(compat.m, dtype=np.int64), ties)
    stopped = TransportSolver(model, compat, rows, ties).solve(start, max_rounds=1)
    optimum = solve_dense_flow(problem).objective
    assert not stopped.proven_optimal
    assert -stopped.cost < optimum <= -stopped.cost + stopped.gap
    finished = TransportSolver(model, compat, rows, ties).solve(start)
    assert finished.proven_optimal and finished.gap == 0 and -finished.cost == optimum


def test_matching_rounds_that_stop_paying_off_go_dense_and_still_prove() -> None:
    problem = cohort(400)

    def stingy(*args: object, **kwargs: object) -> pricing.Pricing:
        # A pricing that adds a single violated pair per round: rounds stop paying off.
        found = pricing.price(*args, **kwargs)  # type: ignore[arg-type]
        return replace(found, added=Candidates(*(a[:1] for a in astuple(found.added))))

    with mock.patch.object(flow, "price", stingy):
        solution = solve_cohort(problem)
    assert solution.optimality is Optimality.PROVEN
    assert solution.stats.objective == solve_dense_flow(problem).objective
    assert solution.stats.candidate_pairs == solution.stats.allowed_pairs  # went dense
    assert solution.stats.rounds <= flow.STALL_ROUNDS + 1


def test_matching_a_network_too_large_to_grow_stops_as_best_found_with_its_gap() -> None:
    problem = cohort(400)
    with mock.patch.object(flow, "MAX_CANDIDATES", 1):
        solution = solve_cohort(problem)
    optimum = solve_dense_flow(problem).objective
    assert solution.optimality is Optimality.BEST_FOUND
    assert not solution.stats.proven_optimal
    assert solution.stats.objective < optimum
    assert optimum <= solution.stats.objective + round(solution.optimality_gap * SCORE_SCALE)
