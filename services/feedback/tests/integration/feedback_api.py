"""feedback's internal REST API as its integration tests drive it, the read model fed by the
same handlers the consumer runs, and the outbox each change writes to; plus the people,
matches and sessions the tests build."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from contracts.base import Event
from contracts.matches import MatchAccepted, MatchOrigin, MatchSnapshot, MatchStatus
from contracts.people import PersonCreated, PersonSnapshot, PersonStatus
from contracts.programs import ProgramKind, ProgramPublished, ProgramSnapshot
from contracts.sessions import (
    SessionCancelled,
    SessionCompleted,
    SessionNoShow,
    SessionSnapshot,
    SessionStatus,
)
from feedback.adapters import tables
from feedback.bootstrap import Feedback
from messaging.consumer import Received
from messaging.envelope import envelope_for
from service_auth.tokens import Caller, TokenMinter
from sqlalchemy import select


@dataclass
class Service:
    http: httpx.AsyncClient
    feedback: Feedback
    minter: TokenMinter

    async def call(
        self, tenant_id: str, method: str, path: str, principal: str = "system", **kwargs: Any
    ) -> httpx.Response:
        token = self.minter.mint(
            Caller(tenant_id=tenant_id, principal=principal, scopes=("*",)), "feedback"
        )
        return await self.http.request(
            method,
            f"/internal/feedback{path}",
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    async def deliver(self, tenant_id: str, event: Event) -> None:
        """An event as the consumer hands it over: the registered handler, in one transaction."""
        envelope = envelope_for(event, tenant_id=tenant_id, source="/cairn/test")
        handler = self.feedback.process.handlers[event.event_type]
        async with self.feedback.process.uow() as uow:
            await handler(uow, Received(envelope=envelope, event=event))
            await uow.commit()

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        outbox = tables.messaging.outbox
        async with self.feedback.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id)
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def person(self, tenant_id: str, **fields: Any) -> str:
        person_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        snapshot = PersonSnapshot(
            id=person_id,
            email=f"{person_id[:8]}@acme-corp.com",
            display_name=f"Person {person_id[:8]}",
            time_zone="Europe/Berlin",
            status=PersonStatus.ACTIVE,
            source_version=1,
            revision=1,
            updated_at=now,
            **fields,
        )
        await self.deliver(tenant_id, PersonCreated(person=snapshot))
        return person_id

    async def program(self, tenant_id: str, **fields: Any) -> str:
        program_id = str(uuid.uuid4())
        snapshot = ProgramSnapshot.model_validate(
            {
                "id": program_id,
                "name": "Future Leaders",
                "kind": "ONE_ON_ONE",
                "status": "ENROLLING",
                "description": None,
                "startsOn": None,
                "endsOn": None,
                "objectives": [],
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;COUNT=6",
                    "sessionMinutes": 45,
                    "modules": [],
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
                "updatedAt": datetime.now(UTC).isoformat(),
                **fields,
            }
        )
        await self.deliver(tenant_id, ProgramPublished(program=snapshot))
        return program_id

    async def match(
        self, tenant_id: str, program_id: str, mentor: str, mentee: str, at: datetime
    ) -> MatchSnapshot:
        snapshot = MatchSnapshot(
            id=f"mt_{uuid.uuid4().hex[:16]}",
            program_id=program_id,
            kind=ProgramKind.ONE_ON_ONE,
            mentor_id=mentor,
            mentee_ids=[mentee],
            score=0.7,
            reasons=[],
            status=MatchStatus.ACCEPTED,
            origin=MatchOrigin.RUN,
            run_id=None,
            accepted_by=[mentor, mentee],
            proposed_at=at - timedelta(hours=1),
            expires_at=None,
            decided_at=at,
            ended_at=None,
            reason=None,
            flagged_for_review=False,
            revision=1,
            updated_at=at,
        )
        await self.deliver(tenant_id, MatchAccepted(match=snapshot))
        return snapshot

    async def held(
        self,
        tenant_id: str,
        match: MatchSnapshot,
        ended_at: datetime,
        status: SessionStatus = SessionStatus.COMPLETED,
    ) -> SessionSnapshot:
        """A session of the match, held (or, with another status, cancelled or missed)."""
        snapshot = SessionSnapshot(
            id=f"ss_{uuid.uuid4().hex[:16]}",
            program_id=match.program_id,
            match_ids=[match.id],
            host_id=match.mentor_id,
            attendee_ids=[match.mentor_id, *match.mentee_ids],
            starts_at=ended_at - timedelta(hours=1),
            ends_at=ended_at,
            status=status,
            revision=2,
            updated_at=ended_at,
        )
        if status is SessionStatus.COMPLETED:
            event: Event = SessionCompleted(session=snapshot, completed_at=ended_at)
        elif status is SessionStatus.CANCELLED:
            event = SessionCancelled(session=snapshot, cancelled_by=match.mentor_id, reason="busy")
        else:
            event = SessionNoShow(session=snapshot, absent_ids=list(match.mentee_ids))
        await self.deliver(tenant_id, event)
        return snapshot

    async def requests_of(self, tenant_id: str, person_id: str) -> list[dict[str, Any]]:
        answer = await self.call(tenant_id, "GET", f"/people/{person_id}/requests")
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items
