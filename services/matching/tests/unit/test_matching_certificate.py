"""The sparse optimizer is exact because of its certificate, not because the candidate lists
happen to be long enough: with one candidate per person it must still find the dense
optimum, adding the pairs the certificate asks for. Also: the solver runs in a worker
process, as the service calls it."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from unittest import mock

import numpy as np
import pytest
from contracts.programs import MatchObjective, ParticipantRole, ProgramKind
from matching.domain import optimizer, peer, potentials
from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)

from bench.matching.baselines import solve_dense_assignment as solve_dense_reference
from bench.matching.baselines import solve_greedy

SKILLS = ["negotiation", "pricing", "hiring", "coaching", "budgets", "strategy", "sql"]
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata"]


def cohort(n: int, seed: int = 1, capacity: int = 2) -> CohortProblem:
    """A small org where everybody wants the same few mentors: top-1 lists cannot do."""
    rng = np.random.default_rng(seed)
    m = max(2, n // 4)

    def pick(k: int) -> list[str]:
        return [SKILLS[i] for i in rng.choice(len(SKILLS), size=k, replace=False)]

    mentees = [
        MenteeProfile(
            id=f"e{k}",
            level=int(rng.integers(1, 4)),
            roles=frozenset({ParticipantRole.MENTEE}),
            department=f"d{rng.integers(0, 4)}",
            goals=[f"learn {s}" for s in pick(2)],
            interests=pick(1),
            time_zone=ZONES[int(rng.integers(0, 3))],
            underrepresented=bool(rng.random() < 0.3),
        )
        for k in range(n)
    ]
    mentors = [
        MentorProfile(
            id=f"r{k}",
            level=int(rng.integers(3, 7)),
            roles=frozenset({ParticipantRole.MENTOR}),
            department=f"d{rng.integers(0, 4)}",
            skills=pick(3),
            interests=pick(1),
            time_zone=ZONES[int(rng.integers(0, 3))],
            capacity=capacity,
            mean_rating=float(rng.uniform(2, 5)),
            rating_count=int(rng.integers(0, 9)),
        )
        for k in range(m)
    ]
    return CohortProblem(policy=MatchingPolicy(), mentors=mentors, mentees=mentees)


@contextmanager
def one_candidate_each() -> Iterator[None]:
    """The first round keeps one pair per mentee and one per mentor."""
    with (
        mock.patch.object(optimizer, "row_size", lambda slots: 1),
        mock.patch.object(optimizer, "column_sizes", lambda cap, n: np.ones_like(cap)),
    ):
        yield


def with_policy(problem: CohortProblem, **changes: object) -> CohortProblem:
    return replace(problem, policy=replace(problem.policy, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("objective", list(MatchObjective))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matching_one_candidate_each_still_reaches_the_dense_optimum(
    objective: MatchObjective, seed: int
) -> None:
    problem = with_policy(cohort(80, seed), objective=objective)
    reference = solve_dense_reference(problem)
    with one_candidate_each():
        solution = optimizer.solve_cohort(problem)
    assert solution.stats.rounds > 1  # the certificate had to add pairs
    assert solution.stats.proven_optimal
    assert solution.stats.objective == reference.objective
    assert (
        solution.stats.filled_slots >= reference.filled_slots
        or objective is MatchObjective.BEST_TOTAL
    )
    assert solution.stats.candidate_pairs < solution.stats.allowed_pairs  # and stayed sparse
    assert solve_greedy(problem).objective < solution.stats.objective


def test_matching_the_certificate_holds_with_priority_and_several_mentors() -> None:
    problem = with_policy(cohort(60, 4), mentors_per_mentee=2, prioritize_underrepresented=True)
    full = optimizer.solve_cohort(problem)
    with one_candidate_each():
        sparse = optimizer.solve_cohort(problem)
    assert sparse.stats.proven_optimal and full.stats.proven_optimal
    assert sparse.stats.objective == full.stats.objective
    assert sparse.stats.filled_slots == full.stats.filled_slots
    assert sparse.stats.underrepresented_rate == full.stats.underrepresented_rate


def test_matching_potentials_from_the_fallback_flow_certify_the_same_answer() -> None:
    problem = cohort(80, 5)
    fast = optimizer.solve_cohort(problem)
    with mock.patch.object(potentials, "_RELAXATION_ROUNDS", 0):  # Bellman-Ford gives up at once
        slow = optimizer.solve_cohort(problem)
    assert slow.stats.proven_optimal
    assert (slow.stats.objective, slow.stats.rounds) == (fast.stats.objective, fast.stats.rounds)


def test_matching_peer_pool_exact_from_one_candidate_each() -> None:
    base = cohort(40, 6)
    pool = [replace(p, roles=frozenset({ParticipantRole.PEER})) for p in base.mentees]
    problem = CohortProblem(
        policy=MatchingPolicy(kind=ProgramKind.PEER, max_level_gap=1), mentees=pool
    )
    full = optimizer.solve_cohort(problem)
    with mock.patch.object(peer, "CANDIDATES_PER_PERSON", 1):
        sparse = optimizer.solve_cohort(problem)
    assert sparse.stats.proven_optimal
    assert sparse.stats.objective == full.stats.objective
    assert sparse.stats.candidate_pairs < sparse.stats.allowed_pairs  # and stayed sparse


def test_matching_solves_in_a_worker_process() -> None:
    problem = cohort(30, 7)
    context = multiprocessing.get_context("spawn")  # what a service with threads should use
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        remote = pool.submit(optimizer.solve_cohort, problem).result(timeout=120)
    local = optimizer.solve_cohort(problem)
    assert isinstance(remote, CohortSolution)
    assert remote.matches == local.matches
    assert pickle.loads(pickle.dumps(remote)) == remote  # noqa: S301 (our own bytes)
