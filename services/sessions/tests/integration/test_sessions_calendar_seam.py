"""The seam S1 calls: pushes written in the caller's transaction (or not at all), free/busy
for people without a connected calendar, sync states per session."""

import uuid
from datetime import UTC, datetime, timedelta

from contracts.sessions import SessionSnapshot, SessionStatus
from messaging.outbox import UnitOfWorkFactory
from sessions.domain.intervals import Interval
from sessions.domain.slots import Busy
from sessions.service_layer.calendar_sync import busy_for, enqueue_pushes, sync_states

WINDOW = Interval(datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 14, tzinfo=UTC))


def snapshot(session_id: str, revision: int = 1) -> SessionSnapshot:
    start = datetime(2026, 3, 10, 10, tzinfo=UTC)
    return SessionSnapshot(
        id=session_id,
        program_id="p1",
        match_ids=["m1"],
        host_id="mentor",
        attendee_ids=["mentor", "mentee"],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=SessionStatus.SCHEDULED,
        revision=revision,
        updated_at=start,
    )


async def test_people_without_a_connected_calendar_are_free_and_nothing_is_pushed(
    uow: UnitOfWorkFactory,
) -> None:
    tenant, session_id = f"t-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    async with uow() as work:
        await enqueue_pushes(
            work.session, tenant, snapshot(session_id), ["mentor", "mentee"], cancel=False
        )
        busy = await busy_for(work.session, tenant, ["mentor", "mentee"], WINDOW)
        states = await sync_states(work.session, tenant, [session_id, "other"])
        await work.commit()
    assert busy == {"mentor": Busy(()), "mentee": Busy(())}
    assert states == {session_id: [], "other": []}
