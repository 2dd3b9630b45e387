"""The sessions benchmark: a program starting for 5,000 accepted matches at once (30,000
sessions: six each), people in 12 time zones with about 20 busy blocks a week each. Every
series is planned with the planner (`planning.plan_prepared`: interval arithmetic), mentors'
sessions booked for one mentee counting as busy for the next; then a sample of the same
series, with the very same inputs, is planned by the naive baseline (`baselines.scan_series`:
every minute of every search window looked at), in the same run. The baseline's time for the
whole cohort is extrapolated from the sample (mean per series x series), and says so; the two
must give the same plan on the sample.

Times are the planning alone (the cohort is generated first). Peak memory is the process's
maximum RSS (it includes the generated cohort, printed apart). Results are printed and
written to var/bench/sessions.json; nothing here asserts timings.

`python -m bench sessions [--matches N] [--sample N] [--seed N]`
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sessions.domain.baselines import scan_series
from sessions.domain.intervals import Span, merge
from sessions.domain.planning import PlannedOccurrence, plan_prepared
from sessions.domain.slots import PreparedAttendee, SlotFound, SlotRules, prepare

from bench.sessions.cohort import NOTICE, NOW, SESSION, ZONES, Cohort, Pair, build

OUT = Path("var/bench/sessions.json")
TARGET_SPEEDUP = 20.0
TARGET_COHORT_SECONDS = 60.0
TARGET_SERIES_P95_MS = 20.0


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _outcome(plan: tuple[PlannedOccurrence, ...]) -> list[str]:
    return [
        p.result.start.isoformat() if isinstance(p.result, SlotFound) else p.result.reason
        for p in plan
    ]


def plan_cohort(
    cohort: Cohort, rules: SlotRules, sample: set[int]
) -> tuple[dict[str, Any], dict[int, tuple[list[PreparedAttendee], list[Span], list[str]]]]:
    """Every series with the planner. Returns the measurements, and for the sampled pairs the
    inputs each was planned with (its mentor's earlier bookings included) and its outcome."""
    prepared: dict[str, PreparedAttendee] = {}
    booked: dict[str, list[Span]] = {}
    per_series: list[float] = []
    per_series_cpu: list[float] = []
    reasons: Counter[str] = Counter()
    kept: dict[int, tuple[list[PreparedAttendee], list[Span], list[str]]] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    for index, pair in enumerate(cohort.pairs):
        t0, c0 = time.perf_counter(), time.process_time()
        people = []
        for person in (pair.mentor, pair.mentee):
            if person.person_id not in prepared:
                prepared[person.person_id] = prepare([person])[0]
            people.append(prepared[person.person_id])
        also_busy = merge(booked.get(pair.mentor.person_id, []))
        plan = plan_prepared(
            pair.occurrences, people, zone=pair.mentor.zone, rules=rules, also_busy=also_busy
        )
        for planned in plan:
            if isinstance(planned.result, SlotFound):
                span = planned.result.interval.span()
                booked.setdefault(pair.mentor.person_id, []).append(span)
                booked.setdefault(pair.mentee.person_id, []).append(span)
            else:
                reasons[planned.result.reason] += 1
        per_series.append(time.perf_counter() - t0)
        per_series_cpu.append(time.process_time() - c0)
        if index in sample:
            kept[index] = (people, also_busy, _outcome(plan))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    sessions = sum(len(p.occurrences) for p in cohort.pairs)
    return {
        "series": len(cohort.pairs),
        "sessions": sessions,
        "scheduled": sessions - sum(reasons.values()),
        "unscheduled_by_reason": dict(reasons),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "series_p50_ms": 1000 * statistics.median(per_series),
        "series_p95_ms": 1000 * statistics.quantiles(per_series, n=20)[-1],
        "series_max_ms": 1000 * max(per_series),
        "series_cpu_p95_ms": 1000 * statistics.quantiles(per_series_cpu, n=20)[-1],
        "sample_wall_seconds": sum(per_series[i] for i in sample),
    }, kept


def baseline_sample(
    cohort: Cohort,
    rules: SlotRules,
    kept: dict[int, tuple[list[PreparedAttendee], list[Span], list[str]]],
) -> dict[str, Any]:
    """The sampled series again, minute by minute, on the same inputs."""
    per_series: list[float] = []
    mismatches: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for index, (people, also_busy, outcome) in sorted(kept.items()):
        pair: Pair = cohort.pairs[index]
        t0 = time.perf_counter()
        plan = scan_series(
            pair.occurrences, people, zone=pair.mentor.zone, rules=rules, also_busy=also_busy
        )
        per_series.append(time.perf_counter() - t0)
        if _outcome(plan) != outcome:
            mismatches.append(pair.match_id)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "series": len(kept),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "series_mean_ms": 1000 * statistics.fmean(per_series),
        "series_p95_ms": 1000 * statistics.quantiles(per_series, n=20)[-1],
        "extrapolated_cohort_seconds": statistics.fmean(per_series) * len(cohort.pairs),
        "extrapolated_cohort_cpu_seconds": cpu / len(kept) * len(cohort.pairs),
        "same_plan_as_planner": not mismatches,
        "mismatched_matches": mismatches[:20],
    }


def _report(planner: dict[str, Any], naive: dict[str, Any], memory: dict[str, float]) -> str:
    speedup = naive["extrapolated_cohort_seconds"] / planner["wall_seconds"]
    same_pairs = naive["wall_seconds"] / planner["sample_wall_seconds"]
    mark = {True: "ok", False: "MISSED"}
    rows = [
        ("series planned (matches)", f"{planner['series']:,}"),
        ("sessions planned", f"{planner['sessions']:,}"),
        ("sessions scheduled", f"{planner['scheduled']:,}"),
        ("sessions unscheduled, by reason", json.dumps(planner["unscheduled_by_reason"])),
        (
            "planner: whole cohort, wall s",
            f"{planner['wall_seconds']:.2f}  "
            f"(target < {TARGET_COHORT_SECONDS:.0f} s: "
            f"{mark[planner['wall_seconds'] < TARGET_COHORT_SECONDS]})",
        ),
        ("planner: whole cohort, CPU s", f"{planner['cpu_seconds']:.2f}"),
        (
            "planner: one series p50 / p95 / max, wall ms",
            f"{planner['series_p50_ms']:.2f} / {planner['series_p95_ms']:.2f} / "
            f"{planner['series_max_ms']:.2f}  (p95 target < {TARGET_SERIES_P95_MS:.0f} ms: "
            f"{mark[planner['series_p95_ms'] < TARGET_SERIES_P95_MS]})",
        ),
        ("planner: one series p95, CPU ms", f"{planner['series_cpu_p95_ms']:.2f}"),
        ("baseline: sample measured, series", f"{naive['series']:,}"),
        (
            "baseline: sample wall / CPU s",
            f"{naive['wall_seconds']:.2f} / {naive['cpu_seconds']:.2f}",
        ),
        (
            "baseline: one series mean / p95, ms",
            f"{naive['series_mean_ms']:.1f} / {naive['series_p95_ms']:.1f}",
        ),
        (
            "baseline: whole cohort, EXTRAPOLATED wall / CPU s",
            f"{naive['extrapolated_cohort_seconds']:.0f} / "
            f"{naive['extrapolated_cohort_cpu_seconds']:.0f}",
        ),
        (
            "speed-up, cohort wall (extrapolated baseline / planner)",
            f"{speedup:.0f}x  (target >= {TARGET_SPEEDUP:.0f}x: {mark[speedup >= TARGET_SPEEDUP]})",
        ),
        (
            "speed-up, cohort CPU (extrapolated baseline / planner)",
            f"{naive['extrapolated_cohort_cpu_seconds'] / planner['cpu_seconds']:.0f}x",
        ),
        ("speed-up, same sampled series measured by both", f"{same_pairs:.0f}x"),
        ("baseline gives the planner's plan on the sample", mark[naive["same_plan_as_planner"]]),
        ("peak RSS, MiB (after generating the cohort)", f"{memory['after_cohort']:.0f}"),
        ("peak RSS, MiB (end of run)", f"{memory['end']:.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sessions", description=__doc__)
    parser.add_argument("--matches", type=int, default=5_000)
    parser.add_argument("--sample", type=int, default=100, help="series the baseline plans")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    print(f"  generating {args.matches:,} matches in {len(ZONES)} zones ...", flush=True)
    cohort = build(args.matches, args.seed)
    memory = {"after_cohort": _rss_mib()}
    rules = SlotRules(SESSION, NOW, NOTICE)
    sample = set(random.Random(args.seed).sample(range(len(cohort.pairs)), args.sample))
    print(
        f"  planning every series ({cohort.people:,} people, "
        f"{cohort.busy_blocks:,} busy blocks) ...",
        flush=True,
    )
    planner, kept = plan_cohort(cohort, rules, sample)
    print(f"  baseline on {len(kept)} sampled series ...", flush=True)
    naive = baseline_sample(cohort, rules, kept)
    memory["end"] = _rss_mib()
    print(_report(planner, naive, memory))
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs: wall times are inflated")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "sessions",
        "seed": args.seed,
        "matches": args.matches,
        "people": cohort.people,
        "busy_blocks": cohort.busy_blocks,
        "zones": ZONES,
        "load_average_at_end": load,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "planner": planner,
        "baseline": naive,
        "speedup_extrapolated": naive["extrapolated_cohort_seconds"] / planner["wall_seconds"],
        "peak_rss_mib": memory,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")
    if not naive["same_plan_as_planner"]:
        print("the baseline planned some sampled series differently", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
