"""What the calendar tests share: people in the roster, connected calendars, sessions (the
database is conftest's `uow`)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.people import PersonSnapshot, PersonStatus
from contracts.sessions import SessionKind, SessionSnapshot, SessionStatus
from messaging.outbox import UnitOfWorkFactory
from runtime.sealing import Sealer, new_key
from sessions.adapters import tables
from sessions.adapters.calendars.model import ProviderName
from sessions.service_layer.calendar_accounts import (
    CalendarAccess,
    CalendarSettings,
    Connection,
    add_connection,
)

START = datetime(2030, 3, 11, 10, tzinfo=UTC)  # a Monday, well ahead


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def calendar_access(**settings: Any) -> CalendarAccess:
    """Access with a fresh sealing key; OAuth client "cairn"/"s3cret" as the test token
    endpoint expects, provider URLs as given."""
    defaults: dict[str, Any] = {
        "google_client_id": "cairn",
        "google_client_secret": "s3cret",
        "microsoft_client_id": "cairn",
        "microsoft_client_secret": "s3cret",
    }
    return CalendarAccess.create(Sealer([new_key()]), CalendarSettings(**(defaults | settings)))


async def add_people(
    uow: UnitOfWorkFactory, tenant_id: str, people: dict[str, str], zone: str = "Europe/London"
) -> None:
    """`people`: id -> email, all in the roster (ACTIVE, in `zone`)."""
    async with uow() as work:
        for person_id, email in people.items():
            await tables.roster.upsert(
                work,
                tenant_id,
                PersonSnapshot(
                    id=person_id,
                    email=email,
                    display_name=person_id.title(),
                    time_zone=zone,
                    status=PersonStatus.ACTIVE,
                    source_version=1,
                    revision=1,
                    updated_at=START,
                ),
            )
        await work.commit()


async def connect(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    tenant_id: str,
    person_id: str,
    provider: ProviderName,
    calendar_id: str,
    credentials: dict[str, Any],
) -> Connection:
    async with uow() as work:
        made = await add_connection(
            work.session, access.sealer, tenant_id, person_id, provider, calendar_id, credentials
        )
        await work.commit()
    return made


def session(
    session_id: str = "",
    *,
    revision: int = 1,
    hour: int = 10,
    host: str = "mentor",
    attendees: tuple[str, ...] = ("mentor", "mentee"),
    kind: SessionKind = SessionKind.ONE_ON_ONE,
    status: SessionStatus = SessionStatus.SCHEDULED,
) -> SessionSnapshot:
    starts = START.replace(hour=hour)
    return SessionSnapshot(
        id=session_id or f"s-{uuid.uuid4().hex[:8]}",
        program_id="p1",
        match_ids=["m1"],
        host_id=host,
        attendee_ids=list(attendees),
        kind=kind,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=status,
        revision=revision,
        updated_at=START,
    )
