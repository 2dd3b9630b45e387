"""One solver on one instance, in a process of its own so its peak memory is its own:
`python -m bench.matching.worker SOLVER INSTANCE MENTEES SEED OUT.json`.

SOLVER: optimizer, greedy, dense-flow, scipy, or a scoring pass over every pair (score-pass:
the readable float64 definition, CohortScorer.scores with the rules' mask; fused-pass: the
int16 weights the optimizer reads). INSTANCE: cohort, or an adversarial name."""

from __future__ import annotations

import hashlib
import json
import pickle
import resource
import sys
import time

import numpy as np
from matching.domain.compatibility import Compatibility
from matching.domain.model import CohortProblem
from matching.domain.optimizer import solve_cohort
from matching.domain.rules import PairRules, is_eligible_mentee, is_eligible_mentor
from matching.domain.scoring import CohortScorer
from matching.domain.weights import PairWeights

from bench.matching.baselines import solve_dense_assignment, solve_dense_flow, solve_greedy
from bench.matching.instances import adversarial, cohort


def _people(problem: CohortProblem) -> tuple[list, list]:  # type: ignore[type-arg]
    policy = problem.policy
    mentees = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    mentors = [p for p in problem.mentors if is_eligible_mentor(p)]
    return mentees, mentors


def _score_pass(problem: CohortProblem) -> dict[str, object]:
    """The scorer and rules built, then every pair scored once (float64, as defined)."""
    mentees, mentors = _people(problem)
    policy = problem.policy
    scorer = CohortScorer(mentees, mentors, policy, problem.reference_day)
    rules = PairRules(mentees, mentors, policy, problem.blocked_pairs)
    rows = np.arange(len(mentees), dtype=np.intp)
    step = max(1, 2_000_000 // max(len(mentors), 1))
    allowed = 0
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        scores = scorer.scores(chunk)
        ok = rules.allowed(chunk)
        allowed += int(np.count_nonzero(ok & (scores >= 0)))
    return {"allowed_pairs": allowed, "pairs": len(mentees) * len(mentors)}


def _fused_pass(problem: CohortProblem) -> dict[str, object]:
    """The same, as the optimizer's int16 weights (built, every block computed, not kept)."""
    mentees, mentors = _people(problem)
    policy = problem.policy
    compat = Compatibility(mentees, mentors, policy, problem.blocked_pairs, problem.reference_day)
    weights = PairWeights(compat.scorer, compat.rules)
    rows = np.arange(len(mentees), dtype=np.intp)
    allowed = 0
    for start in range(0, len(rows), compat.block_rows):
        allowed += int(
            np.count_nonzero(weights.block(rows[start : start + compat.block_rows]) >= 0)
        )
    return {"allowed_pairs": allowed, "pairs": len(mentees) * len(mentors)}


def _solve(solver: str, problem: CohortProblem) -> dict[str, object]:
    if solver == "optimizer":
        solution = solve_cohort(problem)
        stats = solution.stats
        return {
            "objective": stats.objective,
            "filled_slots": stats.filled_slots,
            "optimality": str(solution.optimality),
            "optimality_gap": solution.optimality_gap,
            "candidate_pairs": stats.candidate_pairs,
            "allowed_pairs": stats.allowed_pairs,
            "rounds": stats.rounds,
            "scored_pairs": stats.scored_pairs,
        }
    if solver in ("greedy", "dense-flow", "scipy"):
        run = {"greedy": solve_greedy, "dense-flow": solve_dense_flow}.get(
            solver, solve_dense_assignment
        )
        baseline = run(problem)
        return {"objective": baseline.objective, "filled_slots": baseline.filled_slots}
    if solver == "score-pass":
        return _score_pass(problem)
    if solver == "fused-pass":
        return _fused_pass(problem)
    raise SystemExit(f"unknown solver {solver!r}")


def main(argv: list[str]) -> int:
    solver, instance, mentees, seed, out = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4]
    problem = (
        cohort(mentees, seed=seed) if instance == "cohort" else adversarial(instance, mentees, seed)
    )
    # The parent sets PYTHONHASHSEED, so equal instances pickle to equal bytes.
    digest = hashlib.sha256(pickle.dumps(problem)).hexdigest()[:16]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    result = _solve(solver, problem)
    result["seconds"] = time.perf_counter() - started
    # CPU time too: on a shared machine it varies less with the load than wall time does.
    result["cpu_seconds"] = time.process_time() - cpu_started
    result["rss_before_solve_mib"] = before / 1024
    result["instance"] = digest
    result["mentors"] = len(problem.mentors)
    with open(out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
