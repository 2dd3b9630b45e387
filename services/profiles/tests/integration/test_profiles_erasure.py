"""Forgetting a person in profiles, against a real database through the internal API: one
transaction anonymises the person, drops their org history's values and the HRIS changes
still held about them, points their reports at an id naming nobody, takes their own events out
of the outbox and emits `person.erased` (id and tenant only). Admins only; asking again changes
nothing."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.leftovers import mentions
from devstack.pytest_plugin import DatabaseFactory
from persistence.migrations import upgrade_async
from profiles import bootstrap
from profiles.adapters.metadata import messaging
from profiles.adapters.repository import PeopleRepository
from profiles.adapters.tables import PersonChange
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import select
from sqlmodel import col

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = ("Zephyrine", "Quillfeather", "zq-7731@example-corp.com", "EXT-ZQ-7731", "zquill")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[ServiceProcess, httpx.AsyncClient, TokenMinter]]:
    private, public = generate_keypair()
    url = await database_factory("profiles")
    await upgrade_async(bootstrap.MIGRATIONS, url)
    app = create_app(
        ProfilesSettings(database_url=url, service_token_public_key=public, run_workers=False)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield app.state.process, http, TokenMinter(private)
    await app.state.process.engine.dispose()


async def _apply(process: ServiceProcess, tenant: str, change: dict[str, Any]) -> None:
    async with process.uow() as uow:
        await apply_hris_change(
            uow, tenant, HrisChange.model_validate({"id": f"chg-{uuid.uuid4().hex}", **change})
        )
        await uow.commit()


async def _events(process: ServiceProcess, tenant: str) -> list[tuple[str, dict[str, Any]]]:
    outbox = messaging.outbox
    async with process.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.event_type, outbox.c.data)
            .where(outbox.c.tenant_id == tenant)
            .order_by(outbox.c.id)
        )
        return [(r.event_type, r.data) for r in rows]


async def test_a_forgotten_person_is_nobody_in_one_transaction(
    service: tuple[ServiceProcess, httpx.AsyncClient, TokenMinter],
) -> None:
    process, http, minter = service
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    employee = {
        "externalId": "EXT-ZQ-7731",
        "email": "zq-7731@example-corp.com",
        "givenName": "Zephyrine",
        "familyName": "Quillfeather",
        "displayName": "Zephyrine Quillfeather",
        "userName": "zquill",
        "title": "Engineer",
    }
    hired = {"type": "employee.hired", "effectiveAt": "2026-01-05T09:00:00Z"}
    await _apply(process, tenant, {**hired, "sourceVersion": 1, "employee": employee})
    report = {"externalId": "EXT-R1", "email": "r1@example.com", "displayName": "Report One"}
    await _apply(
        process,
        tenant,
        {**hired, "sourceVersion": 1, "employee": {**report, "managerExternalId": "EXT-ZQ-7731"}},
    )
    moved = {"type": "employee.updated", "effectiveAt": "2026-06-01T09:00:00Z"}
    await _apply(
        process,
        tenant,
        {**moved, "sourceVersion": 2, "employee": {"externalId": "EXT-ZQ-7731", "title": "Lead"}},
    )
    held = {"type": "employee.updated", "effectiveAt": "2099-01-01T09:00:00Z", "sourceVersion": 3}
    await _apply(
        process, tenant, {**held, "employee": {"externalId": "EXT-ZQ-7731", "title": "VP"}}
    )
    async with process.uow() as uow:
        found = await PeopleRepository(uow.session, tenant).by_external_id("EXT-ZQ-7731")
    assert found is not None
    person_id = found.id

    async def call(principal: str) -> httpx.Response:
        token = minter.mint(Caller(tenant_id=tenant, principal=principal), "profiles")
        return await http.post(
            f"/internal/people/{person_id}/erasure", headers={"Authorization": f"Bearer {token}"}
        )

    assert await mentions(process.engine, NAMES)
    refused = await call(f"person:{person_id}")  # not even the person themselves
    assert refused.status_code == 404, refused.text
    assert await mentions(process.engine, NAMES)

    answer = await call("system")
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["displayName"] == "Erased person"
    assert view["email"] == f"erased-{person_id}@erased.invalid"
    assert view["externalId"] == f"erased:{person_id}"
    assert view["title"] is None and view["userName"] is None and view["givenName"] is None
    assert await mentions(process.engine, NAMES) == []
    assert await mentions(process.engine, ("Lead", "VP")) == []  # the title history
    async with process.engine.connect() as conn:
        history = (
            await conn.execute(
                select(PersonChange.field, PersonChange.from_value, PersonChange.to_value).where(
                    col(PersonChange.person_id) == person_id
                )
            )
        ).all()
    assert history and all(old is None and new is None for _, old, new in history)
    async with process.uow() as uow:
        kept = await PeopleRepository(uow.session, tenant).by_external_id("EXT-R1")
    assert kept is not None and kept.manager_external_id == f"erased:{person_id}"
    events = await _events(process, tenant)
    assert events[-1] == (
        "person.erased",
        {"personId": person_id, "erasedAt": events[-1][1]["erasedAt"]},
    )

    again = await call("system")
    assert again.status_code == 200 and again.json() == view
    assert await _events(process, tenant) == events
    unknown = await http.post(
        f"/internal/people/{uuid.uuid4()}/erasure",
        headers={
            "Authorization": "Bearer "
            + minter.mint(Caller(tenant_id=tenant, principal="system"), "profiles")
        },
    )
    assert unknown.status_code == 404
