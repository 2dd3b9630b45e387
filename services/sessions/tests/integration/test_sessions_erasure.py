"""`person.erased` in sessions, on a real database: the person's calendar connection (with its
sealed credentials), working hours and what waits for their calendar go; their sessions keep
them as an opaque attendee (counts stay); no row names them any more (a cancellation reason
that did is rewritten); the roster keeps a tombstone; sessions confirms."""

from datetime import UTC, datetime

import pytest
from contracts.people import PersonCreated, PersonErased, PersonTerminated
from devstack.leftovers import mentions
from sessions.adapters.calendar_tables import calendar_connection
from sessions.adapters.tables import SessionAttendee, WorkingHoursRow
from sqlalchemy import func, select
from sqlmodel import col

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    person,
    publish_program,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = ("Zephyrine", "Quillfeather", "zq-7731@example-corp.com", "EXT-ZQ-7731")
GOOGLE = {
    "provider": "GOOGLE",
    "accessToken": "ya29.secret-access",
    "refreshToken": "1//secret-refresh",
    "expiresAt": "2030-01-01T00:00:00Z",
}


def distinctive(person_id: str, **kw: object) -> dict[str, object]:
    return {
        **person(person_id, "Europe/Berlin", **kw),  # type: ignore[arg-type]
        "externalId": "EXT-ZQ-7731",
        "email": "zq-7731@example-corp.com",
        "givenName": "Zephyrine",
        "familyName": "Quillfeather",
        "displayName": "Zephyrine Quillfeather",
    }


async def _count(service: Service, t: str, person_id: str) -> tuple[int, int, int]:
    async with service.sessions.process.engine.connect() as conn:
        attendee = await conn.scalar(
            select(func.count()).where(
                col(SessionAttendee.tenant_id) == t, col(SessionAttendee.person_id) == person_id
            )
        )
        connections = await conn.scalar(
            select(func.count()).where(
                calendar_connection.c.tenant_id == t, calendar_connection.c.person_id == person_id
            )
        )
        hours = await conn.scalar(
            select(func.count()).where(
                col(WorkingHoursRow.tenant_id) == t, col(WorkingHoursRow.person_id) == person_id
            )
        )
    return int(attendee or 0), int(connections or 0), int(hours or 0)


async def test_an_erased_person_leaves_no_name_credentials_or_hours(service: Service) -> None:
    t = tenant()
    await hire(service, t, "mentor", "Europe/Berlin")
    await service.deliver(t, PersonCreated.model_validate({"person": distinctive("zq")}))
    program_id = await publish_program(service, t)
    match_id = await accept(service, t, program_id, "mentor", "zq")
    connected = await service.call(t, "POST", "/people/zq/calendar-connections", json=GOOGLE)
    assert connected.status_code == 201, connected.text
    days = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]
    hours = await service.call(t, "PUT", "/people/zq/working-hours", json={"days": days})
    assert hours.status_code == 200, hours.text
    # The leaver's sessions are cancelled with a reason naming them.
    await service.deliver(
        t,
        PersonTerminated.model_validate(
            {
                "person": distinctive("zq", status="TERMINATED", revision=2),
                "terminatedAt": "2026-12-01T09:00:00Z",
            }
        ),
    )
    engine = service.sessions.process.engine
    named_in = {m.table for m in await mentions(engine, NAMES)}
    assert {"roster_person", "session", "outbox_message"} <= named_in, named_in
    attendee_rows, connections, kept_hours = await _count(service, t, "zq")
    assert attendee_rows > 0 and connections == 1 and kept_hours == 1
    series = await service.series(t, match_id)

    await service.deliver(t, PersonErased(person_id="zq", erased_at=datetime.now(UTC)))

    assert await mentions(engine, NAMES) == []
    assert await _count(service, t, "zq") == (attendee_rows, 0, 0)
    after = await service.series(t, match_id)
    assert [(s["id"], s["status"], s["attendeeIds"]) for s in after] == [
        (s["id"], s["status"], s["attendeeIds"]) for s in series
    ]
    last = (await service.events(t))[-1]
    assert (last[0], last[2]["service"], last[2]["personId"]) == (
        "person.erasure_confirmed",
        "sessions",
        "zq",
    )
