"""Steps the provider delivery tests share: pushing a session for the mentee, reading its
sync state, a connected OAuth calendar."""

from datetime import UTC, datetime
from typing import Any

from contracts.sessions import SessionSnapshot
from messaging.outbox import UnitOfWorkFactory
from sessions.adapters.calendars.model import ProviderName
from sessions.service_layer.calendar_accounts import CalendarAccess, Connection
from sessions.service_layer.calendar_sync import SyncRow, enqueue_pushes, sync_states

from services.sessions.tests.calendar_world import connect

PEOPLE = {"mentor": "ada@example.com", "mentee": "lin@example.com"}
FAR = datetime(2099, 1, 1, tzinfo=UTC)


async def push(
    uow: UnitOfWorkFactory, tenant: str, snapshot: SessionSnapshot, cancel: bool = False
) -> None:
    async with uow() as work:
        await enqueue_pushes(work.session, tenant, snapshot, ["mentor", "mentee"], cancel=cancel)
        await work.commit()


async def state(uow: UnitOfWorkFactory, tenant: str, session_id: str) -> list[SyncRow]:
    async with uow() as work:
        return (await sync_states(work.session, tenant, [session_id]))[session_id]


async def connect_oauth(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    tenant: str,
    provider: ProviderName,
    calendar_id: str,
    access_token: str = "access-0",  # noqa: S107 (the test token endpoint's)
    expires_at: datetime = FAR,
    person_id: str = "mentee",
) -> Connection:
    tokens: dict[str, Any] = {
        "access_token": access_token,
        "refresh_token": "refresh-1",
        "expires_at": expires_at.isoformat(),
    }
    return await connect(uow, access, tenant, person_id, provider, calendar_id, tokens)
