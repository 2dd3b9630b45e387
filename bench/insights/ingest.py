"""Feedback's consumer ingesting events, end to end with real I/O (issue #12: "ingesting the
events at >= 5,000 per second per consumer"), against the baseline of one transaction per event,
in the same run, each on a fresh database.

The stream (seeded, one tenant), produced first onto the embedded broker's topics with the
contract models, keyed as the publishers key them (`Event.partition_key` via `envelope_for`):
people created, a fifth of them promoted (person.updated with an org move), a program published,
everyone enrolled (a third mentors), each mentee matched (match.accepted, then match.activated),
and each match's sessions scheduled then completed (each completion issues a feedback request
per attendee, with its outbox event). `--events N` sizes the org so the stream is about N.

Measured, each mode in a process of its own (its own peak RSS) on a fresh feedback database
(SQLite file in a temp dir, or `--database-url postgresql://…` for a new PostgreSQL database):
- consumer: the feedback ServiceProcess's `EventConsumer.run()` as in production (a fetched run
  of a partition's records in one transaction) until `consumer.processed` reaches N. Events/s
  from the first applied run to the last (the group join before it is reported apart);
- baseline: the same records read from the broker first (untimed), then applied one
  transaction per event with `consumer.handle_record` (the former behaviour).
Both must leave the same read model (row counts of feedback's tables, sums of the figures).

`python -m bench insights_ingest [--events N] [--database-url URL] [--json PATH]`.
Nothing here asserts timings; the exit status is 1 if the read models differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord
from contracts.base import Event
from contracts.enrollments import EnrollmentCreated, EnrollmentSnapshot, EnrollmentStatus
from contracts.matches import MatchAccepted, MatchActivated, MatchOrigin, MatchSnapshot, MatchStatus
from contracts.people import (
    OrgFieldChange,
    PersonCreated,
    PersonSnapshot,
    PersonStatus,
    PersonUpdated,
)
from contracts.programs import ParticipantRole, ProgramKind, ProgramPublished, ProgramSnapshot
from contracts.sessions import SessionCompleted, SessionScheduled, SessionSnapshot, SessionStatus
from feedback.adapters import tables
from feedback.bootstrap import MIGRATIONS, build
from feedback.config import FeedbackSettings
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.consumer import EventConsumer
from messaging.envelope import Envelope, envelope_for
from messaging.publisher import Publisher
from messaging.settings import KafkaSettings
from messaging.testing import read_topic
from persistence.database import create_engine
from persistence.migrations import upgrade_async
from service_auth.tokens import generate_keypair
from sqlalchemy import Table, event, func, select
from sqlalchemy.engine import make_url

from contracts import topics

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "insights_ingest.json"
TARGET = 5_000  # events per second per consumer (issue #12)
TENANT = "t-bench"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SESSIONS_PER_MATCH = 3
# Where each topic's events come from (the envelope's source, as their owners emit them).
SOURCES = {
    topics.PEOPLE: "/cairn/profiles",
    topics.PROGRAMS: "/cairn/profiles",
    topics.ENROLLMENTS: "/cairn/profiles",
    topics.MATCHES: "/cairn/matching",
    topics.SESSIONS: "/cairn/sessions",
}
ORDER = list(SOURCES)  # the baseline applies the topics in this (dependency) order


# ---------------------------------------------------------------------------------- the stream


def _person(i: int, rng: random.Random) -> PersonSnapshot:
    person_id = f"p{i:06d}"
    return PersonSnapshot(
        id=person_id,
        email=f"{person_id}@acme-corp.com",
        display_name=f"Person {i}",
        title=rng.choice(["Engineer", "Analyst", "Designer", "Manager"]),
        department=rng.choice(["Engineering", "Sales", "Finance", "People", "Product"]),
        time_zone=rng.choice(["Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
        level=rng.randint(1, 7),
        hire_date=date(2015, 1, 1) + timedelta(days=rng.randint(0, 3000)),
        status=PersonStatus.ACTIVE,
        underrepresented=rng.random() < 0.3,
        source_version=1,
        revision=1,
        updated_at=T0,
    )


def _program() -> ProgramSnapshot:
    return ProgramSnapshot.model_validate(
        {
            "id": "prog-bench",
            "name": "Future Leaders",
            "kind": "ONE_ON_ONE",
            "status": "ACTIVE",
            "description": None,
            "startsOn": T0.date().isoformat(),
            "endsOn": None,
            "objectives": [],
            "curriculum": {"cadence": "FREQ=WEEKLY;COUNT=6", "sessionMinutes": 45, "modules": []},
            "matchingPolicy": {
                "mentorsPerMentee": 1,
                "groupSize": None,
                "minLevelGap": None,
                "maxLevelGap": None,
                "crossDepartment": True,
                "prioritizeUnderrepresented": False,
                "weights": {},
            },
            "enrollmentWindow": {"opensAt": None, "closesAt": None},
            "eligibility": {"levels": [], "departments": [], "roles": []},
            "revision": 1,
            "updatedAt": T0.isoformat(),
        }
    )


def _match(
    match_id: str, program_id: str, mentor: str, mentee: str, status: MatchStatus, at: datetime
) -> MatchSnapshot:
    active = status is MatchStatus.ACTIVE
    return MatchSnapshot(
        id=match_id,
        program_id=program_id,
        kind=ProgramKind.ONE_ON_ONE,
        mentor_id=mentor,
        mentee_ids=[mentee],
        score=0.7,
        reasons=[],
        status=status,
        origin=MatchOrigin.RUN,
        run_id="run-bench",
        accepted_by=[mentor, mentee],
        proposed_at=T0,
        expires_at=None,
        decided_at=T0 + timedelta(days=1),
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        sessions_completed=1 if active else 0,
        last_session_at=at if active else None,
        revision=2 if active else 1,
        updated_at=at,
    )


def stream(events: int, seed: int) -> dict[str, list[Event]]:
    """About `events` events per topic, each topic's list in its publishers' order."""
    per_person = 2.2 + (2 / 3) * (2 + 2 * SESSIONS_PER_MATCH)  # see the module's docstring
    people = max(6, round(events / per_person))
    rng = random.Random(seed)
    out: dict[str, list[Event]] = {t: [] for t in ORDER}
    snapshots = [_person(i, rng) for i in range(people)]
    for person in snapshots:
        out[topics.PEOPLE].append(PersonCreated(person=person))
    for person in snapshots[::5]:  # a promotion each
        level = (person.level or 1) + 1
        moved_at = T0 + timedelta(days=rng.randint(10, 200))
        promoted = person.model_copy(
            update={"level": level, "source_version": 2, "revision": 2, "updated_at": moved_at}
        )
        change = OrgFieldChange(
            field="level",
            from_value=person.level,
            to_value=level,
            effective_at=moved_at,
            source_version=2,
        )
        out[topics.PEOPLE].append(
            PersonUpdated(person=promoted, org_changes=[change], changed_fields=["level"])
        )
    program = _program()
    out[topics.PROGRAMS].append(ProgramPublished(program=program))
    mentors = snapshots[: people // 3]
    mentees = snapshots[people // 3 :]
    for i, person in enumerate(snapshots):
        role = ParticipantRole.MENTOR if i < len(mentors) else ParticipantRole.MENTEE
        enrollment = EnrollmentSnapshot(
            id=f"en{i:06d}",
            program_id=program.id,
            person_id=person.id,
            role=role,
            goals=["leadership"],
            capacity=3 if role is ParticipantRole.MENTOR else None,
            status=EnrollmentStatus.ACTIVE,
            reason=None,
            revision=1,
            created_at=T0,
            updated_at=T0,
        )
        out[topics.ENROLLMENTS].append(EnrollmentCreated(enrollment=enrollment))
    for j, mentee in enumerate(mentees):
        mentor = mentors[j % len(mentors)]
        match_id = f"mt{j:06d}"
        start = T0 + timedelta(days=7 + rng.randint(0, 30))
        ends = [start + timedelta(weeks=k, minutes=45) for k in range(SESSIONS_PER_MATCH)]
        accepted = _match(match_id, program.id, mentor.id, mentee.id, MatchStatus.ACCEPTED, T0)
        activated = _match(match_id, program.id, mentor.id, mentee.id, MatchStatus.ACTIVE, ends[0])
        out[topics.MATCHES] += [MatchAccepted(match=accepted), MatchActivated(match=activated)]
        for k, end in enumerate(ends):
            scheduled = SessionSnapshot(
                id=f"ss{j:06d}-{k}",
                program_id=program.id,
                match_ids=[match_id],
                host_id=mentor.id,
                attendee_ids=[mentor.id, mentee.id],
                starts_at=end - timedelta(minutes=45),
                ends_at=end,
                status=SessionStatus.SCHEDULED,
                sequence=k,
                final=k == SESSIONS_PER_MATCH - 1,
                revision=1,
                updated_at=T0,
            )
            held = scheduled.model_copy(
                update={"status": SessionStatus.COMPLETED, "revision": 2, "updated_at": end}
            )
            out[topics.SESSIONS] += [
                SessionScheduled(session=scheduled),
                SessionCompleted(session=held, completed_at=end),
            ]
    return out


async def produce(bootstrap: str, events: dict[str, list[Event]]) -> None:
    """Every event onto its topic, keyed by its aggregate (`envelope_for`), in chunks."""
    publisher = Publisher(bootstrap, timeout_s=60)
    try:
        for topic in ORDER:
            envelopes: list[Envelope] = [
                envelope_for(e, tenant_id=TENANT, source=SOURCES[topic]) for e in events[topic]
            ]
            for start in range(0, len(envelopes), 2_000):
                chunk = envelopes[start : start + 2_000]
                await publisher.publish(chunk, {e.id: topic for e in chunk})
    finally:
        await publisher.close()


# ------------------------------------------------------------------------------------ databases


@dataclass
class Databases:
    """Fresh feedback databases: SQLite files in a temp dir, or new PostgreSQL databases."""

    server: str | None
    folder: Path
    created: list[str]

    async def new(self, name: str) -> str:
        if self.server is None:
            return f"sqlite:///{self.folder / f'feedback-{name}.db'}"
        import asyncpg

        db = f"cairn_bench_ingest_{name}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(_asyncpg_dsn(self.server))
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        self.created.append(db)
        return make_url(self.server).set(database=db).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if self.server is None or not self.created:
            return
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_dsn(self.server))
        try:
            for db in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------------------------- the modes


def run_mode(mode: str, url: str, bootstrap: str, per_topic: dict[str, int]) -> dict[str, Any]:
    """One mode in this (fresh) process: its timings, peak RSS and the read model it left."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(_run_mode(mode, url, bootstrap, per_topic))


async def _run_mode(
    mode: str, url: str, bootstrap: str, per_topic: dict[str, int]
) -> dict[str, Any]:
    await upgrade_async(MIGRATIONS, url)
    feedback = build(
        FeedbackSettings(
            database_url=url, run_workers=False, service_token_public_key=generate_keypair()[1]
        ),
        KafkaSettings(bootstrap_servers=bootstrap),
    )
    process = feedback.process
    consumer = process.consumer
    assert consumer is not None
    expected = sum(per_topic.values())
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(process.engine.sync_engine, "before_cursor_execute", count)
    try:
        if mode == "consumer":
            timing = await _consume(consumer, expected)
        else:
            timing = await _one_by_one(consumer, bootstrap, per_topic)
    finally:
        await process.publisher.close()
        await process.engine.dispose()
    return {
        **timing,
        "events": expected,
        "processed": consumer.processed,
        "duplicates": consumer.duplicates,
        "dead_lettered": consumer.dead_lettered,
        # Everything this mode ran, the consumer's group join and position checks included.
        "sql_statements_per_event": round(statements[0] / expected, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "read_model": await read_model(url),
    }


async def _consume(consumer: EventConsumer, expected: int) -> dict[str, Any]:
    """`consumer.run()` as in production until every event is applied."""
    wall, cpu = time.perf_counter(), time.process_time()
    task = asyncio.create_task(consumer.run(), name="feedback-consumer")
    first: tuple[float, float, int] | None = None
    try:
        while consumer.processed < expected:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the consumer stopped")
            if first is None and consumer.processed:
                first = (time.perf_counter(), time.process_time(), consumer.processed)
            await asyncio.sleep(0.005)
        end_wall, end_cpu = time.perf_counter(), time.process_time()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if first is None:  # everything came in the first poll
        first = (wall, cpu, 0)
    steady = end_wall - first[0]
    return {
        "events_per_s": round((expected - first[2]) / steady) if steady > 0 else None,
        "wall_s": round(steady, 3),
        "cpu_s": round(end_cpu - first[1], 3),
        "startup_s": round(first[0] - wall, 3),
        "total_wall_s": round(end_wall - wall, 3),
        "total_cpu_s": round(end_cpu - cpu, 3),
        "first_run_events": first[2],
    }


async def _one_by_one(
    consumer: EventConsumer, bootstrap: str, per_topic: dict[str, int]
) -> dict[str, Any]:
    """The records read from the broker first (untimed), then applied one per transaction."""
    records = []
    for topic in ORDER:
        want = per_topic[topic]
        got = await read_topic(bootstrap, topic, until=_at_least(want), timeout_s=120)
        if len(got) != want:
            raise RuntimeError(f"read {len(got)} of {want} records of {topic}")
        records += got
    wall, cpu = time.perf_counter(), time.process_time()
    for record in records:
        await consumer.handle_record(record)
    seconds = time.perf_counter() - wall
    return {
        "events_per_s": round(len(records) / seconds),
        "wall_s": round(seconds, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
    }


def _at_least(n: int) -> Callable[[list[ConsumerRecord[bytes, bytes]]], bool]:
    return lambda records: len(records) >= n


def _counted() -> list[Table]:
    return [
        tables.roster.table,
        *(
            tables.metadata.tables[name]
            for name in (
                "org_person",
                "known_program",
                "known_enrollment",
                "known_match",
                "known_session",
                "session_match",
                "feedback_request",
                "match_flag",
            )
        ),
        tables.messaging.inbox,
        tables.messaging.outbox,
    ]


async def read_model(url: str) -> dict[str, int]:
    """Rows of each table feedback keeps, the org versions and the figures' column sums."""
    engine = create_engine(url)
    answer: dict[str, int] = {}
    try:
        async with engine.connect() as conn:
            for table in _counted():
                count = select(func.count()).select_from(table)
                answer[table.name] = int((await conn.execute(count)).scalar_one())
            version = tables.metadata.tables["org_version"].c.version
            total = (await conn.execute(select(func.coalesce(func.sum(version), 0)))).scalar_one()
            answer["org_version.sum"] = int(total)
            figures = tables.program_figures
            measures = [c for c in figures.columns if not c.primary_key]
            sums = (
                await conn.execute(select(*(func.coalesce(func.sum(c), 0) for c in measures)))
            ).one()
            for column, value in zip(measures, sums, strict=True):
                answer[f"program_figures.{column.name}"] = int(value)
    finally:
        await engine.dispose()
    return answer


def in_own_process(
    mode: str, url: str, bootstrap: str, per_topic: dict[str, int]
) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(run_mode, mode, url, bootstrap, per_topic).result()


# ------------------------------------------------------------------------------------- the run


async def _prepare(broker: EmbeddedBroker, events: dict[str, list[Event]]) -> float:
    await ensure_topics(broker.bootstrap_servers)
    started = time.perf_counter()
    await produce(broker.bootstrap_servers, events)
    return time.perf_counter() - started


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench insights_ingest", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="about this many events")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server (postgresql://postgres@127.0.0.1:5432/postgres): a new "
        "database per mode is made and dropped there; default: SQLite files in a temp dir",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=OUT, help=f"default {OUT}")
    args = parser.parse_args(list(argv))

    events = stream(args.events, args.seed)
    per_topic = {t: len(events[t]) for t in ORDER}
    total = sum(per_topic.values())
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"insights ingest: {total:,} events on {len(ORDER)} topics ("
        + ", ".join(f"{t.rsplit('.', 1)[-1]} {n:,}" for t, n in per_topic.items())
        + f"), feedback DB on {backend}",
        flush=True,
    )
    broker = EmbeddedBroker()
    broker.start()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        dbs = Databases(args.database_url, Path(folder), [])
        try:
            produce_s = asyncio.run(_prepare(broker, events))
            print(f"  produced in {produce_s:.1f} s", flush=True)
            for mode in ("consumer", "baseline"):
                url = asyncio.run(dbs.new(mode))
                print(f"  {mode}: on {_redacted(url)} …", flush=True)
                results[mode] = in_own_process(mode, url, broker.bootstrap_servers, per_topic)
        finally:
            asyncio.run(dbs.drop_all())
            broker.stop()

    fast, slow = results["consumer"], results["baseline"]
    equal = fast["read_model"] == slow["read_model"]
    sessions_held = per_topic[topics.SESSIONS] // 2
    complete = (
        all(
            r["processed"] == total and not r["dead_lettered"] and not r["duplicates"]
            for r in (fast, slow)
        )
        and fast["read_model"].get("feedback_request") == 2 * sessions_held
    )
    result: dict[str, Any] = {
        "benchmark": "insights_ingest",
        "seed": args.seed,
        "database": backend,
        "events": total,
        "per_topic": per_topic,
        "produce_s": round(produce_s, 3),
        "target_events_per_s": TARGET,
        "consumer": {**fast, "target_met": (fast["events_per_s"] or 0) >= TARGET},
        "baseline": {**slow, "target_met": slow["events_per_s"] >= TARGET},
        "speedup": round((fast["events_per_s"] or 0) / slow["events_per_s"], 1),
        "read_models_equal": equal,
        "all_applied": complete,
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    report(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.json}")
    if not equal:
        diff = {
            k: (fast["read_model"].get(k), slow["read_model"].get(k))
            for k in sorted(set(fast["read_model"]) | set(slow["read_model"]))
            if fast["read_model"].get(k) != slow["read_model"].get(k)
        }
        print(f"the read models differ (consumer, baseline): {diff}", file=sys.stderr)
        return 1
    return 0 if complete else 1


def report(r: dict[str, Any]) -> None:
    rows = [
        ("consumer loop (run: a fetched run per txn)", r["consumer"]),
        ("baseline (handle_record: a txn per event)", r["baseline"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(
        f"{'mode':<{width}}  {'events/s':>9}  {'wall s':>7}  {'CPU s':>7}  {'peak RSS':>9}  "
        f"target >= {r['target_events_per_s']:,}/s"
    )
    for name, m in rows:
        rate = "-" if m["events_per_s"] is None else f"{m['events_per_s']:,}"
        print(
            f"{name:<{width}}  {rate:>9}  {m['wall_s']:>7.2f}  {m['cpu_s']:>7.2f}  "
            f"{m['peak_rss_mib']:>5} MiB  {'met' if m['target_met'] else 'NOT met'}"
        )
    c = r["consumer"]
    print(
        f"consumer: group join and first run {c['startup_s']} s before that "
        f"({c['first_run_events']} events); {c['total_wall_s']} s wall, "
        f"{c['total_cpu_s']} s CPU in all"
    )
    print(
        "SQL statements per event: consumer "
        f"{c['sql_statements_per_event']}, baseline {r['baseline']['sql_statements_per_event']}"
    )
    print(
        f"speedup {r['speedup']}x on {r['database']}; {r['events']:,} events; read models equal: "
        f"{r['read_models_equal']}; all applied once, none dead-lettered: {r['all_applied']}"
    )
    model = r["consumer"]["read_model"]
    print(
        "read model: "
        + ", ".join(f"{k} {model[k]:,}" for k in model if not k.startswith("program_figures"))
    )
    print(f"load average at the end: {r['load_average_at_end']} on {r['machine']['cpus']} CPUs")
