"""One solver on one instance, in a process of its own so its peak memory is its own:
`python -m bench.matching.worker SOLVER MENTEES SEED OUT.json`."""

from __future__ import annotations

import hashlib
import json
import pickle
import resource
import sys
import time

from matching.domain.optimizer import solve_cohort

from bench.matching.baselines import solve_dense_assignment as solve_dense_reference
from bench.matching.baselines import solve_greedy
from bench.matching.instances import cohort


def main(argv: list[str]) -> int:
    solver, mentees, seed, out = argv[0], int(argv[1]), int(argv[2]), argv[3]
    problem = cohort(mentees, seed=seed)
    # The parent sets PYTHONHASHSEED, so equal instances pickle to equal bytes.
    digest = hashlib.sha256(pickle.dumps(problem)).hexdigest()[:16]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    result: dict[str, object]
    if solver == "optimizer":
        solution = solve_cohort(problem)
        result = {
            "objective": solution.stats.objective,
            "filled_slots": solution.stats.filled_slots,
            "proven_optimal": solution.stats.proven_optimal,
            "candidate_pairs": solution.stats.candidate_pairs,
            "allowed_pairs": solution.stats.allowed_pairs,
            "rounds": solution.stats.rounds,
        }
    elif solver in ("greedy", "dense"):
        baseline = (solve_greedy if solver == "greedy" else solve_dense_reference)(problem)
        result = {"objective": baseline.objective, "filled_slots": baseline.filled_slots}
    else:
        raise SystemExit(f"unknown solver {solver!r}")
    result["seconds"] = time.perf_counter() - started
    # CPU time too: on a shared machine it varies less with the load than wall time does.
    result["cpu_seconds"] = time.process_time() - cpu_started
    result["rss_before_solve_mib"] = before / 1024
    result["instance"] = digest
    with open(out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
