"""Sessions' internal REST API as its integration tests drive it: the service on a real
database (SQLite, or PostgreSQL with TEST_DATABASE_URL), its read model fed by the same
handlers the consumer runs, and the outbox each change writes to; plus the people, programs
and matches the tests build."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from contracts.base import Event
from contracts.matches import MatchAccepted
from contracts.people import PersonCreated
from contracts.programs import ProgramPublished
from messaging.consumer import Received
from messaging.envelope import envelope_for
from service_auth.tokens import Caller, TokenMinter
from sessions.adapters import tables
from sessions.bootstrap import SessionsService
from sqlalchemy import select

NOW = "2026-11-01T09:00:00Z"


@dataclass
class Service:
    http: httpx.AsyncClient
    sessions: SessionsService
    minter: TokenMinter

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "sessions")
        return await self.http.request(
            method,
            f"/internal/sessions{path}",
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    async def deliver(self, tenant_id: str, event: Event) -> None:
        """An event as the consumer hands it over: the registered handler, in one transaction."""
        envelope = envelope_for(event, tenant_id=tenant_id, source="/cairn/test")
        handler = self.sessions.process.handlers[event.event_type]
        async with self.sessions.process.uow() as uow:
            await handler(uow, Received(envelope=envelope, event=event))
            await uow.commit()

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        outbox = tables.messaging.outbox
        async with self.sessions.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id)
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def series(self, tenant_id: str, match_id: str) -> list[dict[str, Any]]:
        answer = await self.call(
            tenant_id, "POST", "/matches/sessions/batch", json={"matchIds": [match_id]}
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"][0]["items"]
        return items


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def person(
    person_id: str, zone: str, *, status: str = "ACTIVE", revision: int = 1
) -> dict[str, Any]:
    return {
        "id": person_id,
        "email": f"{person_id}@example-corp.com",
        "displayName": f"Person {person_id}",
        "timeZone": zone,
        "languages": ["en"],
        "status": status,
        "sourceVersion": revision,
        "revision": revision,
        "updatedAt": NOW,
    }


def program(
    program_id: str,
    *,
    cadence: str = "FREQ=WEEKLY;COUNT=6",
    starts_on: str = "2027-03-01",
    minutes: int = 60,
    modules: int = 3,
) -> dict[str, Any]:
    return {
        "id": program_id,
        "name": "Future Leaders",
        "kind": "ONE_ON_ONE",
        "status": "ENROLLING",
        "description": None,
        "startsOn": starts_on,
        "endsOn": None,
        "objectives": [],
        "curriculum": {
            "cadence": cadence,
            "sessionMinutes": minutes,
            "modules": [
                {
                    "title": f"Module {i}",
                    "discussionGuide": f"Talk about topic {i}",
                    "preWork": [f"Read chapter {i}"],
                    "actionItemTemplates": [f"Try {i}"],
                }
                for i in range(modules)
            ],
        },
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
        "updatedAt": NOW,
    }


def match(
    match_id: str, program_id: str, mentor: str, mentee: str, *, status: str = "ACCEPTED"
) -> dict[str, Any]:
    return {
        "id": match_id,
        "programId": program_id,
        "kind": "ONE_ON_ONE",
        "mentorId": mentor,
        "menteeIds": [mentee],
        "score": 0.8,
        "reasons": [],
        "status": status,
        "origin": "RUN",
        "runId": None,
        "acceptedBy": [mentor, mentee],
        "proposedAt": NOW,
        "expiresAt": None,
        "decidedAt": datetime.now(UTC).isoformat(),
        "endedAt": None,
        "reason": None,
        "flaggedForReview": False,
        "revision": 2,
        "updatedAt": NOW,
    }


async def hire(service: Service, t: str, person_id: str, zone: str) -> None:
    await service.deliver(t, PersonCreated.model_validate({"person": person(person_id, zone)}))


async def publish_program(service: Service, t: str, **kw: Any) -> str:
    program_id = f"pg_{uuid.uuid4().hex[:8]}"
    snapshot = program(program_id, **kw)
    await service.deliver(t, ProgramPublished.model_validate({"program": snapshot}))
    return program_id


async def accept(service: Service, t: str, program_id: str, mentor: str, mentee: str) -> str:
    match_id = f"mt_{uuid.uuid4().hex}"
    snapshot = match(match_id, program_id, mentor, mentee)
    await service.deliver(t, MatchAccepted.model_validate({"match": snapshot}))
    return match_id


def types(events: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [e[0] for e in events]
