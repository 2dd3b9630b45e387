"""Sessions' changes: booking, moving, cancelling, completing and marking no-shows; action
items; office hours and their seats. Resolvers compose the sessions service's internal API;
every rule lives there. A mutation answers what the caller can fix as userErrors (fields
under `input`) and then has changed nothing."""

from datetime import date, datetime
from typing import Any

import strawberry
from contracts.internal.session_calendars import RsvpView
from contracts.internal.sessions import SessionView
from contracts.problems import Problem
from contracts.sessions import ActionItemSnapshot
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import AttendanceStatus, RescheduleScope
from gateway.graphql.ids import decode_id
from gateway.graphql.sessions import endpoints
from gateway.graphql.sessions.queries import RsvpList
from gateway.graphql.sessions.types import ActionItem, Rsvp, Session, remembered_session
from gateway.graphql.user_errors import UserError, from_problem, not_found

ACTING = "The participant acting (an integrator key names them); null: an admin, for the tenant"


@strawberry.input
class ScheduleSessionInput:
    match_id: strawberry.ID
    starts_at: datetime | None = strawberry.field(
        default=None,
        description="Checked against everyone's working hours, calendars and the notice; "
        "null: the next slot that fits everyone",
    )
    duration_minutes: int | None = strawberry.field(
        default=None, description="Null: the program's session length"
    )
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input(description="One attendee's attendance, for completeSession")
class AttendanceInput:
    person_id: strawberry.ID
    status: AttendanceStatus


@strawberry.input
class SessionRefInput:
    session_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="cancelSession: why")
    held_at: datetime | None = strawberry.field(
        default=None, description="completeSession: when it was held (null: its start)"
    )
    attendance: list[AttendanceInput] | None = strawberry.field(
        default=None, description="completeSession: who came (null: everyone)"
    )
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input
class RescheduleSessionInput:
    session_id: strawberry.ID
    starts_at: datetime
    scope: RescheduleScope = strawberry.field(
        default=RescheduleScope.THIS,
        description="THIS occurrence, or it and the FOLLOWING ones of its series (kept in rhythm)",
    )
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input
class MarkNoShowInput:
    session_id: strawberry.ID
    absent_ids: list[strawberry.ID] = strawberry.field(description="Who did not come")
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input
class AddActionItemInput:
    session_id: strawberry.ID
    owner_id: strawberry.ID
    text: str
    due_on: date | None = None
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input
class CompleteActionItemInput:
    action_item_id: strawberry.ID
    person_id: strawberry.ID | None = strawberry.field(default=None, description=ACTING)


@strawberry.input
class PublishOfficeHoursInput:
    program_id: strawberry.ID
    host_id: strawberry.ID
    starts_at: datetime
    duration_minutes: int
    capacity: int = strawberry.field(description="Seats; then a first-come waitlist")
    title: str | None = None


@strawberry.input(description="A person's seat at office hours (rsvpSession, cancelRsvp)")
class RsvpInput:
    session_id: strawberry.ID
    person_id: strawberry.ID


@strawberry.type
class SessionPayload:
    session: Session | None
    user_errors: list[UserError]


@strawberry.type
class ActionItemPayload:
    action_item: ActionItem | None
    user_errors: list[UserError]


@strawberry.type
class RsvpPayload:
    rsvp: Rsvp | None
    user_errors: list[UserError]


@strawberry.type
class RsvpsPayload:
    rsvps: list[Rsvp] | None = strawberry.field(
        description="The seats and the waitlist after the change, in order"
    )
    user_errors: list[UserError]


class _Missing(Exception):
    """An input id that names nothing of ours: the mutation answers NOT_FOUND on it."""

    def __init__(self, what: str, field: str) -> None:
        self.errors = not_found(what, field)


def _key(type_name: str, given: strawberry.ID, field: str) -> str:
    key = decode_id(type_name, given)
    if key is None:
        raise _Missing(type_name[0].lower() + type_name[1:], field)
    return key


def _session_payload(context: CairnContext, answer: SessionView | Problem | None) -> SessionPayload:
    if isinstance(answer, Problem):
        return SessionPayload(session=None, user_errors=from_problem(answer))
    if answer is None:
        return SessionPayload(session=None, user_errors=not_found("session", "sessionId"))
    return SessionPayload(session=remembered_session(context, answer), user_errors=[])


def _item_payload(answer: ActionItemSnapshot | Problem | None, missing: str) -> ActionItemPayload:
    if isinstance(answer, Problem):
        return ActionItemPayload(action_item=None, user_errors=from_problem(answer))
    if answer is None:
        what = "session" if missing == "sessionId" else "action item"
        return ActionItemPayload(action_item=None, user_errors=not_found(what, missing))
    return ActionItemPayload(action_item=ActionItem.of(answer), user_errors=[])


def _actor(person_id: strawberry.ID | None) -> dict[str, str]:
    """The acting participant as the service names them (`actorId`); none: an admin."""
    return {} if person_id is None else {"actorId": _key("Person", person_id, "personId")}


async def _act(
    context: CairnContext,
    session_id: strawberry.ID,
    person_id: strawberry.ID | None,
    action: str,
    body: dict[str, Any],
) -> SessionPayload:
    try:
        key = _key("Session", session_id, "sessionId")
        actor = _actor(person_id)
    except _Missing as missing:
        return SessionPayload(session=None, user_errors=missing.errors)
    answer = await context.sessions.change(
        SessionView, "POST", endpoints.SESSION_ACTION, key, action, json={**body, **actor}
    )
    return _session_payload(context, answer)


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment else None


@strawberry.type
class SessionsMutation:
    @strawberry.mutation(
        description="Books a session of the match: at startsAt (checked against everyone's "
        "working hours, calendars, the notice and the past), or the next slot that fits."
    )
    async def schedule_session(
        self, info: Info[CairnContext, None], input: ScheduleSessionInput
    ) -> SessionPayload:
        try:
            key = _key("Match", input.match_id, "matchId")
            actor = _actor(input.person_id)
        except _Missing as missing:
            return SessionPayload(session=None, user_errors=missing.errors)
        body = {
            "matchId": key,
            "startsAt": _iso(input.starts_at),
            "durationMinutes": input.duration_minutes,
            **actor,
        }
        answer = await info.context.sessions.change(
            SessionView,
            "POST",
            endpoints.SESSIONS,
            json={k: v for k, v in body.items() if v is not None},
        )
        if answer is None:
            return SessionPayload(session=None, user_errors=not_found("match", "matchId"))
        return _session_payload(info.context, answer)

    @strawberry.mutation(
        description="Moves a session (or it and the rest of its series), checked like "
        "scheduleSession; attendees' calendars get the update."
    )
    async def reschedule_session(
        self, info: Info[CairnContext, None], input: RescheduleSessionInput
    ) -> SessionPayload:
        body = {"startsAt": input.starts_at.isoformat(), "scope": input.scope.value}
        return await _act(info.context, input.session_id, input.person_id, "reschedule", body)

    @strawberry.mutation(description="Cancels a session, in Cairn and in every calendar.")
    async def cancel_session(
        self, info: Info[CairnContext, None], input: SessionRefInput
    ) -> SessionPayload:
        body = {"reason": input.reason} if input.reason else {}
        return await _act(info.context, input.session_id, input.person_id, "cancel", body)

    @strawberry.mutation(
        description="Records a session as held (at any time once booked: people meet early), "
        "with who came; the match's final session completes the match."
    )
    async def complete_session(
        self, info: Info[CairnContext, None], input: SessionRefInput
    ) -> SessionPayload:
        body: dict[str, Any] = {}
        if input.held_at is not None:
            body["heldAt"] = input.held_at.isoformat()
        if input.attendance is not None:
            attendance: dict[str, str] = {}
            for n, entry in enumerate(input.attendance):
                person = decode_id("Person", entry.person_id)
                if person is None:
                    return SessionPayload(
                        session=None,
                        user_errors=not_found("person", f"attendance.{n}.personId"),
                    )
                attendance[person] = entry.status.value
            body["attendance"] = attendance
        return await _act(info.context, input.session_id, input.person_id, "complete", body)

    @strawberry.mutation(description="Records that a session's time passed without it.")
    async def mark_no_show(
        self, info: Info[CairnContext, None], input: MarkNoShowInput
    ) -> SessionPayload:
        absent: list[str] = []
        for n, given in enumerate(input.absent_ids):
            person = decode_id("Person", given)
            if person is None:
                return SessionPayload(
                    session=None, user_errors=not_found("person", f"absentIds.{n}")
                )
            absent.append(person)
        body = {"absentIds": absent}
        return await _act(info.context, input.session_id, input.person_id, "no-show", body)

    @strawberry.mutation(
        description="An action item agreed in a session; open ones appear on the agenda of "
        "the match's next session."
    )
    async def add_action_item(
        self, info: Info[CairnContext, None], input: AddActionItemInput
    ) -> ActionItemPayload:
        try:
            session = _key("Session", input.session_id, "sessionId")
            owner = _key("Person", input.owner_id, "ownerId")
            actor = _actor(input.person_id)
        except _Missing as missing:
            return ActionItemPayload(action_item=None, user_errors=missing.errors)
        body = {"ownerId": owner, "text": input.text, "dueOn": _iso(input.due_on), **actor}
        answer = await info.context.sessions.change(
            ActionItemSnapshot, "POST", endpoints.SESSION_ACTION_ITEMS, session, json=body
        )
        return _item_payload(answer, "sessionId")

    @strawberry.mutation(description="Marks an action item done.")
    async def complete_action_item(
        self, info: Info[CairnContext, None], input: CompleteActionItemInput
    ) -> ActionItemPayload:
        try:
            key = _key("ActionItem", input.action_item_id, "actionItemId")
            actor = _actor(input.person_id)
        except _Missing as missing:
            return ActionItemPayload(action_item=None, user_errors=missing.errors)
        answer = await info.context.sessions.change(
            ActionItemSnapshot, "POST", endpoints.ACTION_ITEM_COMPLETE, key, json=actor
        )
        return _item_payload(answer, "actionItemId")

    @strawberry.mutation(
        description="A leader's office hours: open to the program's mentees, capacity seats, "
        "then a first-come waitlist."
    )
    async def publish_office_hours(
        self, info: Info[CairnContext, None], input: PublishOfficeHoursInput
    ) -> SessionPayload:
        try:
            program = _key("Program", input.program_id, "programId")
            host = _key("Person", input.host_id, "hostId")
        except _Missing as missing:
            return SessionPayload(session=None, user_errors=missing.errors)
        body = {
            "programId": program,
            "hostId": host,
            "startsAt": input.starts_at.isoformat(),
            "durationMinutes": input.duration_minutes,
            "capacity": input.capacity,
            **({"title": input.title} if input.title is not None else {}),
        }
        answer = await info.context.sessions.change(
            SessionView, "POST", endpoints.OFFICE_HOURS, json=body
        )
        if answer is None:
            return SessionPayload(session=None, user_errors=not_found("program", "programId"))
        return _session_payload(info.context, answer)

    @strawberry.mutation(
        description="Takes a seat at office hours, or a place in line when they are full."
    )
    async def rsvp_session(self, info: Info[CairnContext, None], input: RsvpInput) -> RsvpPayload:
        try:
            session = _key("Session", input.session_id, "sessionId")
            person = _key("Person", input.person_id, "personId")
        except _Missing as missing:
            return RsvpPayload(rsvp=None, user_errors=missing.errors)
        answer = await info.context.sessions.change(
            RsvpView, "POST", endpoints.RSVP, session, json={"personId": person}
        )
        if isinstance(answer, Problem):
            return RsvpPayload(rsvp=None, user_errors=from_problem(answer))
        if answer is None:
            return RsvpPayload(rsvp=None, user_errors=not_found("session", "sessionId"))
        return RsvpPayload(rsvp=Rsvp.of(answer), user_errors=[])

    @strawberry.mutation(
        description="Gives a seat (or a place in line) back; the first in line moves up."
    )
    async def cancel_rsvp(self, info: Info[CairnContext, None], input: RsvpInput) -> RsvpsPayload:
        try:
            session = _key("Session", input.session_id, "sessionId")
            person = _key("Person", input.person_id, "personId")
        except _Missing as missing:
            return RsvpsPayload(rsvps=None, user_errors=missing.errors)
        answer = await info.context.sessions.remove(endpoints.RSVP_OF_PERSON, session, person)
        if isinstance(answer, Problem):
            return RsvpsPayload(rsvps=None, user_errors=from_problem(answer))
        if not answer:
            return RsvpsPayload(rsvps=None, user_errors=not_found("session", "sessionId"))
        after = await info.context.sessions.read(RsvpList, endpoints.RSVPS, session)
        return RsvpsPayload(
            rsvps=[Rsvp.of(r) for r in (after.root if after else [])], user_errors=[]
        )
