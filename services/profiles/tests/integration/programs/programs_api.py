"""profiles' programs and enrollment API as its integration tests drive it: the service on a
real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), people made the way profiles
makes them (HRIS changes), the outbox each change writes to, and the programs the tests
build."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from contracts.hris import HrisChange
from profiles.adapters.metadata import messaging
from profiles.adapters.repository import PeopleRepository
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter
from sqlalchemy import select


@dataclass
class Profiles:
    http: httpx.AsyncClient
    process: ServiceProcess
    minter: TokenMinter

    def headers(self, tenant_id: str) -> dict[str, str]:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "profiles")
        return {"Authorization": f"Bearer {token}"}

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers(tenant_id), **kwargs)

    async def events(self, tenant_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(type, key, data) of the tenant's outbox rows, in the order they were written."""
        outbox = messaging.outbox
        async with self.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.key, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id, outbox.c.topic != "cairn.profiles.people")
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.key, r.data) for r in rows]

    async def hire(self, tenant_id: str, **employee: Any) -> str:
        """A person, made the way profiles makes them (an HRIS change); returns their id."""
        external_id = f"E-{uuid.uuid4().hex[:8]}"
        change = HrisChange.model_validate(
            {
                "id": f"chg-{uuid.uuid4().hex}",
                "type": "employee.hired",
                "effectiveAt": "2026-01-01T09:00:00Z",
                "sourceVersion": 1,
                "employee": {
                    "externalId": external_id,
                    "email": f"{external_id}@example-corp.com",
                    "displayName": f"Person {external_id}",
                    **employee,
                },
            }
        )
        async with self.process.uow() as uow:
            await apply_hris_change(uow, tenant_id, change)
            person = await PeopleRepository(uow.session, tenant_id).by_external_id(external_id)
            await uow.commit()
        assert person is not None
        return person.id

    async def leave(self, tenant_id: str, person_id: str, kind: str) -> None:
        async with self.process.uow() as uow:
            person = await PeopleRepository(uow.session, tenant_id).get(person_id)
            assert person is not None
            change = HrisChange.model_validate(
                {
                    "id": f"chg-{uuid.uuid4().hex}",
                    "type": kind,
                    "effectiveAt": "2026-01-02T09:00:00Z",
                    "sourceVersion": 2,
                    "employee": {"externalId": person.external_id},
                }
            )
            await apply_hris_change(uow, tenant_id, change)
            await uow.commit()


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def program_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Future Leaders 2027",
        "kind": "ONE_ON_ONE",
        "description": "Six months with a senior leader",
        "startsOn": "2027-01-04",
        "endsOn": "2027-06-30",
        "objectives": [
            {"metric": "PROMOTION_RATE", "target": 0.25, "baseline": 0.12, "dueOn": "2027-06-30"},
            {"metric": "SATISFACTION", "target": 4.2, "dueOn": "2027-06-01"},
        ],
        "curriculum": {
            "cadence": "freq=weekly;interval=2;byday=tu;count=12",
            "sessionMinutes": 45,
            "modules": [
                {
                    "title": "Leading through change",
                    "discussionGuide": "What changed for you this quarter?",
                    "preWork": ["Read: Switch, ch. 1"],
                    "actionItemTemplates": ["Name one change to lead"],
                }
            ],
        },
        "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 3, "weights": {"goals": 0.5}},
    }
    body.update(overrides)
    return body


def fields_of(response: httpx.Response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def created(profiles: Profiles, tenant_id: str, **overrides: Any) -> dict[str, Any]:
    response = await profiles.call(
        tenant_id, "POST", "/internal/programs", json=program_body(**overrides)
    )
    assert response.status_code == 201, response.text
    program: dict[str, Any] = response.json()
    return program


async def enrolling(profiles: Profiles, tenant_id: str, **overrides: Any) -> dict[str, Any]:
    program = await created(profiles, tenant_id, **overrides)
    opened = await profiles.call(
        tenant_id, "POST", f"/internal/programs/{program['id']}/open-enrollment"
    )
    assert opened.status_code == 200, opened.text
    body: dict[str, Any] = opened.json()
    return body
