"""Internal REST API of sessions: lists and batches of sessions (for the gateway's
DataLoaders), one session, booking, moving, cancelling and recording one, and its action
items. Scoped to the caller's tenant; a refusal is answered as problem+json naming the field
(the runtime's handler), and its transaction is never committed."""

from datetime import datetime
from typing import Annotated

from contracts.internal.sessions import MatchSessions, PersonSessions, SessionView
from contracts.pages import DEFAULT_PAGE, Connection, Edge, Items
from contracts.sessions import ActionItemSnapshot, SessionStatus
from fastapi import APIRouter, Query
from messaging.outbox import utcnow
from pydantic import AwareDatetime
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.refusals import invalid
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from sessions.adapters.sessions import SessionFilter, Sessions
from sessions.domain.lifecycle import Actor
from sessions.entrypoints.dependencies import SessionsDep
from sessions.entrypoints.schemas import (
    Acting,
    ActionItemRequest,
    BookRequest,
    CancelRequest,
    CompleteRequest,
    NoShowRequest,
    RescheduleRequest,
    SessionsByIds,
    SessionsByMatches,
    SessionsByPeople,
)
from sessions.service_layer import action_items, scheduling
from sessions.service_layer.scheduling import Booking
from sessions.service_layer.views import session_views

router = APIRouter(prefix="/internal/sessions", tags=["sessions"])

IdQuery = Annotated[str | None, Query(max_length=64)]
MomentQuery = Annotated[AwareDatetime | None, Query()]


def _statuses(status: list[str] | None) -> list[SessionStatus]:
    known = {s.value: s for s in SessionStatus}
    unknown = [s for s in status or [] if s not in known]
    if unknown:
        raise invalid("status", f"unknown status {unknown[0]}; one of {', '.join(known)}")
    return [known[s] for s in status or []]


@router.get("/sessions", response_model=Connection[Edge[SessionView]])
async def sessions(
    caller: CallerDep,
    uow: UowDep,
    person_id: Annotated[str | None, Query(alias="personId", max_length=64)] = None,
    program_id: Annotated[str | None, Query(alias="programId", max_length=64)] = None,
    match_id: Annotated[str | None, Query(alias="matchId", max_length=64)] = None,
    starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    status: Annotated[list[str] | None, Query()] = None,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> Connection[Edge[SessionView]]:
    """Sessions by start, then id; `from` inclusive, `to` exclusive (of the start)."""
    if starts_from is not None and starts_before is not None and starts_before <= starts_from:
        raise invalid("to", "ends before it starts: give `to` after `from`")
    key = decode_cursor(after, datetime, str) if after else None
    page = await Sessions(uow.session, caller.tenant_id).page(
        SessionFilter(
            person_id=person_id,
            program_id=program_id,
            match_id=match_id,
            starts_from=starts_from,
            starts_before=starts_before,
            statuses=_statuses(status),
        ),
        first,
        (key[0], key[1]) if key else None,
    )
    views = await session_views(uow, caller.tenant_id, page.items)
    return Connection[Edge[SessionView]](
        edges=[Edge[SessionView](node=v, cursor=encode_cursor(v.starts_at, v.id)) for v in views],
        has_next_page=page.has_more,
        total_count=page.total_count,
    )


@router.get("/sessions/{session_id}", response_model=SessionView)
async def session(session_id: str, caller: CallerDep, uow: UowDep) -> SessionView:
    found = await scheduling.session_or_404(uow, caller.tenant_id, session_id)
    return (await session_views(uow, caller.tenant_id, [found]))[0]


@router.post("/sessions/batch", response_model=Items[SessionView])
async def sessions_by_ids(
    body: SessionsByIds, caller: CallerDep, uow: UowDep
) -> Items[SessionView]:
    """The sessions found among `ids` (unknown ones left out), in the order asked."""
    found = await Sessions(uow.session, caller.tenant_id).of_ids(body.ids)
    return Items[SessionView](items=await session_views(uow, caller.tenant_id, found))


@router.post("/matches/sessions/batch", response_model=Items[MatchSessions])
async def sessions_by_matches(
    body: SessionsByMatches, caller: CallerDep, uow: UowDep
) -> Items[MatchSessions]:
    """Each match's series in order (an unknown match: an empty list)."""
    found = await Sessions(uow.session, caller.tenant_id).of_matches(body.match_ids)
    views = {
        v.id: v
        for v in await session_views(
            uow, caller.tenant_id, list({s.id: s for ss in found.values() for s in ss}.values())
        )
    }
    return Items[MatchSessions](
        items=[
            MatchSessions(match_id=m, items=[views[s.id] for s in series])
            for m, series in found.items()
        ]
    )


@router.post("/people/sessions/batch", response_model=Items[PersonSessions])
async def sessions_by_people(
    body: SessionsByPeople, caller: CallerDep, uow: UowDep
) -> Items[PersonSessions]:
    """Each person's sessions starting in [from, to), by start."""
    if body.starts_from and body.starts_before and body.starts_before <= body.starts_from:
        raise invalid("to", "ends before it starts: give `to` after `from`")
    found = await Sessions(uow.session, caller.tenant_id).of_people(
        body.person_ids, body.starts_from, body.starts_before
    )
    views = {
        v.id: v
        for v in await session_views(
            uow, caller.tenant_id, list({s.id: s for ss in found.values() for s in ss}.values())
        )
    }
    return Items[PersonSessions](
        items=[
            PersonSessions(person_id=p, items=[views[s.id] for s in ss]) for p, ss in found.items()
        ]
    )


@router.post("/sessions", status_code=201, response_model=SessionView)
async def book(
    body: BookRequest, caller: CallerDep, uow: UowDep, service: SessionsDep
) -> SessionView:
    """Books a session for the match: at `startsAt` (checked against everyone's hours,
    calendars, the notice and the clock) or, without it, at the next slot that fits."""
    booked = await scheduling.book(
        uow,
        caller.tenant_id,
        Booking(body.match_id, body.starts_at, body.duration_minutes),
        Actor.named(body.actor_id),
        utcnow(),
        service.rules,
    )
    return (await session_views(uow, caller.tenant_id, [booked]))[0]


@router.post("/sessions/{session_id}/reschedule", response_model=SessionView)
async def reschedule(
    session_id: str, body: RescheduleRequest, caller: CallerDep, uow: UowDep, service: SessionsDep
) -> SessionView:
    moved = await scheduling.reschedule(
        uow,
        caller.tenant_id,
        session_id,
        body.starts_at,
        body.scope,
        Actor.named(body.actor_id),
        utcnow(),
        service.rules,
    )
    return (await session_views(uow, caller.tenant_id, [moved]))[0]


@router.post("/sessions/{session_id}/cancel", response_model=SessionView)
async def cancel(
    session_id: str, body: CancelRequest, caller: CallerDep, uow: UowDep
) -> SessionView:
    done = await scheduling.cancel(
        uow, caller.tenant_id, session_id, body.reason, Actor.named(body.actor_id), utcnow()
    )
    return (await session_views(uow, caller.tenant_id, [done]))[0]


@router.post("/sessions/{session_id}/complete", response_model=SessionView)
async def complete(
    session_id: str, body: CompleteRequest, caller: CallerDep, uow: UowDep
) -> SessionView:
    done = await scheduling.complete(
        uow,
        caller.tenant_id,
        session_id,
        Actor.named(body.actor_id),
        utcnow(),
        body.held_at,
        body.attendance,
    )
    return (await session_views(uow, caller.tenant_id, [done]))[0]


@router.post("/sessions/{session_id}/no-show", response_model=SessionView)
async def no_show(
    session_id: str, body: NoShowRequest, caller: CallerDep, uow: UowDep
) -> SessionView:
    done = await scheduling.no_show(
        uow, caller.tenant_id, session_id, body.absent_ids, Actor.named(body.actor_id), utcnow()
    )
    return (await session_views(uow, caller.tenant_id, [done]))[0]


@router.post(
    "/sessions/{session_id}/action-items", status_code=201, response_model=ActionItemSnapshot
)
async def add_action_item(
    session_id: str, body: ActionItemRequest, caller: CallerDep, uow: UowDep
) -> ActionItemSnapshot:
    return await action_items.add(
        uow,
        caller.tenant_id,
        session_id,
        body.owner_id,
        body.text,
        body.due_on,
        Actor.named(body.actor_id),
        utcnow(),
    )


@router.post("/action-items/{item_id}/complete", response_model=ActionItemSnapshot)
async def complete_action_item(
    item_id: str, caller: CallerDep, uow: UowDep, body: Acting | None = None
) -> ActionItemSnapshot:
    """Done (again: unchanged); the body, if any, names the attendee acting."""
    actor = Actor.named(body.actor_id if body is not None else None)
    return await action_items.complete(uow, caller.tenant_id, item_id, actor, utcnow())
