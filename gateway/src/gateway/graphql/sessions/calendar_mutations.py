"""A person's calendar side: working hours, the private ICS feed (issued, rotated, revoked)
and connected calendars (CalDAV, Google, Microsoft). Resolvers compose the sessions service's
internal API; a mutation answering userErrors has changed nothing."""

import dataclasses
from datetime import datetime

import strawberry
from contracts.internal.session_calendars import CalendarConnectionView
from contracts.internal.sessions import CalendarFeedView, WorkingHoursView
from contracts.problems import Problem
from pydantic.alias_generators import to_camel
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import CalendarProvider
from gateway.graphql.ids import decode_id
from gateway.graphql.sessions import endpoints
from gateway.graphql.sessions.types import CalendarConnection, CalendarFeed, WorkingHours
from gateway.graphql.user_errors import UserError, from_problem, not_found


@strawberry.input
class WorkingDayInput:
    weekday: int = strawberry.field(description="Monday is 0, Sunday 6")
    start: str = strawberry.field(description="Local time, HH:MM")
    end: str = strawberry.field(description="Local time, HH:MM, after start")


@strawberry.input
class SetWorkingHoursInput:
    person_id: strawberry.ID
    time_zone: str | None = strawberry.field(
        default=None, description="IANA; null: the person's own"
    )
    days: list[WorkingDayInput] = strawberry.field(
        description="The days the person may be booked, each with its hours; future sessions "
        "that no longer fit are planned again"
    )


@strawberry.input
class CalendarFeedInput:
    person_id: strawberry.ID


@strawberry.input(description="CALDAV: the calendar collection's URL and its login")
class CalDavInput:
    url: str
    username: str | None = None
    password: str | None = None


@strawberry.input(description="GOOGLE and MICROSOFT: the OAuth grant (stored encrypted)")
class OAuthGrantInput:
    access_token: str
    refresh_token: str
    expires_at: datetime
    calendar_id: str | None = strawberry.field(default=None, description="Null: the primary")


@strawberry.input(description="Exactly one of caldav (CALDAV) and oauth (GOOGLE, MICROSOFT)")
class ConnectCalendarInput:
    person_id: strawberry.ID
    provider: CalendarProvider
    caldav: CalDavInput | None = None
    oauth: OAuthGrantInput | None = None


@strawberry.input
class DisconnectCalendarInput:
    calendar_connection_id: strawberry.ID


@strawberry.type
class WorkingHoursPayload:
    working_hours: WorkingHours | None
    user_errors: list[UserError]


@strawberry.type
class CalendarFeedPayload:
    calendar_feed: CalendarFeed | None
    user_errors: list[UserError]


@strawberry.type
class RevokeCalendarFeedPayload:
    revoked: bool = strawberry.field(description="The feed's URL no longer answers")
    user_errors: list[UserError]


@strawberry.type
class CalendarConnectionPayload:
    calendar_connection: CalendarConnection | None
    user_errors: list[UserError]


@strawberry.type
class DisconnectCalendarPayload:
    disconnected: bool = strawberry.field(description="Cairn no longer writes to that calendar")
    user_errors: list[UserError]


def _no_person() -> list[UserError]:
    return not_found("person", "personId")


@strawberry.type
class CalendarsMutation:
    @strawberry.mutation(description="When a person may be booked (replaces what was set).")
    async def set_working_hours(
        self, info: Info[CairnContext, None], input: SetWorkingHoursInput
    ) -> WorkingHoursPayload:
        key = decode_id("Person", input.person_id)
        if key is None:
            return WorkingHoursPayload(working_hours=None, user_errors=_no_person())
        body = {
            "timeZone": input.time_zone,
            "days": [{"weekday": d.weekday, "start": d.start, "end": d.end} for d in input.days],
        }
        answer = await info.context.sessions.change(
            WorkingHoursView, "PUT", endpoints.WORKING_HOURS, key, json=body
        )
        if isinstance(answer, Problem):
            return WorkingHoursPayload(working_hours=None, user_errors=from_problem(answer))
        if answer is None:
            return WorkingHoursPayload(working_hours=None, user_errors=_no_person())
        return WorkingHoursPayload(working_hours=WorkingHours.of(answer), user_errors=[])

    @strawberry.mutation(
        description="The person's private ICS feed URL, shown this once; asking again "
        "rotates it (the old URL stops answering)."
    )
    async def issue_calendar_feed(
        self, info: Info[CairnContext, None], input: CalendarFeedInput
    ) -> CalendarFeedPayload:
        key = decode_id("Person", input.person_id)
        if key is None:
            return CalendarFeedPayload(calendar_feed=None, user_errors=_no_person())
        answer = await info.context.sessions.change(
            CalendarFeedView, "POST", endpoints.CALENDAR_FEED, key
        )
        if isinstance(answer, Problem):
            return CalendarFeedPayload(calendar_feed=None, user_errors=from_problem(answer))
        if answer is None:
            return CalendarFeedPayload(calendar_feed=None, user_errors=_no_person())
        feed = CalendarFeed(url=f"{info.context.public_base_url}{answer.path}")
        return CalendarFeedPayload(calendar_feed=feed, user_errors=[])

    @strawberry.mutation(description="The person's feed URL stops answering.")
    async def revoke_calendar_feed(
        self, info: Info[CairnContext, None], input: CalendarFeedInput
    ) -> RevokeCalendarFeedPayload:
        key = decode_id("Person", input.person_id)
        if key is None:
            return RevokeCalendarFeedPayload(revoked=False, user_errors=_no_person())
        answer = await info.context.sessions.remove(endpoints.CALENDAR_FEED, key)
        if isinstance(answer, Problem):
            return RevokeCalendarFeedPayload(revoked=False, user_errors=from_problem(answer))
        if not answer:
            return RevokeCalendarFeedPayload(revoked=False, user_errors=_no_person())
        return RevokeCalendarFeedPayload(revoked=True, user_errors=[])

    @strawberry.mutation(
        description="Connects a calendar: Cairn reads its free/busy and books sessions in it."
    )
    async def connect_calendar(
        self, info: Info[CairnContext, None], input: ConnectCalendarInput
    ) -> CalendarConnectionPayload:
        key = decode_id("Person", input.person_id)
        if key is None:
            return CalendarConnectionPayload(calendar_connection=None, user_errors=_no_person())
        fields = input.caldav if input.provider is CalendarProvider.CALDAV else input.oauth
        body = {"provider": input.provider.value, **_members(fields)}
        answer = await info.context.sessions.change(
            CalendarConnectionView, "POST", endpoints.CALENDAR_CONNECTIONS, key, json=body
        )
        if isinstance(answer, Problem):
            return CalendarConnectionPayload(
                calendar_connection=None, user_errors=from_problem(answer)
            )
        if answer is None:
            return CalendarConnectionPayload(calendar_connection=None, user_errors=_no_person())
        return CalendarConnectionPayload(
            calendar_connection=CalendarConnection.of(answer), user_errors=[]
        )

    @strawberry.mutation(description="Disconnects a calendar; Cairn stops booking into it.")
    async def disconnect_calendar(
        self, info: Info[CairnContext, None], input: DisconnectCalendarInput
    ) -> DisconnectCalendarPayload:
        missing = not_found("calendar connection", "calendarConnectionId")
        key = decode_id("CalendarConnection", input.calendar_connection_id)
        if key is None:
            return DisconnectCalendarPayload(disconnected=False, user_errors=missing)
        answer = await info.context.sessions.remove(endpoints.CALENDAR_CONNECTION, key)
        if isinstance(answer, Problem):
            return DisconnectCalendarPayload(disconnected=False, user_errors=from_problem(answer))
        if not answer:
            return DisconnectCalendarPayload(disconnected=False, user_errors=missing)
        return DisconnectCalendarPayload(disconnected=True, user_errors=[])


def _members(fields: CalDavInput | OAuthGrantInput | None) -> dict[str, object]:
    """The provider's fields as the sessions API names them; none given: none sent (the
    service names what is missing)."""
    if fields is None:
        return {}
    return {
        to_camel(f.name): value.isoformat() if isinstance(value, datetime) else value
        for f in dataclasses.fields(fields)
        if (value := getattr(fields, f.name)) is not None
    }
