"""The insights benchmark: a program's insights answered from its incrementally kept state,
against a full recomputation from the raw facts (the baseline), in the same run.

Synthetic data (seeded, `bench.insights.synthetic`): a 100,000-person org with two years of
HRIS history, a program of 10,000 participants, 200,000 sessions and 300,000 answers.

Measured:
- ingest: every program fact applied one at a time as a consumer would (keep the newest per
  id, `supersedes`, `change`, add the change to the kept rows), and every HRIS event (the
  person's outcome record redone, `record_change` added to the counts): facts per second,
  pure Python without database I/O; plus the pure `apply` returning new state;
- protect: the disclosure-controlled tables and comparisons, redone when people counts
  change (not per query);
- answer: `Program.insights` from the kept state (operational figures, representation,
  outcomes against the matched comparison, objectives, weekly and monthly series): p50/p95;
- baseline: the same answer recomputed from every raw fact and every person's history;
- both answers must be equal. Wall and CPU seconds per phase, peak memory (max RSS).

`python -m bench insights [--people N] [--participants N] [--sessions N] [--responses N]`;
writes var/bench/insights.json. Nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from contracts.programs import ObjectiveMetric
from feedback.adapters.charts.render import render_png, render_svg
from feedback.adapters.charts.series import Chart, adoption, outcomes, satisfaction
from feedback.domain.facts import Fact
from feedback.domain.figures import (
    ZERO,
    ProgramFigures,
    Tally,
    apply,
    change,
    supersedes,
)
from feedback.domain.insights import ProgramInsights, Protected, answer, protect
from feedback.domain.objectives import Objective
from feedback.domain.org_history import PersonHistory
from feedback.domain.outcomes import (
    Coarsening,
    OutcomeKey,
    OutcomeRecord,
    OutcomeWindow,
    apply_counts,
    count_records,
    outcome_record,
    record_change,
)
from feedback.domain.periods import Grain
from feedback.domain.recompute import recompute

from bench.insights.synthetic import (
    NOW,
    PROGRAM,
    PROGRAM_START,
    Org,
    OrgEventKind,
    build_org,
    program_facts,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "insights.json"
WINDOW = OutcomeWindow(PROGRAM_START, NOW)
COARSENING = Coarsening()
OBJECTIVES = [
    Objective(
        metric=ObjectiveMetric.PARTICIPATION, target=0.15, baseline=0.0, due_on=date(2026, 6, 30)
    ),
    Objective(
        metric=ObjectiveMetric.SATISFACTION, target=4.2, baseline=3.8, due_on=date(2026, 6, 30)
    ),
    Objective(
        metric=ObjectiveMetric.PROMOTION_RATE, target=0.2, baseline=0.11, due_on=date(2026, 6, 30)
    ),
    Objective(
        metric=ObjectiveMetric.INTERNAL_MOBILITY,
        target=0.08,
        baseline=0.05,
        due_on=date(2026, 6, 30),
    ),
    Objective(
        metric=ObjectiveMetric.RETENTION, target=0.93, baseline=0.9, due_on=date(2026, 6, 30)
    ),
]
T = TypeVar("T")


class Phase:
    """Wall and CPU seconds of a block."""

    def __init__(self, name: str, log: dict[str, dict[str, float]]) -> None:
        self.name, self.log = name, log

    def __enter__(self) -> Phase:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.log[self.name] = {
            "wall_s": round(time.perf_counter() - self.wall, 3),
            "cpu_s": round(time.process_time() - self.cpu, 3),
        }
        print(
            f"  {self.name}: {self.log[self.name]['wall_s']} s wall, "
            f"{self.log[self.name]['cpu_s']} s CPU",
            flush=True,
        )


def timed(run: Callable[[], T], repeats: int) -> tuple[list[float], T]:
    """Seconds of each run (after one warm-up), and the last answer."""
    result = run()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ingest_facts(facts: list[Fact]) -> tuple[ProgramFigures, int, float]:
    """A consumer: keep the newest fact per id, add each change to the kept rows in place
    (a store's `UPDATE … SET n = n + :delta`). Returns the figures, news and seconds."""
    stored: dict[tuple[type, str], Fact] = {}
    rows: dict[Any, Tally] = {}
    participants: dict[Any, int] = {}
    news = 0
    started = time.perf_counter()
    for fact in facts:
        key = (type(fact), fact.id)
        previous = stored.get(key)
        if not supersedes(fact, previous):
            continue
        delta = change(fact, previous)
        for bucket, tally in delta.buckets.items():
            rows[bucket] = rows.get(bucket, ZERO).plus(tally)
        for group, n in delta.participants.items():
            participants[group] = participants.get(group, 0) + n
        stored[key] = fact
        news += 1
    seconds = time.perf_counter() - started
    figures = ProgramFigures(
        PROGRAM,
        {b: t for b, t in rows.items() if not t.is_zero()},
        {g: n for g, n in participants.items() if n},
    )
    return figures, news, seconds


def pure_apply_rate(facts: list[Fact], sample: int) -> float:
    """Facts per second through `apply` returning new state (the first `sample` facts)."""
    stored: dict[tuple[type, str], Fact] = {}
    figures = ProgramFigures(PROGRAM)
    started = time.perf_counter()
    for fact in facts[:sample]:
        key = (type(fact), fact.id)
        previous = stored.get(key)
        if supersedes(fact, previous):
            figures = apply(figures, change(fact, previous))
            stored[key] = fact
    return sample / (time.perf_counter() - started)


def ingest_org(org: Org) -> tuple[dict[OutcomeKey, int], int, float]:
    """A consumer of HRIS changes: each redoes one person's outcome record and adds the
    difference to the counts."""
    histories: dict[int, PersonHistory] = {}
    records: dict[int, OutcomeRecord | None] = {}
    counts: dict[OutcomeKey, int] = {}
    index = {h.person_id: i for i, h in enumerate(org.people)}
    started = time.perf_counter()
    for history in org.present:
        i = index[history.person_id]
        histories[i] = history
        records[i] = outcome_record(
            history, WINDOW, history.person_id in org.participants, COARSENING
        )
        counts = apply_counts(counts, record_change(records[i], None))
    for event in org.events:
        if event.kind is OrgEventKind.HIRED:
            histories[event.person] = replace(org.people[event.person], left_at=None, moves=())
            histories[event.person] = replace(
                histories[event.person],
                level=_first(org.people[event.person], "level"),
                department=_first(org.people[event.person], "department"),
            )
        elif event.kind is OrgEventKind.MOVED:
            held = histories[event.person]
            histories[event.person] = replace(held, moves=(*held.moves, *event.moves))
        else:
            histories[event.person] = replace(histories[event.person], left_at=event.at)
        history = histories[event.person]
        record = outcome_record(history, WINDOW, history.person_id in org.participants, COARSENING)
        delta = record_change(record, records.get(event.person))
        for key, n in delta.items():  # in place, as a store's counters would be
            total = counts.get(key, 0) + n
            if total:
                counts[key] = total
            else:
                counts.pop(key, None)
        records[event.person] = record
    return counts, len(org.present) + len(org.events), time.perf_counter() - started


def _first(person: PersonHistory, field: str) -> Any:
    """A person's value when hired: before their first recorded change of it."""
    moves = [m for m in person.moves if m.field.value == field]
    return moves[0].from_value if moves else getattr(person, field)


def insights_now(
    figures: ProgramFigures, protected: Protected, eligible: int
) -> tuple[ProgramInsights, list[Chart]]:
    """Program.insights as the API answers it: the figures and the time series."""
    result = answer(
        figures,
        protected,
        OBJECTIVES,
        eligible=eligible,
        started_on=PROGRAM_START.date(),
        as_of=NOW,
    )
    series = [
        adoption(figures, Grain.WEEK, PROGRAM_START, NOW),
        satisfaction(figures, Grain.WEEK, PROGRAM_START, NOW),
        adoption(figures, Grain.MONTH, PROGRAM_START, NOW),
        satisfaction(figures, Grain.MONTH, PROGRAM_START, NOW),
        outcomes(result),
    ]
    return result, series


def baseline(org: Org, facts: list[Fact], eligible: int) -> tuple[ProgramInsights, list[Chart]]:
    """The same answer from scratch: every fact and every person's whole history."""
    figures = recompute(PROGRAM, facts)
    records = [
        outcome_record(p, WINDOW, p.person_id in org.participants, COARSENING) for p in org.people
    ]
    protected = protect(figures.participants, count_records(records), WINDOW)
    return insights_now(figures, protected, eligible)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench insights", description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--responses", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=200, help="answers timed for p95")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    phases: dict[str, dict[str, float]] = {}
    mentors = round(args.participants * 0.3)

    print(
        f"insights benchmark: {args.people:,} people, {args.participants:,} participants, "
        f"{args.sessions:,} sessions, {args.responses:,} answers (seed {args.seed})",
        flush=True,
    )
    with Phase("generate org and program", phases):
        org = build_org(args.people, args.participants, args.seed)
        facts = list(
            program_facts(
                org, mentors, args.participants - mentors, args.sessions, args.responses, args.seed
            )
        )
    eligible = sum(1 for p in org.people if p.left_at is None)
    with Phase("ingest program facts", phases):
        figures, news, fact_seconds = ingest_facts(facts)
    with Phase("ingest HRIS changes", phases):
        counts, org_events, org_seconds = ingest_org(org)
    with Phase("pure apply (sample)", phases):
        pure_rate = pure_apply_rate(facts, min(len(facts), 200_000))
    with Phase("protect (on people-count changes)", phases):
        protect_seconds, protected = timed(lambda: protect(figures.participants, counts, WINDOW), 3)
    with Phase("answer from kept state", phases):
        answer_seconds, (fast, fast_series) = timed(
            lambda: insights_now(figures, protected, eligible), args.queries
        )
    with Phase("baseline: recompute from raw", phases):
        baseline_seconds, (slow, slow_series) = timed(
            lambda: baseline(org, facts, eligible), max(1, args.baseline_runs - 1)
        )
    equal = fast == slow and [c.as_json() for c in fast_series] == [
        c.as_json() for c in slow_series
    ]
    with Phase("render charts", phases):
        svg_seconds, svg = timed(lambda: render_svg(fast_series[0]), 5)
        png_seconds, png = timed(lambda: render_png(fast_series[0]), 5)

    p50, p95 = statistics.median(answer_seconds), percentile(answer_seconds, 0.95)
    base = statistics.median(baseline_seconds)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = fast.operational
    promotion = fast.outcome(fast.outcomes[0].metric)
    result = {
        "benchmark": "insights",
        "seed": args.seed,
        "data": {
            "people": args.people,
            "hris_events": len(org.events),
            "participants": args.participants,
            "facts_delivered": len(facts),
            "facts_applied": news,
            "sessions_completed": totals.sessions_completed,
            "answers": totals.rating_responses,
        },
        "ingest": {
            "program_facts_per_s": round(len(facts) / fact_seconds),
            "hris_events_per_s": round(org_events / org_seconds),
            "pure_apply_facts_per_s": round(pure_rate),
            # Per CPU second of the phase: what the code does when it has a core to itself.
            "program_facts_per_cpu_s": round(len(facts) / phases["ingest program facts"]["cpu_s"]),
            "hris_events_per_cpu_s": round(org_events / phases["ingest HRIS changes"]["cpu_s"]),
            "note": "pure Python, one process, no database I/O",
        },
        "protect_ms": {"median": round(1000 * statistics.median(protect_seconds), 1)},
        "answer_ms": {
            "p50": round(1000 * p50, 2),
            "p95": round(1000 * p95, 2),
            "runs": len(answer_seconds),
        },
        "baseline_ms": {"median": round(1000 * base, 1), "runs": len(baseline_seconds)},
        "speedup_p50": round(base / p50, 1),
        "speedup_p95": round(base / p95, 1),
        # Worst case: the first query after people counts changed also redoes `protect`.
        "speedup_cold": round(base / (statistics.median(protect_seconds) + p95), 1),
        "answers_equal": equal,
        "render_ms": {
            "svg": round(1000 * statistics.median(svg_seconds), 1),
            "png": round(1000 * statistics.median(png_seconds), 1),
        },
        "chart_bytes": {"svg": len(svg), "png": len(png)},
        "phases": phases,
        "peak_rss_mib": round(peak_mib),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "figures": {
            "enrolled_mentees": totals.enrolled_mentees,
            "active_matches": totals.active_matches,
            "average_rating": totals.average_rating,
            "nps": totals.nps,
            "response_rate": totals.response_rate,
            "promotion_participants": None
            if promotion is None or promotion.comparison is None
            else promotion.comparison.participants.rate,
            "promotion_comparison": None
            if promotion is None or promotion.comparison is None
            else promotion.comparison.comparison.rate,
        },
    }
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    if not equal:
        print("the incremental answer differs from the recomputation", file=sys.stderr)
        return 1
    return 0


def report(r: dict[str, Any]) -> None:
    rows = [
        ("insights answer p50 (kept state)", f"{r['answer_ms']['p50']} ms", "target p95 < 100 ms"),
        (
            "insights answer p95 (kept state)",
            f"{r['answer_ms']['p95']} ms",
            f"{r['answer_ms']['runs']} runs",
        ),
        (
            "full recomputation (baseline)",
            f"{r['baseline_ms']['median']} ms",
            f"median of {r['baseline_ms']['runs']}",
        ),
        ("speedup at p95", f"{r['speedup_p95']}x", "target >= 50x"),
        (
            "protect (redone when people counts change)",
            f"{r['protect_ms']['median']} ms",
            "not per query",
        ),
        ("speedup, first query after such a change", f"{r['speedup_cold']}x", "protect + answer"),
        (
            "apply program facts, one at a time",
            f"{r['ingest']['program_facts_per_s']:,}/s",
            f"target >= 5,000/s; no DB I/O; {r['ingest']['program_facts_per_cpu_s']:,}/CPU s",
        ),
        (
            "apply, pure (new state each fact)",
            f"{r['ingest']['pure_apply_facts_per_s']:,}/s",
            "no DB I/O",
        ),
        (
            "apply HRIS changes, one at a time",
            f"{r['ingest']['hris_events_per_s']:,}/s",
            f"no DB I/O; {r['ingest']['hris_events_per_cpu_s']:,}/CPU s",
        ),
        ("render a chart: SVG / PNG", f"{r['render_ms']['svg']} / {r['render_ms']['png']} ms", ""),
        ("answers equal", str(r["answers_equal"]), ""),
        ("peak memory (max RSS)", f"{r['peak_rss_mib']} MiB", ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    print(f"load average at the end: {r['load_average_at_end']} on {r['machine']['cpus']} CPUs")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
