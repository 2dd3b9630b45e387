"""Sessions delivered to a person's Google Calendar by the worker, against the local server
answering Google's documented shapes: created under the id the idempotency key gives, moved,
cancelled; a 503 leaves the push FAILED and a later retry succeeds; an expired token is
refreshed and stored sealed again; free/busy through the seam, unreadable means unknown."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from contracts.internal.session_calendars import ConnectionState
from contracts.sessions import CalendarSync
from messaging.outbox import UnitOfWorkFactory, utcnow
from sessions.adapters.calendar_tables import calendar_connection
from sessions.adapters.calendars.google import google_event_id
from sessions.adapters.calendars.model import ProviderName
from sessions.domain.intervals import Interval
from sessions.domain.slots import Busy, Unknown
from sessions.service_layer.calendar_accounts import CalendarAccess, connections_of
from sessions.service_layer.calendar_delivery import deliver_due, idempotency_key
from sessions.service_layer.calendar_sync import busy_for
from sqlalchemy import select

from services.sessions.tests.calendar_world import add_people, calendar_access, new_tenant, session
from services.sessions.tests.providers.calendar_delivery_steps import (
    PEOPLE,
    connect_oauth,
    push,
    state,
)


@pytest_asyncio.fixture
async def access(google: Any, oauth: Any) -> AsyncIterator[CalendarAccess]:
    made = calendar_access(
        google_token_url=oauth.url, google_api_url=f"{google.served.url}/calendar/v3"
    )
    yield made
    await made.close()


async def test_a_session_is_created_moved_and_cancelled_in_google(
    uow: UnitOfWorkFactory, access: CalendarAccess, google: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    conn = await connect_oauth(uow, access, tenant, ProviderName.GOOGLE, "primary")
    booked = session()

    await push(uow, tenant, booked)
    assert await deliver_due(uow, access) == 1
    event_id = google_event_id(idempotency_key(tenant, booked.id, conn.id))
    event = google.events["primary"][event_id]
    assert event["status"] == "confirmed"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == booked.starts_at
    assert event["start"]["timeZone"] == "Europe/London"  # the host's zone
    assert sorted(a["email"] for a in event["attendees"]) == sorted(PEOPLE.values())
    (insert,) = google.served.made("POST", "/events")
    assert insert.query["sendUpdates"] == "none"  # each calendar its copy: no invitation mail
    assert [r.state for r in await state(uow, tenant, booked.id)] == [CalendarSync.SYNCED]

    moved = session(booked.id, revision=2, hour=15)
    await push(uow, tenant, moved)
    assert await deliver_due(uow, access) == 1
    assert list(google.events["primary"]) == [event_id]  # the same event
    assert datetime.fromisoformat(event["start"]["dateTime"]) == moved.starts_at
    assert event["sequence"] == 1

    await push(uow, tenant, session(booked.id, revision=3, hour=15), cancel=True)
    assert await deliver_due(uow, access) == 1
    assert event["status"] == "cancelled"
    assert [r.state for r in await state(uow, tenant, booked.id)] == [CalendarSync.SYNCED]


async def test_a_failing_google_leaves_the_push_failed_and_a_later_retry_succeeds(
    uow: UnitOfWorkFactory, access: CalendarAccess, google: Any, http_reply: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    await connect_oauth(uow, access, tenant, ProviderName.GOOGLE, "primary")
    booked = session()
    await push(uow, tenant, booked)
    error = {"error": {"code": 503, "message": "The service is currently unavailable."}}
    google.served.queued.append(http_reply(503, error))

    assert await deliver_due(uow, access) == 1
    (row,) = await state(uow, tenant, booked.id)
    assert row.state is CalendarSync.FAILED
    assert row.error == (
        "GOOGLE: POST /calendars/primary/events answered 503: The service is currently unavailable."
    )
    assert google.events["primary"] == {}
    assert await deliver_due(uow, access) == 0  # backing off

    later = utcnow() + timedelta(minutes=1)
    assert await deliver_due(uow, access, now=lambda: later) == 1
    (row,) = await state(uow, tenant, booked.id)
    assert (row.state, row.error) == (CalendarSync.SYNCED, None)
    assert len(google.events["primary"]) == 1


async def test_an_expired_token_is_refreshed_and_stored_sealed(
    uow: UnitOfWorkFactory, access: CalendarAccess, google: Any, oauth: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    expired = datetime(2020, 1, 1, tzinfo=UTC)
    conn = await connect_oauth(
        uow, access, tenant, ProviderName.GOOGLE, "primary", "stale", expires_at=expired
    )
    await push(uow, tenant, session())
    await deliver_due(uow, access)
    assert len(google.events["primary"]) == 1
    async with uow() as work:
        sealed = (
            await work.session.execute(
                select(calendar_connection.c.sealed_credentials).where(
                    calendar_connection.c.id == conn.id
                )
            )
        ).scalar_one()
    stored = json.loads(access.sealer.open(sealed))
    assert stored["access_token"] in oauth.access_tokens and stored["access_token"] not in sealed
    assert datetime.fromisoformat(stored["expires_at"]) > utcnow()


async def test_free_busy_through_the_seam_and_an_unreadable_calendar_is_unknown(
    uow: UnitOfWorkFactory, access: CalendarAccess, google: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE | {"alan": "alan@example.com"})
    await connect_oauth(uow, access, tenant, ProviderName.GOOGLE, "primary", person_id="mentor")
    await connect_oauth(
        uow, access, tenant, ProviderName.GOOGLE, "alan@example.com", person_id="alan"
    )
    google.busy["primary"] = [("2030-03-11T09:00:00Z", "2030-03-11T10:30:00Z")]
    google.broken["alan@example.com"] = "internalError"
    window = Interval(datetime(2030, 3, 11, tzinfo=UTC), datetime(2030, 3, 12, tzinfo=UTC))
    async with uow() as work:
        people = ["mentor", "mentee", "alan"]
        found = await busy_for(work.session, tenant, people, window, access=access)
    assert found["mentor"] == Busy(
        (Interval(datetime(2030, 3, 11, 9, tzinfo=UTC), datetime(2030, 3, 11, 10, 30, tzinfo=UTC)),)
    )
    assert found["mentee"] == Busy(())  # no calendar connected: Cairn's own sessions only
    assert isinstance(found["alan"], Unknown)
    assert "internalError" in found["alan"].why and found["alan"].why.startswith("GOOGLE")


async def test_a_revoked_refresh_token_marks_the_connection_failed_and_keeps_the_push(
    uow: UnitOfWorkFactory, access: CalendarAccess, google: Any, oauth: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    conn = await connect_oauth(
        uow,
        access,
        tenant,
        ProviderName.GOOGLE,
        "primary",
        "stale",
        datetime(2020, 1, 1, tzinfo=UTC),
    )
    oauth.refresh_tokens.clear()  # the person revoked Cairn's access
    booked = session()
    await push(uow, tenant, booked)
    await deliver_due(uow, access)
    (row,) = await state(uow, tenant, booked.id)
    assert row.state is CalendarSync.FAILED and row.error is not None
    assert "reconnect the calendar" in row.error and "invalid_grant" in row.error
    async with uow() as work:
        (found,) = await connections_of(work.session, tenant, ["mentee"])
    assert (found.id, found.state) == (conn.id, ConnectionState.FAILED)
    assert found.last_error is not None and "invalid_grant" in found.last_error
    assert google.events["primary"] == {}
