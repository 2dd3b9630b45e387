"""The matching benchmark. Cohorts of 1,000, 5,000, 10,000 and 20,000 mentees with 20 % as many
mentors of capacity 5 (50,000 with --large: about half a minute and 1.6 GB for the optimizer,
a few minutes in all),
then the adversarial cohorts (instances.ADVERSARIAL) at 5,000 mentees. On each instance:

* optimizer: `solve_cohort`, the certified sparse min-cost flow, reasons included;
* greedy: the best remaining allowed pair while places last;
* dense-flow: one OR-Tools min-cost flow over every allowed pair, the exact reference
  (up to --dense-max mentees: it holds every allowed pair);
* scipy: linear_sum_assignment on the capacity-expanded matrix (one mentor per mentee, up to
  --scipy-max mentees);
* score-pass / fused-pass: one scoring pass over every pair (the readable float64 definition;
  the optimizer's int16 weights), the yardsticks of the "x pass" columns.

Each runs in a fresh process; its time is the solve alone (not instance generation or
imports), CPU seconds beside wall seconds (steadier on a shared machine), and its peak
memory is that process's maximum RSS (os.wait4), instance included. Results are printed and
written to var/bench/matching.json; the exit status is 1 if the optimizer's objective differs
from an exact reference, or a solver failed. Nothing here asserts timings.
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

from bench.matching.instances import ADVERSARIAL

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "matching.json"
SIZES = [1_000, 5_000, 10_000, 20_000]
LARGE = 50_000
EXACT = ("dense-flow", "scipy")


def _run(solver: str, instance: str, mentees: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.matching.worker", solver, instance]
        cmd += [str(mentees), str(seed), str(out)]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        # wait4, not wait: it returns this child's own resource usage (peak RSS in KiB).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        base = {"solver": solver, "instance_name": instance, "mentees": mentees}
        if proc.returncode != 0:
            return {**base, "error": f"exit code {proc.returncode}"}
        result: dict[str, Any] = json.loads(out.read_text())
    return {**base, **result, "peak_rss_mib": usage.ru_maxrss / 1024}


def _solvers(instance: str, size: int, args: argparse.Namespace) -> list[str]:
    solvers = ["score-pass", "fused-pass", "optimizer", "greedy"]
    if size <= args.dense_max:
        solvers.append("dense-flow")
    # SciPy's assignment covers one mentor per mentee, on a matrix of mentees x places.
    if size <= args.scipy_max and instance not in ("several_mentors", "big_capacity"):
        solvers.append("scipy")
    return solvers


def _compare(results: dict[str, dict[str, Any]]) -> bool:
    """Ratios and the exactness check; True when an exact reference disagrees."""
    ok = {k: v for k, v in results.items() if "error" not in v}
    if len({r["instance"] for r in ok.values()}) > 1:
        raise SystemExit("solvers saw different instances")
    wrong = False
    optimizer = ok.get("optimizer")
    for name in EXACT:
        if optimizer is not None and name in ok:
            same = ok[name]["objective"] == optimizer["objective"]
            optimizer[f"equals_{name}"] = same
            wrong |= not same
    exact = next((ok[n] for n in EXACT if n in ok), optimizer)
    for r in ok.values():
        if "objective" in r and exact is not None and exact.get("objective"):
            r["gap_to_exact"] = 1 - r["objective"] / exact["objective"]
        for yardstick, key in (("score-pass", "x_score_pass"), ("fused-pass", "x_fused_pass")):
            if yardstick in ok and "objective" in r:
                r[key] = r["cpu_seconds"] / max(ok[yardstick]["cpu_seconds"], 1e-9)
        if "greedy" in ok and "objective" in r:
            r["x_greedy"] = r["cpu_seconds"] / max(ok["greedy"]["cpu_seconds"], 1e-9)
    return wrong or len(ok) < len(results)


def _cell(r: dict[str, Any], key: str, fmt: str) -> str:
    return "" if r.get(key) is None else format(r[key], fmt)


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'instance':<16} {'mentees':>7} {'mentors':>7} {'solver':<10} {'wall s':>7} "
        f"{'cpu s':>7} {'peak MiB':>8} {'objective':>12} {'filled':>6} {'vs exact':>8} "
        f"{'x pass':>6} {'x fused':>7} {'x greedy':>8}  note"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lead = f"{r['instance_name']:<16} {r['mentees']:>7} {r.get('mentors', ''):>7} "
        lead += f"{r['solver']:<10} "
        if "error" in r:
            lines.append(lead + r["error"])
            continue
        note = []
        if r["solver"] == "optimizer":
            note.append(r["optimality"])
            if r.get("optimality_gap"):
                note.append(f"gap {r['optimality_gap']:.4f}")
            note.append(f"{r['candidate_pairs']:,} of {r['allowed_pairs']:,} pairs")
            note.append(f"{r['rounds']} rounds")
            note.append(f"scored {r['scored_pairs'] / max(r['mentees'] * r['mentors'], 1):.2f}x")
        elif r["solver"].endswith("pass"):
            note.append(f"{r['pairs']:,} pairs scored, {r['allowed_pairs']:,} allowed")
        gap = "" if r.get("gap_to_exact") is None else f"{100 * r['gap_to_exact']:.2f}%"
        lines.append(
            lead
            + f"{r['seconds']:>7.2f} {r['cpu_seconds']:>7.2f} {r['peak_rss_mib']:>8.0f} "
            + f"{_cell(r, 'objective', ',d'):>12} {_cell(r, 'filled_slots', ',d'):>6} {gap:>8} "
            + f"{_cell(r, 'x_score_pass', '.2f'):>6} {_cell(r, 'x_fused_pass', '.1f'):>7} "
            + f"{_cell(r, 'x_greedy', '.2f'):>8}  {', '.join(note)}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench matching", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="mentees per cohort")
    parser.add_argument(
        "--large", action="store_true", help=f"also {LARGE:,} mentees x {LARGE // 5:,} mentors"
    )
    parser.add_argument("--adversarial-size", type=int, default=5_000, help="0: skip them")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dense-max",
        type=int,
        default=10_000,
        help="largest cohort the dense min-cost flow runs on (it holds every allowed pair: "
        "about 1 GB at 10,000; 20,000 needs about 4 GB)",
    )
    parser.add_argument(
        "--scipy-max",
        type=int,
        default=5_000,
        help="largest cohort SciPy's assignment runs on (a dense mentees x places matrix: "
        "about a minute at 5,000)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    plan = [("cohort", size) for size in [*args.sizes, *([LARGE] if args.large else [])]]
    if args.adversarial_size:
        plan += [(name, args.adversarial_size) for name in ADVERSARIAL]
    rows: list[dict[str, Any]] = []
    failed = False
    for instance, size in plan:
        results = {}
        for solver in _solvers(instance, size, args):
            print(f"  {instance} {size:,} mentees: {solver} ...", flush=True)
            results[solver] = _run(solver, instance, size, args.seed)
        failed |= _compare(results)
        rows.extend(results.values())

    print(_table(rows))
    if not args.large:
        print(f"({LARGE:,} mentees left out: pass --large to include them)")
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
        print("the optimizer did not match an exact reference, or a solver failed", file=sys.stderr)
    return 1 if failed else 0
