"""Sessions' queries: one session, the sessions of a person, program or match in a window
(a list, and the same as pages), a person's calendar connections and an office hours' seats."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from contracts.internal.session_calendars import CalendarConnectionView, RsvpView
from contracts.internal.sessions import SessionView
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from contracts.pages import Items
from pydantic import RootModel
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import SessionStatus
from gateway.graphql.ids import decode_id
from gateway.graphql.relay import DEFAULT_PAGE, Connection, connection, page_size
from gateway.graphql.sessions import endpoints
from gateway.graphql.sessions.types import CalendarConnection, Rsvp, Session, remembered_session

RsvpList = RootModel[list[RsvpView]]  # answered as a bare list
NOTHING = object()
Since = Annotated[
    datetime | None, strawberry.argument(name="from")
]  # a filter naming no id of ours: nothing can match it


def _filters(
    person_id: strawberry.ID | None,
    program_id: strawberry.ID | None,
    match_id: strawberry.ID | None,
    since: datetime | None,
    until: datetime | None,
    status: list[SessionStatus] | None,
) -> dict[str, Any] | object:
    """The service's query for these arguments; NOTHING when an id names nothing."""
    keys: dict[str, Any] = {}
    for name, type_name, given in (
        ("personId", "Person", person_id),
        ("programId", "Program", program_id),
        ("matchId", "Match", match_id),
    ):
        if given is not None:
            key = decode_id(type_name, given)
            if key is None:
                return NOTHING
            keys[name] = key
    return {
        **keys,
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "status": [s.value for s in status] if status else None,
    }


async def _page(
    context: CairnContext, filters: dict[str, Any], first: int | None, after: str | None
) -> Connection[Session]:
    answer = await context.sessions.read(
        ConnectionView[EdgeView[SessionView]],
        endpoints.SESSIONS,
        params={**filters, "first": page_size(first), "after": after},
    )
    if answer is None:
        return Connection.empty()
    return connection(answer, lambda view: remembered_session(context, view))


@strawberry.type
class SessionsQuery:
    @strawberry.field(description="One session of the caller's organization.")
    async def session(self, info: Info[CairnContext, None], id: strawberry.ID) -> Session | None:
        key = decode_id("Session", id)
        found = await info.context.loaders.session_by_id.load(key) if key else None
        return Session.of(found) if found else None

    @strawberry.field(
        description="Sessions starting in [from, to), by start: a person's, a program's or a "
        "match's (filters combine); the first `first` of them (see sessionsPage for more)."
    )
    async def sessions(
        self,
        info: Info[CairnContext, None],
        person_id: strawberry.ID | None = None,
        program_id: strawberry.ID | None = None,
        from_: Since = None,
        to: datetime | None = None,
        match_id: strawberry.ID | None = None,
        status: list[SessionStatus] | None = None,
        first: int | None = DEFAULT_PAGE,
    ) -> list[Session]:
        filters = _filters(person_id, program_id, match_id, from_, to, status)
        if not isinstance(filters, dict):
            return []
        page = await _page(info.context, filters, first, None)
        return [edge.node for edge in page.edges]

    @strawberry.field(description="The sessions of `sessions`, a page at a time.")
    async def sessions_page(
        self,
        info: Info[CairnContext, None],
        person_id: strawberry.ID | None = None,
        program_id: strawberry.ID | None = None,
        from_: Since = None,
        to: datetime | None = None,
        match_id: strawberry.ID | None = None,
        status: list[SessionStatus] | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[Session]:
        filters = _filters(person_id, program_id, match_id, from_, to, status)
        if not isinstance(filters, dict):
            return Connection.empty()
        return await _page(info.context, filters, first, after)

    @strawberry.field(description="The calendars a person connected (never their secrets).")
    async def calendar_connections(
        self, info: Info[CairnContext, None], person_id: strawberry.ID
    ) -> list[CalendarConnection]:
        key = decode_id("Person", person_id)
        if key is None:
            return []
        answer = await info.context.sessions.read(
            Items[CalendarConnectionView], endpoints.CALENDAR_CONNECTIONS, key
        )
        return [CalendarConnection.of(c) for c in (answer.items if answer else [])]

    @strawberry.field(description="Office hours' seats and waitlist, in order.")
    async def rsvps(self, info: Info[CairnContext, None], session_id: strawberry.ID) -> list[Rsvp]:
        key = decode_id("Session", session_id)
        if key is None:
            return []
        answer = await info.context.sessions.read(RsvpList, endpoints.RSVPS, key)
        return [Rsvp.of(r) for r in (answer.root if answer else [])]
