"""What each read model shows of the changes the chaos run sent (`devstack.chaos`): each person
gets a hire and a later title change; profiles has applied a change when the person's history
holds its entry, matching, sessions and feedback when their roster copy's revision counts it.
A second history entry for one change, or a revision beyond the changes sent, is a duplicate.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from devstack.pytest_plugin import RunningSystem

ROSTERS = ("matching", "sessions", "feedback")


@dataclass(frozen=True)
class Tally:
    read_model: str
    sent: int
    applied: int
    lost: int
    duplicated: int
    behind_profiles: int = 0  # a roster: changes profiles applied that it never got


def workload(run: str, changes: int) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """The changes in sending order (all hires, then all title changes) and, per external id,
    the ids of its changes."""
    people = [f"chaos-{run}-{i:05d}" for i in range(changes // 2)]
    effective = datetime.now(UTC).isoformat()

    def change(kind: str, external_id: str, version: int, **employee: Any) -> dict[str, Any]:
        return {
            "id": f"{external_id}-{kind.split('.')[1]}",
            "type": kind,
            "effectiveAt": effective,
            "sourceVersion": version,
            "employee": {"externalId": external_id, **employee},
        }

    hires = [
        change(
            "employee.hired",
            p,
            1,
            email=f"{p}@chaos-co.com",
            displayName=f"Chaos {p}",
            title="Mentor",
        )
        for p in people
    ]
    promotions = [change("employee.updated", p, 2, title="Lead mentor") for p in people]
    return hires + promotions, {p: {f"{p}-hired", f"{p}-updated"} for p in people}


@dataclass(frozen=True)
class Seen:
    """What the read models show, per external id."""

    people: list[str]  # profiles' people, one entry per person row (a repeat is a duplicate)
    history: dict[str, list[tuple[str, str]]]  # profiles: (change id, field) per entry
    revisions: dict[str, dict[str, int]]  # per roster service; absent: not known there


def count(sent: dict[str, set[str]], seen: Seen) -> list[Tally]:
    """Per read model, what it shows of the changes sent (per external id, their ids)."""
    total = sum(len(changes) for changes in sent.values())
    repeats = sum(n - 1 for n in Counter(seen.people).values())
    applied: dict[str, set[str]] = {}
    for external_id, entries in seen.history.items():
        repeats += sum(n - 1 for n in Counter(entries).values())
        applied[external_id] = {change for change, _ in entries} & sent.get(external_id, set())
    in_profiles = sum(len(changes) for changes in applied.values())
    tallies = [Tally("profiles", total, in_profiles, total - in_profiles, repeats)]
    for service in ROSTERS:
        revision = seen.revisions.get(service, {})
        shown = sum(min(revision.get(p, 0), len(changes)) for p, changes in sent.items())
        tallies.append(
            Tally(
                service,
                total,
                shown,
                total - shown,
                sum(max(revision.get(p, 0) - len(c), 0) for p, c in sent.items()),
                sum(max(len(applied.get(p, ())) - revision.get(p, 0), 0) for p in sent),
            )
        )
    return tallies


async def tally(
    system: RunningSystem, tenant_id: str, sent: dict[str, set[str]], concurrency: int = 16
) -> list[Tally]:
    return count(sent, await look(system, tenant_id, concurrency))


async def look(system: RunningSystem, tenant_id: str, concurrency: int = 16) -> Seen:
    """Reads every read model of the tenant through the services' internal APIs."""
    gate = asyncio.Semaphore(concurrency)

    async def get(service: str, path: str) -> httpx.Response:
        async with gate:
            for _ in range(10):
                try:
                    answer = await system.internal(service, path, tenant_id)
                    if answer.status_code < 500:
                        return answer
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            raise RuntimeError(f"{service} does not answer {path}")

    people = await _people(get)
    ids = {p["externalId"]: p["id"] for p in people}
    histories = await asyncio.gather(
        *(get("profiles", f"/internal/people/{pid}/history") for pid in ids.values())
    )
    revisions: dict[str, dict[str, int]] = {}
    for service in ROSTERS:
        answers = await asyncio.gather(
            *(get(service, f"/internal/roster/{pid}") for pid in ids.values())
        )
        revisions[service] = {
            external_id: int(answer.json()["revision"])
            for external_id, answer in zip(ids, answers, strict=True)
            if answer.status_code == 200
        }
    return Seen(
        people=[p["externalId"] for p in people],
        history={
            external_id: [(e["changeId"], e["field"]) for e in answer.json()["items"]]
            for external_id, answer in zip(ids, histories, strict=True)
        },
        revisions=revisions,
    )


async def _people(get: Callable[[str, str], Awaitable[httpx.Response]]) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    after = ""
    while True:
        page = (await get("profiles", f"/internal/people?first=100{after}")).json()
        people += [edge["node"] for edge in page["edges"]]
        if not page["hasNextPage"]:
            return people
        after = f"&after={page['edges'][-1]['cursor']}"
