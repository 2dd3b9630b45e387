"""Microsoft Graph (Outlook / Exchange Online) calendars over httpx: calendar/getSchedule,
events create / patch / cancel / get, Teams links.

- Idempotent create: `transactionId` carries the idempotency key; Graph answers a retry
  with the event it already made.
- getSchedule answers times without an offset (`2026-03-10T09:00:00.0000000`) in the zone
  asked for with `Prefer: outlook.timezone`, naming it with a Windows zone name ("Pacific
  Standard Time") or an IANA one; statuses are capitalised ("Busy", "Tentative", "Oof").
  Items are read in the zone each names (CLDR's Windows-to-IANA table, as icalendar ships
  it), only their times are kept (never subjects). A schedule answered with `error` is
  unknown, never free; when a mailbox shares only its availabilityView, that string is read.
- Teams: `isOnlineMeeting` cannot be turned off later, and a PATCH without the online-meeting
  members keeps the meeting, so updates never send them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sessions.adapters.calendars.model import (
    AttendeeResponse,
    EventHandle,
    EventSpec,
    FreeBusy,
    Partstat,
    ProviderCaps,
    ProviderGarbage,
    ProviderName,
)
from sessions.adapters.calendars.transport import Bearer, ProviderApi
from sessions.domain.intervals import Interval, merge

GRAPH_API = "https://graph.microsoft.com/v1.0"
VIEW_MINUTES = 15  # availabilityViewInterval: one character per quarter hour
FREE_STATUSES = frozenset({"free", "workingelsewhere"})  # Tentative, Busy, Oof, Unknown: busy
FREE_VIEW = frozenset("04")  # availabilityView: 0 free, 4 working elsewhere
_RESPONSES = {
    "none": Partstat.NEEDS_ACTION,
    "notresponded": Partstat.NEEDS_ACTION,
    "organizer": Partstat.ACCEPTED,
    "accepted": Partstat.ACCEPTED,
    "tentativelyaccepted": Partstat.TENTATIVE,
    "declined": Partstat.DECLINED,
}


class _Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _DateTimeTimeZone(_Answer):
    date_time: str
    time_zone: str | None = None


class _ScheduleItem(_Answer):
    status: str
    start: _DateTimeTimeZone
    end: _DateTimeTimeZone


class _ScheduleError(_Answer):
    message: str | None = None
    response_code: str | None = None


class _Schedule(_Answer):
    schedule_id: str
    availability_view: str | None = None
    schedule_items: list[_ScheduleItem] | None = None
    error: _ScheduleError | None = None


class _Schedules(_Answer):
    value: list[_Schedule]


class _Status(_Answer):
    response: str = "none"


class _EmailAddress(_Answer):
    address: str


class _Attendee(_Answer):
    email_address: _EmailAddress
    status: _Status = Field(default_factory=_Status)


class _OnlineMeeting(_Answer):
    join_url: str | None = None


class _Event(_Answer):
    id: str
    ical_uid: str | None = Field(default=None, alias="iCalUId")
    change_key: str | None = None
    online_meeting: _OnlineMeeting | None = None
    attendees: list[_Attendee] = Field(default_factory=list)


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone for a Windows or IANA zone name (ValueError if it is neither)."""
    iana = WINDOWS_TO_OLSON.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is neither a Windows nor an IANA time zone") from None


class GraphCalendar:
    name = ProviderName.MICROSOFT
    capabilities = ProviderCaps(
        server_invites=True, online_meetings=True, max_free_busy_calendars=20
    )

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: Bearer,
        *,
        mailbox: str = "me",
        base_url: str = GRAPH_API,
        schedule_zone: str = "UTC",
    ) -> None:
        """`mailbox`: whose getSchedule is asked ("me", a user id or address);
        `schedule_zone`: the `Prefer: outlook.timezone` asked for (Windows or IANA name)."""
        self.api = ProviderApi(self.name, http, base_url, tokens)
        self.mailbox = mailbox
        self.schedule_zone = schedule_zone

    async def free_busy(self, calendars: Sequence[str], window: Interval) -> FreeBusy:
        busy: dict[str, tuple[Interval, ...]] = {}
        unknown: dict[str, str] = {}
        size = self.capabilities.max_free_busy_calendars  # getSchedule slows down past ~20
        for at in range(0, len(calendars), size):
            batch = list(calendars[at : at + size])
            response = await self.api.send(
                "POST",
                f"{_user(self.mailbox)}/calendar/getSchedule",
                headers={"Prefer": f'outlook.timezone="{self.schedule_zone}"'},
                json_body={
                    "schedules": batch,
                    "startTime": _graph_time(window.start),
                    "endTime": _graph_time(window.end),
                    "availabilityViewInterval": VIEW_MINUTES,
                },
            )
            answer = self.api.read(response, _Schedules, "getSchedule answer")
            by_id = {s.schedule_id.lower(): s for s in answer.value}
            for calendar in batch:
                schedule = by_id.get(calendar.lower())
                if schedule is None:
                    unknown[calendar] = "not in Graph's getSchedule answer"
                elif schedule.error is not None:
                    unknown[calendar] = "Graph could not read it: " + (
                        schedule.error.message or schedule.error.response_code or "an error"
                    )
                else:
                    busy[calendar] = self._busy(schedule, window)
        return FreeBusy(window, busy, unknown)

    def _busy(self, schedule: _Schedule, window: Interval) -> tuple[Interval, ...]:
        where = f"getSchedule answer for {schedule.schedule_id}"
        if schedule.schedule_items is not None:
            spans = []
            for item in schedule.schedule_items:
                if item.status.lower() in FREE_STATUSES:
                    continue
                start, end = self._moment(item.start, where), self._moment(item.end, where)
                if end <= start:
                    raise ProviderGarbage(self.name, f"{where}: {start} to {end} is backwards")
                spans.append(Interval(start, end).span())
            return tuple(Interval.from_span(s) for s in merge(spans))
        if schedule.availability_view is not None:
            if any(code not in "01234" for code in schedule.availability_view):
                raise ProviderGarbage(
                    self.name, f"{where}: availabilityView {schedule.availability_view!r}"
                )
            step = timedelta(minutes=VIEW_MINUTES)
            spans = [
                Interval.of(window.start + n * step, step).span()
                for n, code in enumerate(schedule.availability_view)
                if code not in FREE_VIEW
            ]
            return tuple(Interval.from_span(s) for s in merge(spans))
        raise ProviderGarbage(self.name, f"{where}: neither scheduleItems nor availabilityView")

    def _moment(self, value: _DateTimeTimeZone, where: str) -> datetime:
        try:
            zone = zone_of(value.time_zone or self.schedule_zone)
            moment = datetime.fromisoformat(value.date_time)
        except ValueError as exc:
            raise ProviderGarbage(self.name, f"{where}: {exc}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)  # the documented, offset-less form
        return moment.astimezone(UTC)

    async def create_event(
        self, calendar_id: str, spec: EventSpec, *, idempotency_key: str
    ) -> EventHandle:
        body = {**_event_body(spec), "transactionId": idempotency_key}
        if spec.online_meeting:
            body["isOnlineMeeting"] = True
            body["onlineMeetingProvider"] = "teamsForBusiness"
        response = await self.api.send(
            "POST", f"{_user(calendar_id)}/calendar/events", json_body=body
        )
        return self._handle(calendar_id, self.api.read(response, _Event, "created event"))

    async def update_event(self, handle: EventHandle, spec: EventSpec) -> EventHandle:
        response = await self.api.send("PATCH", _event(handle), json_body=_event_body(spec))
        updated = self._handle(handle.calendar_id, self.api.read(response, _Event, "event"))
        if updated.meeting_url is None and handle.meeting_url is not None:
            updated = replace(updated, meeting_url=handle.meeting_url)
        return updated

    async def cancel_event(self, handle: EventHandle, *, comment: str | None = None) -> None:
        # The organizer's cancel sends the attendees a cancellation; 404: already gone.
        await self.api.send(
            "POST",
            f"{_event(handle)}/cancel",
            json_body={"comment": comment or ""},
            accept=(200, 202, 204, 404),
        )

    async def responses(self, handle: EventHandle) -> tuple[AttendeeResponse, ...]:
        response = await self.api.send("GET", _event(handle), params={"$select": "attendees"})
        event = self.api.read(response, _Event, "event")
        out = []
        for attendee in event.attendees:
            said = attendee.status.response.lower()
            if said not in _RESPONSES:
                raise ProviderGarbage(self.name, f"event {event.id}: response {said!r}")
            out.append(AttendeeResponse(attendee.email_address.address, _RESPONSES[said]))
        return tuple(out)

    def _handle(self, calendar_id: str, event: _Event) -> EventHandle:
        return EventHandle(
            provider=self.name,
            calendar_id=calendar_id,
            event_id=event.id,
            ical_uid=event.ical_uid,
            etag=event.change_key,
            meeting_url=event.online_meeting.join_url if event.online_meeting else None,
        )


def _user(mailbox: str) -> str:
    return "/me" if mailbox == "me" else f"/users/{quote(mailbox, safe='')}"


def _event(handle: EventHandle) -> str:
    return f"{_user(handle.calendar_id)}/events/{quote(handle.event_id, safe='')}"


def _graph_time(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).replace(tzinfo=None).isoformat(),
        "timeZone": "UTC",
    }


def _event_body(spec: EventSpec) -> dict[str, Any]:
    return {
        "subject": spec.title,
        "body": {"contentType": "text", "content": spec.description},
        "start": _graph_time(spec.when.start),
        "end": _graph_time(spec.when.end),
        "attendees": [
            {
                "emailAddress": {"address": a.email, **({"name": a.name} if a.name else {})},
                "type": "required" if a.required else "optional",
            }
            for a in spec.attendees
        ],
        "allowNewTimeProposals": False,  # a new time goes through Cairn, which checks it
    }
