"""The fused int16 weights the optimizer maximizes agree with the readable score and rules,
whatever the block a pair is read in, and are kept compactly."""

from __future__ import annotations

import numpy as np
from contracts.programs import ProgramKind
from hypothesis import given
from hypothesis import strategies as st
from matching.domain.compatibility import Compatibility
from matching.domain.model import CohortProblem
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor
from matching.domain.scoring import SCORE_SCALE

from bench.matching.instances import cohort
from services.matching.tests.unit.references import SETTINGS, organizations


def _compat(problem: CohortProblem) -> Compatibility:
    policy = problem.policy
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    if policy.kind is ProgramKind.PEER:
        mentors: list[object] = list(mentees)
    else:
        mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    return Compatibility(
        mentees,
        mentors,  # type: ignore[arg-type]
        policy,
        problem.blocked_pairs,
        problem.reference_day,
    )


@SETTINGS
@given(st.sampled_from(list(ProgramKind)).flatmap(organizations), st.integers(1, 4))
def test_matching_fused_weights_are_the_score_and_the_rules(
    problem: CohortProblem, block_rows: int
) -> None:
    compat = _compat(problem)
    if compat.n == 0 or compat.m == 0:
        return
    rows = np.arange(compat.n, dtype=np.intp)
    compat.block_rows = block_rows  # any split into blocks reads the same weights
    weights = compat.weights_of(rows)
    allowed = compat.rules.allowed(rows)
    assert np.array_equal(weights >= 0, allowed)
    readable = np.rint(compat.scorer.scores(rows) * SCORE_SCALE)
    assert np.abs(weights - readable)[allowed].max(initial=0) <= 1  # float32 rounding
    assert np.array_equal(compat.weights_of(rows[::-1]), weights[::-1])
    if problem.policy.kind is ProgramKind.PEER:
        assert np.array_equal(weights, weights.T)  # w(a, b) == w(b, a), bit for bit


def test_matching_weights_are_scored_once_and_kept_in_two_bytes() -> None:
    problem = cohort(400)
    compat = _compat(problem)
    rows = np.arange(compat.n, dtype=np.intp)
    first = compat.weights_of(rows)
    again = compat.weights_of(rows)
    assert np.array_equal(first, again)
    assert compat.scored_pairs == compat.n * compat.m  # the second read scored nothing
    assert compat._cache is not None and compat._cache.dtype == np.int16
