"""Internal REST API of office hours: a leader publishes them (an OFFICE_HOURS session with
seats), the program's mentees RSVP (a seat, or a place in line) and take it back (the first
in line moves up); anyone may see who holds a seat and who waits, in order."""

from datetime import timedelta

from contracts.internal.session_calendars import RsvpView
from contracts.internal.sessions import SessionView
from fastapi import APIRouter, Response
from messaging.outbox import utcnow
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from sessions.service_layer import office_hours
from sessions.service_layer.views import session_views

router = APIRouter(prefix="/internal/sessions", tags=["office hours"])


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class OfficeHoursRequest(_Shape):
    program_id: str = Field(min_length=1, max_length=64)
    host_id: str = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime
    duration_minutes: int = Field(ge=15, le=8 * 60)
    capacity: int = Field(ge=1, le=1000)
    title: str | None = Field(default=None, max_length=office_hours.MAX_TITLE)


class RsvpRequest(_Shape):
    person_id: str = Field(min_length=1, max_length=64)


@router.post("/office-hours", status_code=201, response_model=SessionView)
async def publish_office_hours(
    body: OfficeHoursRequest, caller: CallerDep, uow: UowDep
) -> SessionView:
    published = await office_hours.publish(
        uow,
        caller.tenant_id,
        office_hours.Publication(
            program_id=body.program_id,
            host_id=body.host_id,
            starts_at=body.starts_at,
            duration=timedelta(minutes=body.duration_minutes),
            capacity=body.capacity,
            title=body.title,
        ),
        utcnow(),
    )
    return (await session_views(uow, caller.tenant_id, [published]))[0]


@router.post("/sessions/{session_id}/rsvp", response_model=RsvpView)
async def rsvp(session_id: str, body: RsvpRequest, caller: CallerDep, uow: UowDep) -> RsvpView:
    """A seat while there is one, then a place in line (asking again answers the same)."""
    return await office_hours.rsvp(uow, caller.tenant_id, session_id, body.person_id, utcnow())


@router.delete("/sessions/{session_id}/rsvp/{person_id}", status_code=204)
async def cancel_rsvp(session_id: str, person_id: str, caller: CallerDep, uow: UowDep) -> Response:
    """The seat goes to the first in line, or is free again."""
    await office_hours.cancel_rsvp(uow, caller.tenant_id, session_id, person_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/rsvps", response_model=list[RsvpView])
async def rsvps(session_id: str, caller: CallerDep, uow: UowDep) -> list[RsvpView]:
    """Seats first, then the line in order (positions from 1)."""
    return await office_hours.rsvps_of(uow, caller.tenant_id, session_id)
