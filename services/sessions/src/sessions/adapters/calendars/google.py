"""Google Calendar API v3 over httpx: freeBusy.query, events insert / patch / delete / get,
Meet links.

- Idempotent create: the event id is derived from the idempotency key (base32hex of its
  SHA-256: lowercase a-v and 0-9, as Google requires). A retry answers 409 ("The requested
  identifier already exists"); so does re-inserting an event that was deleted, because Google
  keeps a deleted event with status "cancelled" under its id. Either way the event is then
  patched to the spec (status "confirmed"): an update of a cancelled event works.
- freeBusy reports a calendar it could not read inside a 200, in `calendars.{id}.errors`:
  that calendar is unknown, never free.
- Meet: `conferenceDataVersion=1` with `conferenceData.createRequest.requestId` (the key).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
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
from sessions.domain.intervals import Interval

GOOGLE_API = "https://www.googleapis.com/calendar/v3"
SESSION_PROPERTY = "cairnSessionId"
_RESPONSES = {
    "needsAction": Partstat.NEEDS_ACTION,
    "accepted": Partstat.ACCEPTED,
    "tentative": Partstat.TENTATIVE,
    "declined": Partstat.DECLINED,
}


def google_event_id(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=").lower()


class _Answer(BaseModel):
    """Google's JSON: camelCase names, unknown members ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _Period(_Answer):
    start: AwareDatetime
    end: AwareDatetime


class _CalendarError(_Answer):
    domain: str | None = None
    reason: str


class _CalendarBusy(_Answer):
    busy: list[_Period] = Field(default_factory=list)
    errors: list[_CalendarError] = Field(default_factory=list)


class _FreeBusyAnswer(_Answer):
    calendars: dict[str, _CalendarBusy]


class _Attendee(_Answer):
    email: str
    response_status: str = "needsAction"


class _EntryPoint(_Answer):
    entry_point_type: str
    uri: str


class _Conference(_Answer):
    entry_points: list[_EntryPoint] = Field(default_factory=list)


class _Event(_Answer):
    id: str
    status: str = "confirmed"
    ical_uid: str | None = Field(default=None, alias="iCalUID")
    sequence: int = 0
    etag: str | None = None
    hangout_link: str | None = None
    conference_data: _Conference | None = None
    attendees: list[_Attendee] = Field(default_factory=list)


class GoogleCalendar:
    name = ProviderName.GOOGLE
    capabilities = ProviderCaps(
        server_invites=True, online_meetings=True, max_free_busy_calendars=50
    )

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: Bearer,
        *,
        base_url: str = GOOGLE_API,
        send_updates: str = "all",
    ) -> None:
        self.api = ProviderApi(self.name, http, base_url, tokens)
        self.send_updates = send_updates

    async def free_busy(self, calendars: Sequence[str], window: Interval) -> FreeBusy:
        busy: dict[str, tuple[Interval, ...]] = {}
        unknown: dict[str, str] = {}
        size = self.capabilities.max_free_busy_calendars
        for at in range(0, len(calendars), size):
            batch = list(calendars[at : at + size])
            body = {
                "timeMin": _rfc3339(window.start),
                "timeMax": _rfc3339(window.end),
                "timeZone": "UTC",
                "items": [{"id": c} for c in batch],
            }
            response = await self.api.send("POST", "/freeBusy", json_body=body)
            answer = self.api.read(response, _FreeBusyAnswer, "freeBusy answer")
            for calendar in batch:
                found = answer.calendars.get(calendar)
                if found is None:
                    unknown[calendar] = "not in Google's freeBusy answer"
                elif found.errors:
                    unknown[calendar] = "Google could not read it: " + ", ".join(
                        e.reason for e in found.errors
                    )
                else:
                    busy[calendar] = tuple(self._interval(p, calendar) for p in found.busy)
        return FreeBusy(window, busy, unknown)

    def _interval(self, period: _Period, calendar: str) -> Interval:
        if period.end <= period.start:
            raise ProviderGarbage(
                self.name,
                f"freeBusy answer: {calendar} busy {period.start} to {period.end}"
                " does not end after it starts",
            )
        return Interval(period.start, period.end)

    async def create_event(
        self, calendar_id: str, spec: EventSpec, *, idempotency_key: str
    ) -> EventHandle:
        event_id = google_event_id(idempotency_key)
        body = {"id": event_id, **_event_body(spec)}
        params = {"sendUpdates": self.send_updates}
        if spec.online_meeting:
            params["conferenceDataVersion"] = "1"
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": event_id,
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        response = await self.api.send(
            "POST", _events(calendar_id), params=params, json_body=body, accept=(200, 201, 409)
        )
        if response.status_code == 409:
            # Ours already (a retry), or ours cancelled: make it the spec, confirmed.
            response = await self.api.send(
                "PATCH",
                _events(calendar_id, event_id),
                params=params,
                json_body={**{k: v for k, v in body.items() if k != "id"}, "status": "confirmed"},
            )
        return self._handle(calendar_id, self.api.read(response, _Event, "the event Google kept"))

    async def update_event(self, handle: EventHandle, spec: EventSpec) -> EventHandle:
        response = await self.api.send(
            "PATCH",
            _events(handle.calendar_id, handle.event_id),
            params={"sendUpdates": self.send_updates},
            json_body=_event_body(spec),  # no conferenceData: the Meet link stays
        )
        return self._handle(handle.calendar_id, self.api.read(response, _Event, "updated event"))

    async def cancel_event(self, handle: EventHandle, *, comment: str | None = None) -> None:
        # 410: deleted already; 404: never there or purged. Either way it is gone.
        await self.api.send(
            "DELETE",
            _events(handle.calendar_id, handle.event_id),
            params={"sendUpdates": self.send_updates},
            accept=(200, 204, 404, 410),
        )

    async def responses(self, handle: EventHandle) -> tuple[AttendeeResponse, ...]:
        response = await self.api.send("GET", _events(handle.calendar_id, handle.event_id))
        event = self.api.read(response, _Event, "event")
        out = []
        for attendee in event.attendees:
            if attendee.response_status not in _RESPONSES:
                raise ProviderGarbage(
                    self.name, f"event {event.id}: responseStatus {attendee.response_status!r}"
                )
            out.append(AttendeeResponse(attendee.email, _RESPONSES[attendee.response_status]))
        return tuple(out)

    def _handle(self, calendar_id: str, event: _Event) -> EventHandle:
        return EventHandle(
            provider=self.name,
            calendar_id=calendar_id,
            event_id=event.id,
            ical_uid=event.ical_uid,
            sequence=event.sequence,
            etag=event.etag,
            meeting_url=event.hangout_link or _video_link(event.conference_data),
        )


def _events(calendar_id: str, event_id: str | None = None) -> str:
    path = f"/calendars/{quote(calendar_id, safe='')}/events"
    return path if event_id is None else f"{path}/{quote(event_id, safe='')}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event_body(spec: EventSpec) -> dict[str, Any]:
    zone = spec.zone.key
    return {
        "summary": spec.title,
        "description": spec.description,
        "start": {"dateTime": spec.when.start.astimezone(spec.zone).isoformat(), "timeZone": zone},
        "end": {"dateTime": spec.when.end.astimezone(spec.zone).isoformat(), "timeZone": zone},
        "attendees": [
            {
                "email": a.email,
                **({"displayName": a.name} if a.name else {}),
                "optional": not a.required,
            }
            for a in spec.attendees
        ],
        "extendedProperties": {"private": {SESSION_PROPERTY: spec.session_id}},
    }


def _video_link(conference: _Conference | None) -> str | None:
    if conference is None:
        return None
    return next((e.uri for e in conference.entry_points if e.entry_point_type == "video"), None)
