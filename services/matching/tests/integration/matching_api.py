"""Matching's internal REST API as its integration tests drive it: the service on a real
database (SQLite, or PostgreSQL with TEST_DATABASE_URL) and a real solver process pool, the read
model fed by the same handlers the consumer runs, and the outbox each change writes to; plus
the people, programs and cohorts the tests build."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from contracts.base import Event
from contracts.enrollments import EnrollmentCreated
from contracts.people import PersonCreated
from contracts.programs import ProgramPublished
from matching.adapters import tables
from matching.bootstrap import Matching
from matching.service_layer.runs import Solver, execute_run
from messaging.consumer import Received
from messaging.envelope import Envelope, envelope_for
from service_auth.tokens import Caller, TokenMinter
from sqlalchemy import select


@dataclass
class Service:
    http: httpx.AsyncClient
    matching: Matching
    minter: TokenMinter

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "matching")
        return await self.http.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )

    async def deliver(
        self, tenant_id: str, event: Event, data: dict[str, Any] | None = None
    ) -> None:
        """An event as the consumer hands it over: the registered handler, in one transaction."""
        envelope = envelope_for(event, tenant_id=tenant_id, source="/cairn/test")
        if data is not None:
            envelope = Envelope(
                id=envelope.id,
                type=envelope.type,
                source=envelope.source,
                tenant_id=tenant_id,
                key=envelope.key,
                data=data,
            )
        handler = self.matching.process.handlers[event.event_type]
        async with self.matching.process.uow() as uow:
            await handler(uow, Received(envelope=envelope, event=event))
            await uow.commit()

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        outbox = tables.messaging.outbox
        async with self.matching.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id)
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def ask_run(self, tenant_id: str, program_id: str, **body: Any) -> httpx.Response:
        return await self.call(
            tenant_id, "POST", f"/internal/matching/programs/{program_id}/runs", json=body
        )

    async def finish(
        self, tenant_id: str, run_id: str, solve: Solver | None = None
    ) -> dict[str, Any]:
        """Does what the run worker does with the run, and answers the finished run."""
        m = self.matching
        await execute_run(m.process.uow, tenant_id, run_id, solve or m.solve, m.run_settings)
        done = await self.call(tenant_id, "GET", f"/internal/matching/runs/{run_id}")
        body: dict[str, Any] = done.json()
        return body

    async def run(self, tenant_id: str, program_id: str, *, dry_run: bool) -> dict[str, Any]:
        asked = await self.ask_run(tenant_id, program_id, dryRun=dry_run)
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "RUNNING"
        return await self.finish(tenant_id, asked.json()["id"])


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def person(
    person_id: str,
    *,
    level: int,
    manager_id: str | None = None,
    department: str = "Platform",
    status: str = "ACTIVE",
    revision: int = 1,
    skills: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": person_id,
        "email": f"{person_id}@example-corp.com",
        "displayName": f"Person {person_id}",
        "department": department,
        "timeZone": "Europe/Berlin",
        "level": level,
        "managerId": manager_id,
        "languages": ["en"],
        "status": status,
        "sourceVersion": revision,
        "revision": revision,
        "updatedAt": "2026-11-01T09:00:00Z",
        "skills": skills or [],
    }


def program(program_id: str, **policy: Any) -> dict[str, Any]:
    return {
        "id": program_id,
        "name": "Future Leaders",
        "kind": "ONE_ON_ONE",
        "status": "ENROLLING",
        "description": None,
        "startsOn": "2027-01-04",
        "endsOn": None,
        "objectives": [],
        "curriculum": {"cadence": "FREQ=WEEKLY", "sessionMinutes": 45, "modules": []},
        "matchingPolicy": {
            "mentorsPerMentee": 1,
            "groupSize": None,
            "minLevelGap": 1,
            "maxLevelGap": 4,
            "crossDepartment": True,
            "prioritizeUnderrepresented": False,
            "weights": {"goals": 0.5},
            **policy,
        },
        "enrollmentWindow": {"opensAt": None, "closesAt": None},
        "eligibility": {"levels": [], "departments": [], "roles": []},
        "revision": 1,
        "updatedAt": "2026-11-01T09:00:00Z",
    }


async def hire(service: Service, t: str, snapshot: dict[str, Any]) -> None:
    await service.deliver(t, PersonCreated.model_validate({"person": snapshot}))


async def enroll(
    service: Service, t: str, program_id: str, person_id: str, role: str, capacity: int | None
) -> dict[str, Any]:
    """The enrollment's snapshot, as its event carried it."""
    now = "2026-11-02T09:00:00Z"
    enrollment = {
        "id": f"en_{uuid.uuid4().hex[:10]}",
        "programId": program_id,
        "personId": person_id,
        "role": role,
        "goals": ["strategy", "public speaking"],
        "capacity": capacity,
        "status": "ACTIVE",
        "reason": None,
        "revision": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    await service.deliver(t, EnrollmentCreated.model_validate({"enrollment": enrollment}))
    return enrollment


@dataclass
class Cohort:
    tenant_id: str
    program_id: str
    mentors: list[str]
    mentees: list[str]
    enrollments: dict[str, dict[str, Any]]  # by person


async def cohort(service: Service, *, mentors: int = 3, mentees: int = 3, **policy: Any) -> Cohort:
    """A published program; mentors at level 6 (capacity 1) and mentees at level 3, each
    mentee reporting to a manager outside the program."""
    t, program_id = tenant(), f"pg_{uuid.uuid4().hex[:8]}"
    snapshot = program(program_id, **policy)
    event = ProgramPublished.model_validate({"program": snapshot})
    await service.deliver(t, event, data={"program": snapshot})
    await hire(service, t, person("boss", level=9))
    mentor_ids = [f"mr{i}" for i in range(mentors)]
    mentee_ids = [f"me{i}" for i in range(mentees)]
    enrollments = {}
    for m in mentor_ids:
        await hire(service, t, person(m, level=6, manager_id="boss", skills=["strategy"]))
        enrollments[m] = await enroll(service, t, program_id, m, "MENTOR", 1)
    for m in mentee_ids:
        await hire(service, t, person(m, level=3, manager_id="boss", department="Sales"))
        enrollments[m] = await enroll(service, t, program_id, m, "MENTEE", None)
    return Cohort(t, program_id, mentor_ids, mentee_ids, enrollments)


async def matches_of(service: Service, c: Cohort, *status: str) -> list[dict[str, Any]]:
    answer = await service.call(
        c.tenant_id,
        "GET",
        f"/internal/matching/programs/{c.program_id}/matches",
        params={"status": list(status), "first": 100},
    )
    assert answer.status_code == 200, answer.text
    return [e["node"] for e in answer.json()["edges"]]


def types(events: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [e[0] for e in events]


async def decide(
    service: Service, c: Cohort, match_id: str, action: str, **body: Any
) -> httpx.Response:
    return await service.call(
        c.tenant_id, "POST", f"/internal/matching/matches/{match_id}/{action}", json=body
    )
