"""Sessions delivered to a person's Outlook calendar by the worker, against the local server
answering Microsoft Graph's documented shapes: created with the idempotency key as its
transactionId, moved, cancelled; free/busy for "me" asked by the person's address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from contracts.sessions import CalendarSync
from messaging.outbox import UnitOfWorkFactory
from sessions.adapters.calendars.model import ProviderName
from sessions.domain.intervals import Interval
from sessions.domain.slots import Busy, Unknown
from sessions.service_layer.calendar_accounts import CalendarAccess
from sessions.service_layer.calendar_delivery import deliver_due, idempotency_key
from sessions.service_layer.calendar_sync import busy_for

from services.sessions.tests.calendar_world import add_people, calendar_access, new_tenant, session
from services.sessions.tests.providers.calendar_delivery_steps import (
    PEOPLE,
    connect_oauth,
    push,
    state,
)


@pytest_asyncio.fixture
async def access(graph: Any, oauth: Any) -> AsyncIterator[CalendarAccess]:
    made = calendar_access(
        microsoft_token_url=oauth.url, microsoft_api_url=f"{graph.served.url}/v1.0"
    )
    yield made
    await made.close()


async def test_a_session_is_created_moved_and_cancelled_in_outlook(
    uow: UnitOfWorkFactory, access: CalendarAccess, graph: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    conn = await connect_oauth(uow, access, tenant, ProviderName.MICROSOFT, "me")
    booked = session()

    await push(uow, tenant, booked)
    assert await deliver_due(uow, access) == 1
    ((event_id, event),) = graph.events.items()
    assert event["transactionId"] == idempotency_key(tenant, booked.id, conn.id)
    assert event["subject"] == "Mentoring session"
    assert graph.served.made("POST", "/me/calendar/events")
    assert [r.state for r in await state(uow, tenant, booked.id)] == [CalendarSync.SYNCED]

    await push(uow, tenant, session(booked.id, revision=2, hour=16))
    assert await deliver_due(uow, access) == 1
    assert list(graph.events) == [event_id]
    (patch,) = graph.served.made("PATCH", f"/me/events/{event_id}")
    assert patch.json()["start"]["dateTime"].startswith("2030-03-11T16:00:00")

    await push(uow, tenant, session(booked.id, revision=3, hour=16), cancel=True)
    assert await deliver_due(uow, access) == 1
    assert event["isCancelled"] is True
    assert [r.state for r in await state(uow, tenant, booked.id)] == [CalendarSync.SYNCED]


async def test_free_busy_for_me_is_asked_by_the_person_s_address(
    uow: UnitOfWorkFactory, access: CalendarAccess, graph: Any
) -> None:
    tenant = new_tenant()
    await add_people(uow, tenant, PEOPLE)
    await connect_oauth(uow, access, tenant, ProviderName.MICROSOFT, "me", person_id="mentor")
    await connect_oauth(uow, access, tenant, ProviderName.MICROSOFT, "me", person_id="mentee")
    busy = (datetime(2030, 3, 11, 13, tzinfo=UTC), datetime(2030, 3, 11, 14, tzinfo=UTC))
    graph.schedules["ada@example.com"] = [(*busy, "Busy")]
    graph.failing["lin@example.com"] = ("5009", "The mailbox is not accessible")
    window = Interval(datetime(2030, 3, 11, tzinfo=UTC), datetime(2030, 3, 12, tzinfo=UTC))
    async with uow() as work:
        found = await busy_for(work.session, tenant, ["mentor", "mentee"], window, access=access)
    assert found["mentor"] == Busy((Interval(*busy),))
    assert isinstance(found["mentee"], Unknown) and "not accessible" in found["mentee"].why
