"""The matching benchmark: cohorts of 1,000, 5,000 and 10,000 mentees with 20 % as many
mentors of capacity 5. For each size, on the same instance: the optimizer (sparse min-cost
flow with its optimality certificate), a greedy baseline, and the dense exact reference
(SciPy linear_sum_assignment on the capacity-expanded matrix) where it is enabled.

Each solve runs in a fresh process; its time is the solve alone (not instance generation or
imports) and its peak memory is that process's maximum RSS, read with os.wait4. Results are
printed as a table and written to var/bench/matching.json. Nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "matching.json"
SIZES = [1_000, 5_000, 10_000]


def _run(solver: str, mentees: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "bench.matching.worker",
            solver,
            str(mentees),
            str(seed),
            str(out),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        # wait4, not wait: it returns this child's own resource usage (peak RSS in KiB).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            return {"solver": solver, "error": f"exit code {proc.returncode}"}
        result: dict[str, Any] = json.loads(out.read_text())
    result["solver"] = solver
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    return result


def _table(rows: list[dict[str, Any]]) -> str:
    head = f"{'mentees':>8} {'mentors':>7} {'solver':<9} {'seconds':>8} {'cpu s':>7} "
    head += f"{'objective':>11} {'filled':>7} {'vs exact':>9} {'speed-up':>8} {'peak RSS':>9}  note"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['mentees']:>8} {r['mentors']:>7} {r['solver']:<9} {r['error']}")
            continue
        gap = "" if r.get("gap_to_exact") is None else f"{100 * r['gap_to_exact']:.2f}%"
        speed = "" if r.get("speedup_vs_dense") is None else f"{r['speedup_vs_dense']:.1f}x"
        note = []
        if r["solver"] == "optimizer":
            note.append("proven optimal" if r.get("proven_optimal") else "NOT PROVEN")
            note.append(f"{r['candidate_pairs']:,} of {r['allowed_pairs']:,} pairs")
            note.append(f"{r['rounds']} rounds")
        lines.append(
            f"{r['mentees']:>8} {r['mentors']:>7} {r['solver']:<9} {r['seconds']:>8.2f} "
            f"{r['cpu_seconds']:>7.2f} "
            f"{r['objective']:>11,} {r['filled_slots']:>7,} {gap:>9} {speed:>8} "
            f"{r['peak_rss_mib']:>6.0f} MiB  {', '.join(note)}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench matching", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="mentees per cohort")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dense-max",
        type=int,
        default=5_000,
        help="largest cohort the dense reference runs on (about 30 s at 5,000 here; "
        "10,000 takes minutes and ~2 GB: pass --dense-max 10000 to include it)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    failed = False
    for size in args.sizes:
        solvers = ["optimizer", "greedy"] + (["dense"] if size <= args.dense_max else [])
        results = {}
        for solver in solvers:
            print(f"  {size:,} mentees: {solver} ...", flush=True)
            result = _run(solver, size, args.seed)
            result.update(mentees=size, mentors=round(size * 0.2), capacity=5)
            results[solver] = result
        ok = {k: v for k, v in results.items() if "error" not in v}
        if len({r["instance"] for r in ok.values()}) > 1:
            raise SystemExit(f"solvers saw different instances at {size}")
        exact = ok.get("dense", ok.get("optimizer"))
        for r in ok.values():
            if exact is not None and exact.get("objective"):
                r["gap_to_exact"] = 1 - r["objective"] / exact["objective"]
            if "dense" in ok and r["solver"] != "dense":
                r["speedup_vs_dense"] = ok["dense"]["seconds"] / r["seconds"]
                r["cpu_speedup_vs_dense"] = ok["dense"]["cpu_seconds"] / r["cpu_seconds"]
        if "dense" in ok and "optimizer" in ok:
            same = ok["dense"]["objective"] == ok["optimizer"]["objective"]
            ok["optimizer"]["equals_dense_optimum"] = same
            failed |= not same
        failed |= len(ok) < len(results)
        rows.extend(results[s] for s in solvers)

    print(_table(rows))
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs: wall times are inflated")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "matching",
        "seed": args.seed,
        "load_average_at_end": os.getloadavg()[0],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **{pkg: version(pkg) for pkg in ("numpy", "scipy", "ortools", "rustworkx")},
        },
        "results": rows,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")
    if failed:
        print("the optimizer did not match the dense optimum, or a solver failed", file=sys.stderr)
    return 1 if failed else 0
