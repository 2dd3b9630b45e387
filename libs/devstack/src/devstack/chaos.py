"""The chaos proof (issue 9): org changes pushed through the signed HRIS webhook while

- the broker is SIGKILLed and a new, empty one takes its port (its log is in memory: lost);
- each consumer service is SIGKILLed mid-batch, between its DB commit and its offset commit
  (the broker is frozen with SIGSTOP first, so the batch it holds can be applied but its
  offset not committed; the harness waits until its inbox grew, then kills it);
- the gateway is SIGKILLed between its commit and its publish (the same frozen broker: what it
  accepted by then cannot have been published);

then, once the system is quiet, per read model: changes sent (the gateway answered 202),
applied, lost, duplicated. `make chaos` runs 5,000 changes (`python -m devstack.chaos --help`);
tests/chaos runs a short version. How each read model is counted: `devstack.chaos_tally`.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from contracts.topics import ALL_TOPICS
from messaging.tables import messaging_tables
from persistence.database import create_engine, default_sqlite_url
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.chaos_tally import ROSTERS, Tally, tally, workload
from devstack.pytest_plugin import RunningSystem
from devstack.stack import ALL, SERVICES, Stack

CONSUMERS = tuple(spec.name for spec in SERVICES)
_TABLES = messaging_tables(MetaData())


@dataclass(frozen=True)
class Fault:
    kind: Literal["kill_in_commit_window", "kill", "kill_broker"]
    targets: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(self.targets)})" if self.targets else self.kind


# `make chaos`: each fault on its own, spread over the load.
FULL_FAULTS = (
    Fault("kill_broker"),
    *(Fault("kill_in_commit_window", (name,)) for name in CONSUMERS),
    Fault("kill_in_commit_window", ("gateway",)),
    Fault("kill_broker"),
    Fault("kill", CONSUMERS),
    Fault("kill_broker"),
)
# The test's version: the same kinds, the processes killed together so that one restart
# serves them all (a restart costs seconds of imports).
SHORT_FAULTS = (
    Fault("kill_broker"),
    Fault("kill_in_commit_window", (*CONSUMERS, "gateway")),
)


@dataclass(frozen=True)
class Plan:
    changes: int = 5000  # hires and title changes, half each
    faults: tuple[Fault, ...] = FULL_FAULTS
    # When each fault strikes, as the share of changes accepted; None: evenly spread.
    fault_points: tuple[float, ...] | None = None
    per_delivery: int = 20
    rate: float = 50.0  # changes offered per second, so that the load outlasts the faults
    senders: int = 4
    window_attempts: int = 5  # tries to catch a consumer with a batch in hand
    settle_timeout_s: float = 240.0
    quiet_s: float = 5.0

    def points(self) -> tuple[float, ...]:
        if self.fault_points is not None:
            return self.fault_points
        return tuple(i / (len(self.faults) + 1) for i in range(1, len(self.faults) + 1))


@dataclass
class Report:
    plan: Plan
    tallies: list[Tally]
    faults: list[str]
    gateway_outbox: bool  # the webhook's changes went through the gateway's outbox
    refused: list[str]
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds each part took

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tallies)

    @property
    def duplicated(self) -> int:
        return sum(t.duplicated for t in self.tallies)

    @property
    def lost_downstream(self) -> int:
        """Lost between profiles and a roster: the relays' and consumers' part alone."""
        return sum(t.behind_profiles for t in self.tallies)

    def lines(self) -> list[str]:
        timing = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in self.phases.items())
        out = [f"chaos: {self.plan.changes} changes in {self.seconds:.0f}s ({timing}); faults:"]
        out += [f"  - {line}" for line in self.faults]
        out.append(f"{'read model':<10} {'sent':>6} {'applied':>8} {'lost':>6} {'duplicated':>11}")
        out += [
            f"{t.read_model:<10} {t.sent:>6} {t.applied:>8} {t.lost:>6} {t.duplicated:>11}"
            + (f"   ({t.behind_profiles} behind profiles)" if t.behind_profiles else "")
            for t in self.tallies
        ]
        if self.refused:
            out.append(f"refused by the gateway ({len(self.refused)}): {self.refused[:3]}")
        if self.lost and not self.gateway_outbox and not self.lost_downstream:
            out.append(
                "every lost change was lost between the gateway's 202 and profiles: the gateway "
                "publishes before answering and keeps no outbox record of what it accepted "
                "(issue 9 finding 1; the gateway's outbox work closes it)"
            )
        out.append("OK: nothing lost, nothing duplicated" if self.ok else "FAILED")
        return out

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.refused


class Loader:
    """Pushes deliveries at the planned rate, each until the gateway answers 202 (resending it
    with the same webhook id and change ids, as an HRIS does)."""

    def __init__(self, system: RunningSystem, tenant: dict[str, str], plan: Plan) -> None:
        self._system = system
        self._tenant = tenant
        self._plan = plan
        self.accepted: set[str] = set()
        self.accepted_while_frozen = 0
        self.frozen = False
        self.refused: list[str] = []
        self._next_slot = time.monotonic()
        self._progress = asyncio.Event()
        self._finished = False

    async def run(self, changes: list[dict[str, Any]]) -> None:
        queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        for start in range(0, len(changes), self._plan.per_delivery):
            queue.put_nowait(changes[start : start + self._plan.per_delivery])
        try:
            await asyncio.gather(*(self._sender(queue) for _ in range(self._plan.senders)))
        finally:
            self._finished = True
            self._progress.set()

    async def reached(self, count: float) -> None:
        """Returns once `count` changes are accepted (or everything was sent)."""
        while len(self.accepted) < count and not self._finished:
            self._progress.clear()
            await self._progress.wait()

    async def accepted_while_frozen_beyond(self, count: int, *, within_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while self.accepted_while_frozen <= count:
                    self._progress.clear()
                    await self._progress.wait()

    async def _sender(self, queue: asyncio.Queue[list[dict[str, Any]]]) -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            slot = self._next_slot
            self._next_slot = max(slot, time.monotonic()) + len(delivery) / self._plan.rate
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
            await self._deliver(delivery)

    async def _deliver(self, delivery: list[dict[str, Any]]) -> None:
        webhook_id = f"msg_{uuid.uuid4().hex}"
        refusals = 0
        while True:
            try:
                answer = await self._system.push_changes(
                    self._tenant, delivery, webhook_id=webhook_id
                )
            except httpx.HTTPError:
                await asyncio.sleep(0.3)  # the gateway is down or restarting
                continue
            if answer.status_code == 202:
                self.accepted.update(c["id"] for c in delivery)
                self.accepted_while_frozen += len(delivery) if self.frozen else 0
                self._progress.set()
                return
            if answer.status_code >= 500:
                await asyncio.sleep(0.3)
                continue
            refusals += 1
            if refusals == 3:
                self.refused.append(f"{answer.status_code} {answer.text[:200]}")
                return
            await asyncio.sleep(0.3)


# Looking into the services' messaging tables --------------------------------------------------


class Probes:
    """Progress seen from outside: the services' messaging tables and the groups' offsets."""

    def __init__(self, database_urls: dict[str, str], bootstrap_servers: str) -> None:
        self._engines: dict[str, AsyncEngine] = {
            name: create_engine(url) for name, url in database_urls.items()
        }
        self._bootstrap = bootstrap_servers

    async def _count(self, name: str, query: Any) -> int:
        async with self._engines[name].connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def inbox(self, name: str) -> int:
        inbox = _TABLES.inbox
        return await self._count(
            name, select(func.count()).select_from(inbox).where(inbox.c.consumer == name)
        )

    async def unsent(self, name: str) -> int:
        outbox = _TABLES.outbox
        return await self._count(
            name, select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )

    async def webhook_rows_in_gateway_outbox(self) -> int:
        outbox = _TABLES.outbox
        return await self._count(
            "gateway",
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.event_type == "hris.change.received"),
        )

    async def committed(self) -> int:
        """The sum of every group's committed offsets: it moves while a consumer reads, even
        one dropping repeats (its inbox does not grow then)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            described = await admin.describe_topics(list(ALL_TOPICS))
            partitions = [
                TopicPartition(topic["topic"], p["partition"])
                for topic in described
                for p in topic["partitions"]
            ]
            total = 0
            for group in CONSUMERS:
                offsets = await admin.list_consumer_group_offsets(group, partitions=partitions)
                total += sum(max(meta.offset, 0) for meta in offsets.values())
            return total
        except (KafkaError, OSError):
            return -1  # the broker is not answering: not quiet
        finally:
            await admin.close()

    async def snapshot(self) -> tuple[int, ...]:
        """Unsent outbox rows last (zero for every service once the relays are done)."""
        inboxes = [await self.inbox(name) for name in CONSUMERS]
        return (*inboxes, await self.committed(), *[await self.unsent(s.name) for s in ALL])

    async def close(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()


# Faults --------------------------------------------------------------------------------------


async def inflict(
    fault: Fault, stack: Stack, loader: Loader, probes: Probes, attempts: int = 5
) -> str:
    at = f"at {len(loader.accepted)} accepted changes"
    if fault.kind == "kill_broker":
        started = time.monotonic()
        await asyncio.to_thread(stack.kill_broker)
        await asyncio.to_thread(stack.start_broker)  # same port, empty log, topics again
        return f"broker SIGKILLed {at}; a new one up in {time.monotonic() - started:.1f}s"
    if fault.kind == "kill":
        for name in fault.targets:
            await asyncio.to_thread(stack.kill, name)
        await _restart(stack, fault.targets)
        return f"{', '.join(fault.targets)} SIGKILLed mid-load {at}, restarted"
    return await _kill_in_commit_window(fault.targets, stack, loader, probes, at, attempts)


async def _kill_in_commit_window(
    targets: tuple[str, ...],
    stack: Stack,
    loader: Loader,
    probes: Probes,
    at: str,
    attempts: int,
) -> str:
    """Kills each target inside its window, one after the other (consumers downstream first,
    so that profiles still feeds them), then restarts them all together."""
    order = [n for n in ROSTERS if n in targets] + [n for n in targets if n not in ROSTERS]
    evidence = []
    for name in order:
        if name == "gateway":
            evidence.append(await _kill_gateway_unpublished(stack, loader))
        else:
            evidence.append(await _kill_consumer_mid_batch(name, stack, probes, attempts))
    await _restart(stack, targets)
    return f"SIGKILL inside the commit window {at}: " + "; ".join(evidence)


async def _kill_consumer_mid_batch(name: str, stack: Stack, probes: Probes, attempts: int) -> str:
    """A backlog first (the process stopped for a moment), then, as soon as it applies the
    batch it fetched, the broker frozen: what it applies from then on cannot get its offset
    committed. Killed while that is so."""
    for _ in range(attempts):
        before = await probes.inbox(name)
        await asyncio.to_thread(stack.pause, name)
        await asyncio.sleep(0.7)
        await asyncio.to_thread(stack.resume, name)
        if not await _grows(probes, name, before, within_s=2.0):
            continue  # nothing reached it meanwhile: no batch to catch
        await asyncio.to_thread(stack.pause_broker)
        try:
            frozen_at = await probes.inbox(name)
            if await _grows(probes, name, frozen_at, within_s=0.3):
                await asyncio.to_thread(stack.kill, name)
                applied = await probes.inbox(name) - frozen_at
                return (
                    f"{name} killed mid-batch, {applied} events applied after the broker "
                    "froze (their offsets uncommitted)"
                )
        finally:
            await asyncio.to_thread(stack.resume_broker)
    await asyncio.to_thread(stack.kill, name)
    return f"{name} killed, but no batch was in hand any time it was tried"


async def _grows(probes: Probes, name: str, than: int, *, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await probes.inbox(name) > than:
            return True
        await asyncio.sleep(0.01)
    return False


async def _kill_gateway_unpublished(stack: Stack, loader: Loader) -> str:
    """With the broker frozen, whatever the gateway accepts cannot be published: killed then."""
    held_before = loader.accepted_while_frozen
    await asyncio.to_thread(stack.pause_broker)
    loader.frozen = True
    try:
        await loader.accepted_while_frozen_beyond(held_before, within_s=3.0)
        await asyncio.to_thread(stack.kill, "gateway")
    finally:
        loader.frozen = False
        await asyncio.to_thread(stack.resume_broker)
    held = loader.accepted_while_frozen - held_before
    if held:
        return f"the gateway killed after answering 202 for {held} changes it could not publish"
    return (
        "the gateway answered no 202 while the broker was frozen (it publishes before "
        "answering): killed with requests in flight, which were sent again"
    )


async def _restart(stack: Stack, names: tuple[str, ...]) -> None:
    await asyncio.gather(*(asyncio.to_thread(stack.restart, name, 120.0) for name in names))


# The run -------------------------------------------------------------------------------------


async def run_chaos(plan: Plan, work_dir: Path, database_urls: dict[str, str]) -> Report:
    """Starts its own system (embedded broker, SQLite or the given databases), runs the plan,
    stops everything; logs stay in `work_dir/logs`."""
    stack = Stack(
        var_dir=work_dir / "var",
        database_urls=database_urls,
        log_dir=work_dir / "logs",
        trace_exporter="none",  # thousands of spans would drown the logs the report points to
    )
    phases: dict[str, float] = {}
    started = time.monotonic()
    await asyncio.to_thread(stack.start, 180.0)
    system = RunningSystem(stack, database_urls)
    probes = Probes(database_urls, stack.bootstrap_servers)
    try:
        tenant = await asyncio.to_thread(system.create_tenant, "Chaos Co")
        phases["start"] = time.monotonic() - started
        changes, sent = workload(uuid.uuid4().hex[:6], plan.changes)
        loader = Loader(system, tenant, plan)
        load = asyncio.create_task(loader.run(changes))
        faults = []
        for point, fault in zip(plan.points(), plan.faults, strict=True):
            await loader.reached(plan.changes * point)
            faults.append(await inflict(fault, stack, loader, probes, plan.window_attempts))
        await load
        phases["load and faults"] = time.monotonic() - started - phases["start"]
        gateway_outbox = await probes.webhook_rows_in_gateway_outbox() > 0
        accepted = {p: ids & loader.accepted for p, ids in sent.items()}
        tallies = await _settle(system, probes, tenant["tenantId"], accepted, plan)
        phases["settle and tally"] = time.monotonic() - started - sum(phases.values())
        return Report(
            plan,
            tallies,
            faults,
            gateway_outbox,
            loader.refused,
            time.monotonic() - started,
            phases,
        )
    finally:
        await probes.close()
        await system.http.aclose()
        await asyncio.to_thread(stack.stop)


async def _settle(
    system: RunningSystem,
    probes: Probes,
    tenant_id: str,
    sent: dict[str, set[str]],
    plan: Plan,
) -> list[Tally]:
    """Tallies once the system is quiet: outboxes drained, and no inbox or committed offset
    moving for `quiet_s`; again if it moved while tallying (up to the settle timeout)."""
    deadline = time.monotonic() + plan.settle_timeout_s
    unsent_from = len(CONSUMERS) + 1
    while True:
        last, quiet_since = await probes.snapshot(), time.monotonic()
        while time.monotonic() - quiet_since < plan.quiet_s and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            now = await probes.snapshot()
            if now != last or any(count for count in now[unsent_from:]):
                last, quiet_since = now, time.monotonic()
        tallies = await tally(system, tenant_id, sent)
        if await probes.snapshot() == last or time.monotonic() >= deadline:
            return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.chaos", description=__doc__)
    parser.add_argument("--changes", type=int, default=Plan.changes)
    parser.add_argument("--rate", type=float, default=Plan.rate, help="changes per second")
    parser.add_argument("--short", action="store_true", help="the test's faults, not all")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    plan = Plan(
        changes=args.changes, rate=args.rate, faults=SHORT_FAULTS if args.short else FULL_FAULTS
    )
    work_dir = Path(tempfile.mkdtemp(prefix="cairn-chaos-"))
    urls = {spec.name: default_sqlite_url(work_dir / "var", spec.name) for spec in ALL}
    report = asyncio.run(run_chaos(plan, work_dir, urls))
    for line in report.lines():
        print(line)
    print(f"logs: {work_dir / 'logs'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "changes": plan.changes,
                    "faults": report.faults,
                    "gatewayOutbox": report.gateway_outbox,
                    "tallies": [t.__dict__ for t in report.tallies],
                    "ok": report.ok,
                },
                indent=2,
            )
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
