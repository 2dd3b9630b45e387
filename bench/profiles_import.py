"""Bulk import of a whole org against the baseline of applying its people one by one, in the
same run, each on a fresh SQLite database.

- bulk import: a CSV snapshot of a synthetic org (a realistic manager tree, departments,
  regions with their time zones and languages, levels and titles by depth; rows in no
  particular order, as exports come) parsed, diffed against what is held and written in
  batches with its events (`profiles.service_layer.imports`);
- baseline: the same people as HRIS hires through `apply_hris_change`, one transaction each
  (managers first, its best case). When that would take long it is measured on a sample and
  extrapolated linearly; the output says so;
- re-imports of the same 50,000 rows: with 3 changes (must write exactly 3 events), and
  unchanged (must write none).

`python -m bench.profiles_import [--people N] [--sample N] [--full-baseline]`; prints a table
and writes var/bench/profiles_import.json.
"""

import argparse
import asyncio
import csv
import io
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.hris import HrisChange, HrisChangeType
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from profiles.adapters.metadata import messaging
from profiles.bootstrap import MIGRATIONS
from profiles.domain.org_snapshot import COLUMNS, OrgSnapshot, parse_csv
from profiles.service_layer.imports import import_snapshot
from profiles.service_layer.org_changes import apply_hris_change
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

OUT = Path("var/bench/profiles_import.json")
TENANT = "bench"
SEED = 20261124
REGIONS = [
    ("Europe/Berlin", "Berlin", ["de", "en"]),
    ("America/New_York", "New York", ["en"]),
    ("Asia/Tokyo", "Tokyo", ["ja", "en"]),
    ("Europe/London", "London", ["en"]),
    ("America/Sao_Paulo", "São Paulo", ["pt", "en"]),
    ("Asia/Kolkata", "Bengaluru", ["en", "hi"]),
]
DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Operations",
    "People",
    "Legal",
    "Product",
    "Customer Success",
    "Research",
]
TITLES = {
    10: "Chief Executive Officer",
    9: "Vice President",
    8: "Senior Director",
    7: "Director",
    6: "Senior Manager",
    5: "Manager",
    4: "Lead",
    3: "Senior Specialist",
    2: "Specialist",
    1: "Associate",
}


def synthetic_org(size: int, rng: random.Random) -> list[dict[str, Any]]:
    """`size` people, managers before their reports: a CEO, a department under each of their
    direct reports, 3 to 9 reports per manager, most people in their manager's region."""
    ids = [f"E{n:07d}" for n in rng.sample(range(1, 10 * size + 1), size)]
    people: list[dict[str, Any]] = []
    frontier: list[int] = []

    def add(manager: int | None, department: str, region: int, depth: int) -> int:
        index = len(people)
        zone, location, languages = REGIONS[region]
        level = max(1, 10 - depth)
        given, family = f"Given{index}", f"Family{index % 997}"
        people.append(
            {
                "externalId": ids[index],
                "email": f"{given}.{family}@northwind.example".lower(),
                "displayName": f"{given} {family}",
                "givenName": given,
                "familyName": family,
                "title": f"{TITLES[level]}, {department}" if depth else TITLES[10],
                "department": department,
                "location": location,
                "timeZone": zone,
                "level": level,
                "managerExternalId": ids[manager] if manager is not None else None,
                "hireDate": (date(2026, 1, 1) - timedelta(days=rng.randrange(30, 9000))),
                "languages": languages,
                "_region": region,
                "_depth": depth,
            }
        )
        frontier.append(index)
        return index

    add(None, "Executive Office", 0, 0)
    for department in DEPARTMENTS:
        if len(people) < size:
            add(0, department, rng.randrange(len(REGIONS)), 1)
    cursor = 1
    while len(people) < size:
        manager = frontier[cursor]
        cursor += 1
        boss = people[manager]
        for _ in range(rng.randint(3, 9)):
            if len(people) >= size:
                break
            region = boss["_region"] if rng.random() < 0.85 else rng.randrange(len(REGIONS))
            add(manager, boss["department"], region, boss["_depth"] + 1)
    return people


def as_csv(people: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for person in people:
        cells = []
        for column in COLUMNS:
            value = person[column]
            if value is None:
                cells.append("")
            elif isinstance(value, list):
                cells.append(";".join(value))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


async def fresh_database(directory: Path, name: str) -> tuple[AsyncEngine, UnitOfWorkFactory]:
    url = f"sqlite:///{directory / f'{name}-{uuid.uuid4().hex[:6]}.db'}"
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    return engine, UnitOfWorkFactory(session_factory(engine), messaging, "/cairn/profiles")


async def events_written(engine: AsyncEngine) -> int:
    outbox = messaging.outbox
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


async def timed_import(engine: AsyncEngine, uows: UnitOfWorkFactory, text: str) -> dict[str, Any]:
    before = await events_written(engine)
    started = time.perf_counter()
    snapshot: OrgSnapshot = await asyncio.to_thread(parse_csv, text)
    parsed = time.perf_counter()
    report = await import_snapshot(uows, TENANT, snapshot)
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "parse_seconds": parsed - started,
        "events": await events_written(engine) - before,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }


async def baseline(
    uows: UnitOfWorkFactory, people: Sequence[dict[str, Any]], sample: int, full: bool
) -> dict[str, Any]:
    """Hires one by one, one transaction each; stops after `sample` people unless `full`."""
    effective = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [
        HrisChange(
            id=f"hire-{person['externalId']}",
            type=HrisChangeType.HIRED,
            effective_at=effective,
            source_version=1,
            employee={k: v for k, v in person.items() if not k.startswith("_")},
        )
        for person in people
    ]
    measured = changes if full else changes[:sample]
    started = time.perf_counter()
    for change in measured:
        async with uows() as uow:
            await apply_hris_change(uow, TENANT, change)
            await uow.commit()
    seconds = time.perf_counter() - started
    per_person = seconds / len(measured)
    return {
        "measured_people": len(measured),
        "measured_seconds": seconds,
        "seconds": per_person * len(people),
        "extrapolated": len(measured) < len(people),
    }


def with_three_changes(people: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    changed = [dict(p) for p in people]
    first, second, third = rng.sample(range(1, len(people)), 3)
    changed[first]["title"] = "Chief of Staff"
    changed[second]["department"] = (
        "Research" if people[second]["department"] != "Research" else "Legal"
    )
    changed[third]["location"] = "Lisbon"
    return changed


async def run(size: int, sample: int, full_baseline: bool) -> dict[str, Any]:
    rng = random.Random(SEED)
    people = synthetic_org(size, rng)
    in_file_order = rng.sample(people, len(people))  # exports are not in reporting order
    text = as_csv(in_file_order)
    results: dict[str, Any] = {"people": size, "csv_bytes": len(text.encode())}
    with tempfile.TemporaryDirectory(prefix="cairn-bench-import-") as tmp:
        directory = Path(tmp)
        engine, uows = await fresh_database(directory, "bulk")
        try:
            results["bulk_import"] = await timed_import(engine, uows, text)
            changed = as_csv(with_three_changes(in_file_order, rng))
            results["reimport_3_changes"] = await timed_import(engine, uows, changed)
            results["reimport_unchanged"] = await timed_import(engine, uows, changed)
        finally:
            await engine.dispose()
        engine, uows = await fresh_database(directory, "baseline")
        try:
            results["baseline_one_by_one"] = await baseline(uows, people, sample, full_baseline)
        finally:
            await engine.dispose()
    results["speedup"] = (
        results["baseline_one_by_one"]["seconds"] / results["bulk_import"]["seconds"]
    )
    return results


def print_table(results: dict[str, Any]) -> None:
    size = results["people"]
    base = results["baseline_one_by_one"]
    rows = [
        ("bulk import (CSV → rows + events)", results["bulk_import"]),
        ("re-import, 3 changes", results["reimport_3_changes"]),
        ("re-import, unchanged", results["reimport_unchanged"]),
    ]
    print(f"profiles import: {size:,} people, CSV of {results['csv_bytes'] / 1e6:.1f} MB")
    print(f"{'case':<38} {'seconds':>9} {'people/s':>10} {'events':>8}")
    for name, row in rows:
        print(
            f"{name:<38} {row['seconds']:>9.2f} {size / row['seconds']:>10,.0f} {row['events']:>8,}"
        )
    label = "baseline: one by one (apply_hris_change)"
    print(f"{label:<38} {base['seconds']:>9.2f} {size / base['seconds']:>10,.0f} {size:>8,}")
    if base["extrapolated"]:
        print(
            f"  baseline measured on the first {base['measured_people']:,} people "
            f"({base['measured_seconds']:.1f} s) and extrapolated linearly to {size:,}"
        )
    print(f"  of the bulk import, parsing the CSV: {results['bulk_import']['parse_seconds']:.2f} s")
    print(f"speedup of the bulk import over the baseline: {results['speedup']:.1f}x")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles_import")
    parser.add_argument("--people", type=int, default=50_000, help="org size (50,000)")
    parser.add_argument(
        "--sample", type=int, default=5_000, help="people the baseline is measured on (5,000)"
    )
    parser.add_argument("--full-baseline", action="store_true", help="run the baseline on everyone")
    args = parser.parse_args(argv)
    if args.people < 20 or args.sample < 1:
        parser.error("--people must be at least 20 and --sample at least 1")
    results = asyncio.run(run(args.people, args.sample, args.full_baseline))
    results["measured_at"] = datetime.now(UTC).isoformat()
    print_table(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {OUT}")
    failures = []
    if results["reimport_3_changes"]["events"] != 3:
        failures.append(f"re-import with 3 changes wrote {results['reimport_3_changes']['events']}")
    if results["reimport_unchanged"]["events"] != 0:
        failures.append(f"unchanged re-import wrote {results['reimport_unchanged']['events']}")
    for failure in failures:
        print(f"FAILED: {failure} events", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
