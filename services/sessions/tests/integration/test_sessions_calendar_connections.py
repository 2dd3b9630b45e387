"""Connecting calendars through the internal API: the fields each provider takes, named when
wrong; credentials sealed at rest and never shown; one account per provider; disconnecting;
the sessions ahead pushed to a calendar just connected; no start without sealing keys."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from contracts.sessions import CalendarSync, SessionKind, SessionStatus
from devstack.pytest_plugin import DatabaseFactory
from messaging.outbox import utcnow
from runtime.settings import SettingsError
from service_auth.tokens import generate_keypair
from sessions.adapters.calendar_tables import calendar_connection
from sessions.adapters.sessions import Sessions
from sessions.config import SessionsSettings
from sessions.domain.lifecycle import Session
from sessions.entrypoints.api import create_app
from sessions.service_layer.calendar_sync import sync_states
from sqlalchemy import select

from services.sessions.tests.calendar_api import Api, running_api
from services.sessions.tests.calendar_world import add_people, new_tenant

GOOGLE = {
    "provider": "GOOGLE",
    "accessToken": "ya29.secret-access",
    "refreshToken": "1//secret-refresh",
    "expiresAt": "2030-01-01T00:00:00Z",
}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(database_factory: DatabaseFactory) -> AsyncIterator[Api]:
    async for made in running_api(database_factory):
        yield made


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "CALDAV"}, "url"),
        ({"provider": "CALDAV", "url": "ftp://dav.example.com/cal/"}, "url"),
        ({"provider": "CALDAV", "url": "https://dav.example.com/c/", "password": "x"}, "username"),
        ({**GOOGLE, "refreshToken": None}, "refreshToken"),
        ({**GOOGLE, "expiresAt": None}, "expiresAt"),
        ({**GOOGLE, "password": "x"}, "password"),
        ({**GOOGLE, "expiresAt": "2030-01-01T00:00:00"}, "expiresAt"),  # no offset
        ({**GOOGLE, "provider": "OUTLOOK"}, "provider"),
        ({"provider": "MICROSOFT", "url": "https://x.example.com"}, "url"),
    ],
)
async def test_bad_connection_fields_are_named_and_nothing_is_stored(
    api: Api, body: dict[str, object], field: str
) -> None:
    tenant = new_tenant()
    await add_people(api.uow, tenant, {"ada": "ada@example.com"})
    answer = await api.call(tenant, "POST", "/people/ada/calendar-connections", json=body)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    listed = await api.call(tenant, "GET", "/people/ada/calendar-connections")
    assert listed.json()["items"] == []


async def test_a_connection_is_sealed_shown_without_secrets_listed_and_removed(api: Api) -> None:
    tenant = new_tenant()
    await add_people(api.uow, tenant, {"ada": "ada@example.com"})
    made = await api.call(tenant, "POST", "/people/ada/calendar-connections", json=GOOGLE)
    assert made.status_code == 201, made.text
    view = made.json()
    assert set(view) == {"id", "personId", "provider", "state", "lastError", "connectedAt"}
    assert (view["personId"], view["provider"], view["state"]) == ("ada", "GOOGLE", "CONNECTED")
    assert "secret" not in made.text

    async with api.uow() as work:
        sealed = (
            await work.session.execute(
                select(calendar_connection.c.sealed_credentials).where(
                    calendar_connection.c.id == view["id"]
                )
            )
        ).scalar_one()
    assert "secret" not in sealed  # not in plaintext at rest
    assert "ya29.secret-access" in api.service.calendars.sealer.open(sealed)

    again = await api.call(tenant, "POST", "/people/ada/calendar-connections", json=GOOGLE)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "provider"
    dav = {"provider": "CALDAV", "url": "https://dav.example.com/ada/sessions/"}
    assert (
        await api.call(tenant, "POST", "/people/ada/calendar-connections", json=dav)
    ).status_code == 201
    listed = (await api.call(tenant, "GET", "/people/ada/calendar-connections")).json()["items"]
    assert [c["provider"] for c in listed] == ["CALDAV", "GOOGLE"]
    # Another tenant sees none of it, and cannot remove it.
    assert (await api.call(new_tenant(), "GET", "/people/ada/calendar-connections")).json()[
        "items"
    ] == []
    gone = await api.call(new_tenant(), "DELETE", f"/calendar-connections/{view['id']}")
    assert gone.status_code == 404

    assert (
        await api.call(tenant, "DELETE", f"/calendar-connections/{view['id']}")
    ).status_code == 204
    assert (
        await api.call(tenant, "DELETE", f"/calendar-connections/{view['id']}")
    ).status_code == 404
    listed = (await api.call(tenant, "GET", "/people/ada/calendar-connections")).json()["items"]
    assert [c["provider"] for c in listed] == ["CALDAV"]


async def test_a_person_sessions_does_not_know_gets_a_404(api: Api) -> None:
    answer = await api.call(
        new_tenant(), "POST", "/people/nobody/calendar-connections", json=GOOGLE
    )
    assert answer.status_code == 404


async def test_the_sessions_ahead_are_pushed_to_a_calendar_just_connected(api: Api) -> None:
    tenant = new_tenant()
    await add_people(api.uow, tenant, {"ada": "ada@example.com", "lin": "lin@example.com"})
    now = utcnow()
    ahead = Session(
        id="s-ahead",
        program_id="p1",
        kind=SessionKind.ONE_ON_ONE,
        match_ids=("m1",),
        group_id=None,
        host_id="ada",
        attendee_ids=("ada", "lin"),
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        status=SessionStatus.SCHEDULED,
        sequence=0,
        module_index=None,
        module_title=None,
        final=False,
        unscheduled_reason=None,
        capacity=None,
        revision=1,
        held_at=None,
        cancelled_reason=None,
        cancelled_by=None,
        updated_at=now,
    )
    async with api.uow() as work:
        await Sessions(work.session, tenant).add(ahead, now)
        await work.commit()
    made = await api.call(tenant, "POST", "/people/lin/calendar-connections", json=GOOGLE)
    assert made.status_code == 201
    async with api.uow() as work:
        states = await sync_states(work.session, tenant, ["s-ahead"])
    assert [(r.person_id, r.provider, r.state) for r in states["s-ahead"]] == [
        ("lin", "GOOGLE", CalendarSync.PENDING)
    ]


def test_the_service_does_not_start_beside_a_database_without_sealing_keys() -> None:
    _, public = generate_keypair()
    settings = SessionsSettings(
        database_url="postgresql://cairn@db.example.com/sessions",
        run_workers=False,
        service_token_public_key=public,
    )
    with pytest.raises(SettingsError, match="SESSIONS_SEALING_KEYS"):
        create_app(settings)
