"""The manager chain, up and down, in a 100,000-person org: one recursive query against the
baseline of one query per level, in the same run on the same fresh SQLite database.

- chain up: from people at the bottom to the top (profiles' `manager_links_up`, one
  `WITH RECURSIVE` query) against walking up one `SELECT` per manager;
- all below: everyone under a manager, with depth (`below_query(recursive=True)`, one
  recursive query) against one `SELECT … WHERE manager IN (…)` per level of the tree;
- the endpoints' use cases as the gateway calls them (`managers_of`, `reports_of` for a
  page of 100), which add the query that loads the people themselves.

`python -m bench.profiles_org_chain [people]`; prints a table and writes
var/bench/profiles_org_chain.json.
"""

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from profiles import bootstrap
from profiles.adapters.repository import PeopleRepository
from profiles.adapters.tables import Person
from profiles.domain.org_graph import chain_up
from profiles.service_layer.org_chart import managers_of, reports_of
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

OUT = Path("var/bench/profiles_org_chain.json")
TENANT = "bench"
SPAN = 7  # reports per manager: a 100,000-person org is then 7 levels deep
SAMPLES = 30
CHUNK = 500  # ids per IN (…) in the baseline, well under SQLite's variable limit


def external_id(index: int) -> str:
    return f"E{index:06d}"


def manager_index(index: int) -> int | None:
    return None if index == 0 else (index - 1) // SPAN


def depth_of(index: int) -> int:
    depth = 0
    while index:
        index = (index - 1) // SPAN
        depth += 1
    return depth


async def build_org(session: AsyncSession, size: int) -> list[str]:
    """`size` people in a tree of SPAN reports each; their ids, by index."""
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(size)]
    table = Person.__table__  # type: ignore[attr-defined]
    rows = []
    for index in range(size):
        boss = manager_index(index)
        rows.append(
            {
                "id": ids[index],
                "tenant_id": TENANT,
                "external_id": external_id(index),
                "email": f"p{index}@bench.example",
                "display_name": f"Person {index:06d}",
                "time_zone": "UTC",
                "manager_external_id": None if boss is None else external_id(boss),
                "languages": [],
                "skills": [],
                "interests": [],
                "status": "ACTIVE",
                "source_version": 1,
                "field_versions": {},
                "revision": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, size, 5000):
        await session.execute(insert(table), rows[start : start + 5000])
    return ids


# --- the baselines: one query per level ----------------------------------------------------


async def chain_one_query_per_level(session: AsyncSession, start: str) -> tuple[str, ...]:
    chain: list[str] = []
    seen = {start}
    manager = (
        await session.execute(
            select(Person.manager_external_id).where(
                Person.tenant_id == TENANT, Person.external_id == start
            )
        )
    ).scalar()
    while manager is not None and manager not in seen:
        chain.append(manager)
        seen.add(manager)
        manager = (
            await session.execute(
                select(Person.manager_external_id).where(
                    Person.tenant_id == TENANT, Person.external_id == manager
                )
            )
        ).scalar()
    return tuple(chain)


async def below_one_query_per_level(session: AsyncSession, root: str) -> dict[str, int]:
    depth: dict[str, int] = {}
    frontier = [root]
    level = 0
    while frontier:
        level += 1
        found: list[str] = []
        for start in range(0, len(frontier), CHUNK):
            rows = await session.execute(
                select(Person.external_id).where(
                    Person.tenant_id == TENANT,
                    Person.manager_external_id.in_(frontier[start : start + CHUNK]),  # type: ignore[union-attr]
                )
            )
            found += [r for (r,) in rows if r not in depth and r != root]
        for person in found:
            depth[person] = level
        frontier = found
    return depth


# --- the recursive queries, as profiles runs them ------------------------------------------


async def chain_recursive(session: AsyncSession, start: str) -> tuple[str, ...]:
    people = PeopleRepository(session, TENANT)
    return chain_up(start, await people.manager_links_up(start))


async def below_recursive(session: AsyncSession, root: str) -> dict[str, int]:
    below = PeopleRepository(session, TENANT).below_query(root, recursive=True)
    rows = await session.execute(select(below.c.external_id, below.c.depth))
    return {person: depth for person, depth in rows}


async def timed(run: Callable[[], Awaitable[Any]], samples: int) -> tuple[float, Any]:
    """Median seconds of `samples` runs (after one warm-up), and the last answer."""
    answer = await run()
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        answer = await run()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), answer


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def measure(size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/profiles.db"
        await upgrade_async(bootstrap.MIGRATIONS, url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            ids = await build_org(session, size)
        build_s = time.perf_counter() - started
        random.seed(7)
        leaves = random.sample(range(size // 2, size), SAMPLES)
        # A manager at each level down to where teams are a few dozen people.
        managers = [0, 1, 1 + SPAN, 1 + SPAN + SPAN**2, 1 + SPAN + SPAN**2 + SPAN**3]
        results: list[dict[str, Any]] = []
        async with sessions() as session:
            for leaf in leaves[:5]:
                start = external_id(leaf)
                fast, chain = await timed(lambda s=start: chain_recursive(session, s), SAMPLES)
                slow, expected = await timed(
                    lambda s=start: chain_one_query_per_level(session, s), SAMPLES
                )
                assert chain == expected and len(chain) == depth_of(leaf), start
                results.append(
                    {
                        "query": "chain up",
                        "from": start,
                        "rows": len(chain),
                        "recursive_ms": ms(fast),
                        "baseline_ms": ms(slow),
                        "speedup": round(slow / fast, 1),
                    }
                )
            for index in managers:
                root = external_id(index)
                runs = 3 if depth_of(index) < 2 else 10  # the big subtrees take a while
                fast, below = await timed(lambda r=root: below_recursive(session, r), runs)
                slow, expected = await timed(
                    lambda r=root: below_one_query_per_level(session, r), runs
                )
                assert below == expected, root
                results.append(
                    {
                        "query": "all below",
                        "from": root,
                        "rows": len(below),
                        "recursive_ms": ms(fast),
                        "baseline_ms": ms(slow),
                        "speedup": round(slow / fast, 1),
                    }
                )
            endpoint = []
            chain_s, _ = await timed(lambda: managers_of(session, TENANT, ids[leaves[0]]), SAMPLES)
            endpoint.append({"use case": "managers_of (bottom → top)", "ms": ms(chain_s)})
            for index in (0, 1 + SPAN):
                page_s, page = await timed(
                    lambda i=index: reports_of(
                        session, TENANT, ids[i], recursive=True, first=100, after=None
                    ),
                    5,
                )
                assert page is not None
                endpoint.append(
                    {
                        "use case": f"reports_of recursive, first 100 of {page.total_count}",
                        "ms": ms(page_s),
                    }
                )
        await engine.dispose()
    return {
        "people": size,
        "span": SPAN,
        "build_s": round(build_s, 1),
        "database": "sqlite (fresh file)",
        "comparisons": results,
        "endpoints": endpoint,
    }


def report(outcome: dict[str, Any]) -> None:
    print(
        f"org of {outcome['people']:,} people, {outcome['span']} reports per manager "
        f"(built in {outcome['build_s']} s, {outcome['database']})"
    )
    print(
        f"{'query':<10} {'from':<8} {'rows':>7} {'recursive ms':>13} {'baseline ms':>12} {'x':>6}"
    )
    for row in outcome["comparisons"]:
        print(
            f"{row['query']:<10} {row['from']:<8} {row['rows']:>7} {row['recursive_ms']:>13} "
            f"{row['baseline_ms']:>12} {row['speedup']:>6}"
        )
    print("baseline: one query per level (per manager going up; per tree level going down)")
    for row in outcome["endpoints"]:
        print(f"{row['use case']:<45} {row['ms']:>9} ms")


def main(argv: list[str]) -> int:
    """`python -m bench profiles_org_chain [people]` (default 100,000)."""
    people = int(argv[0]) if argv else 100_000
    result = asyncio.run(measure(people))
    report(result)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
