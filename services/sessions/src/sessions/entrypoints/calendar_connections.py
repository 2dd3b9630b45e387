"""Internal REST API of people's connected calendars (CalDAV, Google, Microsoft): connect one
(its credentials sealed at once, never shown again), list them, disconnect one. A calendar
connected gets the person's sessions ahead pushed to it, in the same transaction."""

from datetime import datetime
from typing import Annotated

from contracts.internal.session_calendars import CalendarConnectionView
from contracts.internal.session_calendars import CalendarProvider as ProviderChoice
from contracts.pages import Items
from contracts.problems import Code
from contracts.sessions import SessionStatus
from fastapi import APIRouter, Depends, Request, Response
from messaging.outbox import UnitOfWork, utcnow
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from runtime.refusals import Refused, not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep
from sqlalchemy import select

from sessions.adapters.calendars.model import ProviderName
from sessions.adapters.sessions import Sessions
from sessions.adapters.tables import roster
from sessions.service_layer.calendar_accounts import (
    CalendarAccess,
    ConnectionAsked,
    add_connection,
    connections_of,
    remove_connection,
)
from sessions.service_layer.calendar_sync import enqueue_pushes

router = APIRouter(prefix="/internal/sessions", tags=["calendars"])


def _access(request: Request) -> CalendarAccess:
    found: CalendarAccess = request.app.state.calendars
    return found


AccessDep = Annotated[CalendarAccess, Depends(_access)]


class ConnectRequest(BaseModel):
    """camelCase JSON; which fields a provider takes is checked by `ConnectionAsked`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    provider: ProviderChoice
    url: str | None = Field(default=None, max_length=1000, description="CALDAV: the collection")
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=500)
    access_token: str | None = Field(default=None, max_length=8000)
    refresh_token: str | None = Field(default=None, max_length=8000)
    expires_at: AwareDatetime | None = None
    calendar_id: str | None = Field(
        default=None, max_length=1000, description="GOOGLE: default primary; MICROSOFT: me"
    )


@router.post(
    "/people/{person_id}/calendar-connections",
    status_code=201,
    response_model=CalendarConnectionView,
)
async def connect_calendar(
    person_id: str, body: ConnectRequest, caller: CallerDep, uow: UowDep, access: AccessDep
) -> CalendarConnectionView:
    tenant = caller.tenant_id
    asked = ConnectionAsked(
        provider=ProviderName(body.provider.value),
        **body.model_dump(exclude={"provider"}),
    )
    calendar_id, credentials = asked.checked()
    known = await uow.session.execute(
        select(roster.table.c.person_id).where(
            roster.table.c.tenant_id == tenant, roster.table.c.person_id == person_id
        )
    )
    if known.first() is None:
        raise not_found("person")
    mine = await connections_of(uow.session, tenant, [person_id])
    if any(c.provider is asked.provider for c in mine):
        raise Refused(
            Code.CONFLICT, "provider", f"{asked.provider} is connected already: disconnect it first"
        )
    made = await add_connection(
        uow.session, access.sealer, tenant, person_id, asked.provider, calendar_id, credentials
    )
    await _push_ahead(uow, tenant, person_id, utcnow())
    return made.view()


async def _push_ahead(uow: UnitOfWork, tenant_id: str, person_id: str, now: datetime) -> None:
    """The person's booked sessions still to come, into the calendar just connected."""
    for s in await Sessions(uow.session, tenant_id).ahead(now, person_id=person_id):
        if s.status is SessionStatus.SCHEDULED:
            await enqueue_pushes(uow.session, tenant_id, s.snapshot(), [person_id], cancel=False)


@router.get(
    "/people/{person_id}/calendar-connections",
    response_model=Items[CalendarConnectionView],
)
async def calendar_connections(
    person_id: str, caller: CallerDep, uow: UowDep
) -> Items[CalendarConnectionView]:
    found = await connections_of(uow.session, caller.tenant_id, [person_id])
    return Items[CalendarConnectionView](items=[c.view() for c in found])


@router.delete("/calendar-connections/{connection_id}", status_code=204)
async def disconnect_calendar(connection_id: str, caller: CallerDep, uow: UowDep) -> Response:
    """Sessions are no longer written there; events already there stay the person's."""
    if not await remove_connection(uow.session, caller.tenant_id, connection_id):
        raise not_found("calendar connection")
    return Response(status_code=204)
