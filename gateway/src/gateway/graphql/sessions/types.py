"""Sessions, named as in api-sketch.graphql (a contract: add, never rename): sessions with
their curriculum module, agenda, action items, attendance and calendar sync; a person's
working hours; calendar feeds and connections; office-hours seats.

Each type is built from the contract model sessions answered with (`SessionView`, …). The
people, programs and matches they name are loaded through the request's DataLoaders (one call
per field and level); `sessions_of_match` and `sessions_of_person` serve `Match.sessions` and
`Person.sessions`, batched the same way."""

from datetime import date, datetime

import strawberry
from contracts.internal.session_calendars import CalendarConnectionView, RsvpView
from contracts.internal.sessions import AttendanceView, SessionView, SyncView, WorkingHoursView
from contracts.sessions import ActionItemSnapshot
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import (
    AttendanceStatus,
    CalendarProvider,
    CalendarSync,
    ConnectionState,
    RsvpStatus,
    SessionKind,
    SessionStatus,
)
from gateway.graphql.ids import encode_id
from gateway.graphql.matching.types import Match
from gateway.graphql.people.types import Person, people_of, person_of
from gateway.graphql.programs.types import CurriculumModule, Program, program_of
from gateway.graphql.relay import page_size

# --- what sessions name: people, programs, matches --------------------------------------------


async def _person(
    root: "ActionItem | Attendance | SessionSync | CalendarConnection | Rsvp",
    info: Info[CairnContext, None],
) -> Person:
    return await person_of(info.context, root.person_id)


@strawberry.type
class ActionItem:
    view: strawberry.Private[ActionItemSnapshot]
    person_id: strawberry.Private[str]
    id: strawberry.ID
    owner: Person = strawberry.field(resolver=_person)
    text: str
    due_on: date | None
    done: bool
    done_at: datetime | None

    @classmethod
    def of(cls, view: ActionItemSnapshot) -> "ActionItem":
        return cls(
            view=view,
            person_id=view.owner_id,
            id=strawberry.ID(encode_id("ActionItem", view.id)),
            text=view.text,
            due_on=view.due_on,
            done=view.done,
            done_at=view.done_at,
        )

    @strawberry.field(description="The session it was agreed in")
    async def session(self, info: Info[CairnContext, None]) -> "Session | None":
        found = await info.context.loaders.session_by_id.load(self.view.session_id)
        return Session.of(found) if found else None


@strawberry.type(description="Whether one attendee came")
class Attendance:
    person_id: strawberry.Private[str]
    person: Person = strawberry.field(resolver=_person)
    status: AttendanceStatus | None = strawberry.field(description="Null: not recorded")

    @classmethod
    def of(cls, view: AttendanceView) -> "Attendance":
        return cls(person_id=view.person_id, status=view.status)


@strawberry.type(description="Where the session stands in one attendee's connected calendar")
class SessionSync:
    person_id: strawberry.Private[str]
    person: Person = strawberry.field(resolver=_person)
    provider: str
    state: CalendarSync
    error: str | None = strawberry.field(description="FAILED (or retrying): what went wrong")

    @classmethod
    def of(cls, view: SyncView) -> "SessionSync":
        return cls(
            person_id=view.person_id, provider=view.provider, state=view.state, error=view.error
        )


def _items(items: list[ActionItemSnapshot]) -> list[ActionItem]:
    return [ActionItem.of(item) for item in items]


async def _program(root: "Session", info: Info[CairnContext, None]) -> Program:
    return await program_of(info.context, root.view.program_id)


async def _host(root: "Session", info: Info[CairnContext, None]) -> Person:
    return await person_of(info.context, root.view.host_id)


async def _attendees(root: "Session", info: Info[CairnContext, None]) -> list[Person]:
    return await people_of(info.context, root.view.attendee_ids)


async def _matches(root: "Session", info: Info[CairnContext, None]) -> list[Match]:
    found = await info.context.loaders.match_by_id.load_many(root.view.match_ids)
    return [Match.of(m) for m in found if m is not None]


async def _match(root: "Session", info: Info[CairnContext, None]) -> Match | None:
    matches = await _matches(root, info)
    return matches[0] if matches else None


async def _module(root: "Session", info: Info[CairnContext, None]) -> CurriculumModule | None:
    """The module as sessions planned it; its action item templates from the program's
    curriculum while that still holds the same module at the same place."""
    module = root.view.module
    if module is None:
        return None
    program = await info.context.loaders.program_by_id.load(root.view.program_id)
    modules = program.curriculum.modules if program else []
    same = modules[module.index] if 0 <= module.index < len(modules) else None
    templates = same.action_item_templates if same and same.title == module.title else []
    return CurriculumModule(
        title=module.title,
        discussion_guide=module.discussion_guide,
        pre_work=list(module.pre_work),
        action_item_templates=list(templates),
    )


@strawberry.type
class Session:
    view: strawberry.Private[SessionView]
    id: strawberry.ID
    match: Match | None = strawberry.field(
        resolver=_match, description="The match it serves (a circle's: its first member's)"
    )
    matches: list[Match] = strawberry.field(
        resolver=_matches, description="Every match it serves: one for a pair, each for a circle"
    )
    program: Program = strawberry.field(resolver=_program)
    host: Person = strawberry.field(resolver=_host, description="The mentor, or the leader")
    attendees: list[Person] = strawberry.field(
        resolver=_attendees, description="Everyone invited, the host included"
    )
    kind: SessionKind
    starts_at: datetime = strawberry.field(
        description="UNSCHEDULED: the time the cadence asked for"
    )
    ends_at: datetime
    status: SessionStatus
    unscheduled_reason: str | None = strawberry.field(
        description="UNSCHEDULED: why no slot fits everyone (hours, busy, unknown free/busy)"
    )
    sequence: int = strawberry.field(description="Its place in its series, from 0")
    final: bool = strawberry.field(description="The last session the plan holds for its matches")
    capacity: int | None = strawberry.field(description="OFFICE_HOURS: seats")
    module: CurriculumModule | None = strawberry.field(
        resolver=_module, description="The curriculum module it covers"
    )
    module_index: int | None = strawberry.field(
        description="The module's place in the program's curriculum, from 0"
    )
    agenda: list[ActionItem] = strawberry.field(
        description="Open action items carried from earlier sessions of its matches"
    )
    action_items: list[ActionItem] = strawberry.field(
        description="The action items agreed in this session"
    )
    attendance: list[Attendance]
    sync_states: list[SessionSync] = strawberry.field(
        description="Per attendee with a connected calendar: SYNCED, PENDING or FAILED"
    )
    held_at: datetime | None = strawberry.field(description="COMPLETED: when it was held")
    cancelled_reason: str | None
    calendar_event_ids: JSON | None = strawberry.field(
        description="Not exposed: a provider's event ids stay inside Cairn; see syncStates"
    )

    @classmethod
    def of(cls, view: SessionView) -> "Session":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("Session", view.id)),
            kind=view.kind,
            starts_at=view.starts_at,
            ends_at=view.ends_at,
            status=view.status,
            unscheduled_reason=view.unscheduled_reason,
            sequence=view.sequence,
            final=view.final,
            capacity=view.capacity,
            module_index=view.module.index if view.module else None,
            agenda=_items(view.agenda),
            action_items=_items(view.action_items),
            attendance=[Attendance.of(a) for a in view.attendance],
            sync_states=[SessionSync.of(s) for s in view.sync],
            held_at=view.held_at,
            cancelled_reason=view.cancelled_reason,
            calendar_event_ids=None,
        )


def remembered_session(context: CairnContext, view: SessionView) -> Session:
    """A session an answer carried, kept for the request's later loads."""
    return Session.of(context.loaders.remember_session(view))


async def sessions_of_match(context: CairnContext, match_id: str) -> list[Session]:
    """For `Match.sessions` (`match_id` is matching's id): its series in order, batched
    across the request."""
    return [Session.of(s) for s in await context.loaders.sessions_of_match.load(match_id)]


async def sessions_of_person(
    context: CairnContext,
    person_id: str,
    since: datetime | None,
    until: datetime | None,
    first: int | None,
) -> list[Session]:
    """For `Person.sessions` (`person_id` is profiles' id): those starting in [since, until),
    by start, the first `first`; batched across the request (one call per window)."""
    size = page_size(first)
    found = await context.loaders.sessions_of_person.load((person_id, (_iso(since), _iso(until))))
    return [Session.of(s) for s in found[:size]]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- working hours, calendars, seats ---------------------------------------------------------


@strawberry.type
class WorkingDay:
    weekday: int = strawberry.field(description="Monday is 0, Sunday 6")
    start: str = strawberry.field(description="Local time, HH:MM")
    end: str = strawberry.field(description="Local time, HH:MM")


@strawberry.type(description="When a person may be booked; sessions are planned inside")
class WorkingHours:
    time_zone: str = strawberry.field(description="IANA: the person's own unless set here")
    days: list[WorkingDay] = strawberry.field(description="A weekday not listed is a day off")
    customized: bool = strawberry.field(
        description="False: the default, Monday to Friday 09:00 to 17:00 local"
    )

    @classmethod
    def of(cls, view: WorkingHoursView) -> "WorkingHours":
        return cls(
            time_zone=view.time_zone,
            days=[WorkingDay(weekday=d.weekday, start=d.start, end=d.end) for d in view.days],
            customized=view.customized,
        )


async def working_hours_of(context: CairnContext, person_id: str) -> WorkingHours | None:
    """For `Person.workingHours`: a level's people asked for together."""
    found = await context.loaders.working_hours_of_person.load(person_id)
    return WorkingHours.of(found) if found else None


@strawberry.type(description="A person's private calendar feed (ICS), to subscribe to")
class CalendarFeed:
    url: str = strawberry.field(
        description="Shown once: keep it secret; issuing again rotates it (the old one stops)"
    )


@strawberry.type(description="A calendar Cairn books into and reads free/busy from")
class CalendarConnection:
    person_id: strawberry.Private[str]
    id: strawberry.ID
    person: Person = strawberry.field(resolver=_person)
    provider: CalendarProvider
    state: ConnectionState
    last_error: str | None
    connected_at: datetime

    @classmethod
    def of(cls, view: CalendarConnectionView) -> "CalendarConnection":
        return cls(
            person_id=view.person_id,
            id=strawberry.ID(encode_id("CalendarConnection", view.id)),
            provider=view.provider,
            state=view.state,
            last_error=view.last_error,
            connected_at=view.connected_at,
        )


@strawberry.type(description="A person's seat (or place in line) at office hours")
class Rsvp:
    person_id: strawberry.Private[str]
    person: Person = strawberry.field(resolver=_person)
    status: RsvpStatus
    position: int | None = strawberry.field(description="WAITLISTED: place in line, from 1")

    @classmethod
    def of(cls, view: RsvpView) -> "Rsvp":
        return cls(person_id=view.person_id, status=view.status, position=view.position)
