"""Planning and changes meet people's connected calendars (the seam `calendar_sync`): a
calendar that cannot be read gives no slot on a guess (the reason names it), and every change
of a session writes a push for each attendee's connected calendar in the same transaction,
shown in the session's `sync`."""

import pytest
from sessions.adapters.calendars.model import ProviderName
from sessions.service_layer.calendar_accounts import add_connection

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    publish_program,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOWHERE = "http://127.0.0.1:9/dav/par/"  # nothing listens on the discard port


async def test_an_unreadable_calendar_gives_no_slot_and_changes_are_pushed(
    service: Service,
) -> None:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    await hire(service, t, "par", "Europe/Paris")
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=2")
    planned = await service.series(t, await accept(service, t, program_id, "ber", "par"))
    assert [s["sync"] for s in planned] == [[], []]  # nobody has a calendar connected yet

    async with service.sessions.process.uow() as uow:
        await add_connection(
            uow.session,
            service.sessions.calendars.sealer,
            t,
            "par",
            ProviderName.CALDAV,
            NOWHERE,
            {"url": NOWHERE},
        )
        await uow.commit()

    # Held: the calendar is told (a cancel of an event never sent there would send nothing).
    held = await service.call(t, "POST", f"/sessions/{planned[0]['id']}/complete", json={})
    assert held.status_code == 200, held.text
    assert held.json()["sync"] == [
        {"personId": "par", "provider": "CALDAV", "state": "PENDING", "error": None}
    ]

    match_id = planned[0]["matchIds"][0]
    booked = await service.call(t, "POST", "/sessions", json={"matchId": match_id})
    assert booked.status_code == 422
    assert "could not be read" in booked.json()["errors"][0]["message"]

    second = await accept(service, t, program_id, "ber", "par")
    series = await service.series(t, second)
    assert [s["status"] for s in series] == ["UNSCHEDULED"] * 2
    assert all("par" in s["unscheduledReason"] for s in series)
    assert all("could not be read" in s["unscheduledReason"] for s in series)
