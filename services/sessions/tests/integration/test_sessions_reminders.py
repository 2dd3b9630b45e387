"""Reminders: session.reminder_due at each lead time before a booked session, once each, even
when the loop runs again (a restart, a second replica); a session that moves is reminded again
at its new time."""

from datetime import UTC, datetime, timedelta

import pytest
from sessions.service_layer.reminders import send_due

from services.sessions.tests.integration.sessions_api import (
    Service,
    accept,
    hire,
    publish_program,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_each_reminder_goes_out_once_and_again_after_a_move(service: Service) -> None:
    t = tenant()
    await hire(service, t, "ber", "Europe/Berlin")
    await hire(service, t, "par", "Europe/Paris")
    program_id = await publish_program(service, t, cadence="FREQ=WEEKLY;COUNT=2")
    match_id = await accept(service, t, program_id, "ber", "par")
    first, second = await service.series(t, match_id)
    start = _at(first["startsAt"])
    leads = service.sessions.rules.reminder_leads
    uows = service.sessions.process.uow

    async def reminders() -> list[tuple[str, int]]:
        return [
            (e[2]["session"]["id"], e[2]["leadMinutes"])
            for e in await service.events(t)
            if e[0] == "session.reminder_due"
        ]

    await send_due(uows, start - timedelta(hours=25), leads)
    assert await reminders() == []
    await send_due(uows, start - timedelta(hours=23), leads)
    await send_due(uows, start - timedelta(hours=23), leads)  # the loop again: nothing new
    assert await reminders() == [(first["id"], 1440)]
    await send_due(uows, start - timedelta(minutes=30), leads)
    await send_due(uows, start - timedelta(minutes=20), leads)
    assert await reminders() == [(first["id"], 1440), (first["id"], 60)]

    # The second session moves: its 24-hour reminder is due again for the new time.
    second_start = _at(second["startsAt"])
    await send_due(uows, second_start - timedelta(hours=2), leads)
    assert (second["id"], 1440) in await reminders()
    later = second_start + timedelta(hours=1)
    moved = await service.call(
        t,
        "POST",
        f"/sessions/{second['id']}/reschedule",
        json={"startsAt": later.astimezone(UTC).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    await send_due(uows, later - timedelta(hours=2), leads)
    assert (await reminders()).count((second["id"], 1440)) == 2
