"""Internal REST API of a person's settings in sessions: working hours, and the calendar
feed's token (issued or rotated, revoked); plus the feed itself, found by its token alone."""

from contracts.internal.sessions import CalendarFeedView, WorkingHoursView
from fastapi import APIRouter, Response
from messaging.outbox import utcnow
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from sessions.entrypoints.dependencies import SessionsDep
from sessions.entrypoints.schemas import WorkingHoursRequest
from sessions.service_layer import feeds
from sessions.service_layer.working_hours import Window, hours_of, set_hours

router = APIRouter(prefix="/internal/sessions", tags=["sessions"])

CALENDAR = "text/calendar; charset=utf-8"


@router.get("/people/{person_id}/working-hours", response_model=WorkingHoursView)
async def working_hours(person_id: str, caller: CallerDep, uow: UowDep) -> WorkingHoursView:
    return await hours_of(uow, caller.tenant_id, person_id)


@router.put("/people/{person_id}/working-hours", response_model=WorkingHoursView)
async def set_working_hours(
    person_id: str,
    body: WorkingHoursRequest,
    caller: CallerDep,
    uow: UowDep,
    service: SessionsDep,
) -> WorkingHoursView:
    """Replaces the hours (weekdays not given are days off); the person's sessions ahead are
    re-checked and moved where they no longer fit."""
    return await set_hours(
        uow,
        caller.tenant_id,
        person_id,
        body.time_zone,
        [Window(d.weekday, d.start, d.end) for d in body.days],
        utcnow(),
        service.rules,
    )


@router.post("/people/{person_id}/calendar-feed", response_model=CalendarFeedView)
async def issue_calendar_feed(person_id: str, caller: CallerDep, uow: UowDep) -> CalendarFeedView:
    """A new feed token (shown this once); the one before stops working."""
    return await feeds.issue(uow, caller.tenant_id, person_id, utcnow())


@router.delete("/people/{person_id}/calendar-feed", status_code=204)
async def revoke_calendar_feed(person_id: str, caller: CallerDep, uow: UowDep) -> Response:
    await feeds.revoke(uow, caller.tenant_id, person_id)
    return Response(status_code=204)


@router.get("/calendar-feeds/{token}.ics", response_class=Response)
async def calendar_feed(token: str, _: CallerDep, uow: UowDep) -> Response:
    """The feed of whoever the token belongs to; the token alone names tenant and person
    (the caller's tenant is not used: the gateway's public route knows none). Unknown,
    revoked and malformed tokens are the same 404."""
    body = await feeds.feed(uow.session, token)
    return Response(content=body, media_type=CALENDAR, headers={"Cache-Control": "no-store"})
