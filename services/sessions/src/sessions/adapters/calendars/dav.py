"""CalDAV (RFC 4791) over httpx: events as calendar object resources, free/busy by REPORT.

- Create: PUT of a new resource with `If-None-Match: *` and a UID derived from the
  idempotency key, so a retry cannot make a second copy: the server answers 412, and the
  event already there (same UID) is brought to the spec with a higher SEQUENCE instead.
- Update and cancel: read the resource, PUT it back with SEQUENCE raised and `If-Match` on the
  ETag read (a concurrent change answers 412: try again later). A cancelled event stays, with
  STATUS:CANCELLED, so clients drop it instead of keeping a stale copy.
- Attendees' answers are kept across an update that leaves the time alone; a new time asks
  them again (PARTSTAT=NEEDS-ACTION), as RFC 5546 wants.
- Free/busy: a free-busy-query REPORT per calendar; both answer shapes are read (see
  `ics.busy_periods`). A calendar the server refuses to show is unknown, never free.
- Plain CalDAV servers (Radicale) send no invitations: `capabilities.server_invites` is False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
from icalendar import Calendar, Event

from sessions.adapters.calendars.ics import (
    EventStatus,
    IcsUnreadable,
    SessionEvent,
    busy_periods,
    calendar,
    events_in,
    responses_of,
    sequence_of,
)
from sessions.adapters.calendars.model import (
    AttendeeResponse,
    EventHandle,
    EventSpec,
    FreeBusy,
    Partstat,
    ProviderCaps,
    ProviderGarbage,
    ProviderName,
    ProviderRejected,
    ProviderUnavailable,
)
from sessions.adapters.calendars.transport import ProviderApi
from sessions.domain.intervals import Interval

ICS = "text/calendar; charset=utf-8"
_FREE_BUSY_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
    '<C:time-range start="{start}" end="{end}"/>'
    "</C:free-busy-query>"
)


class CalDavCalendar:
    name = ProviderName.CALDAV
    capabilities = ProviderCaps(
        server_invites=False, online_meetings=False, max_free_busy_calendars=1
    )

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        uid_domain: str = "cairn",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`http` carries the server's base URL and credentials; calendar ids are collection
        URLs (absolute, or relative to that base)."""
        self.api = ProviderApi(self.name, http, "")
        self.uid_domain = uid_domain
        self.clock = clock

    def uid_for(self, idempotency_key: str) -> str:
        return f"{idempotency_key}@{self.uid_domain}"

    @staticmethod
    def resource_for(calendar_id: str, idempotency_key: str) -> str:
        name = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
        return f"{calendar_id.rstrip('/')}/{name}.ics"

    async def free_busy(self, calendars: Sequence[str], window: Interval) -> FreeBusy:
        busy: dict[str, tuple[Interval, ...]] = {}
        unknown: dict[str, str] = {}
        query = _FREE_BUSY_QUERY.format(start=_utc(window.start), end=_utc(window.end))
        for calendar_id in calendars:
            response = await self.api.send(
                "REPORT",
                calendar_id,
                content=query.encode(),
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
                accept=(200, 403, 404, 501),
            )
            if response.status_code != 200:
                unknown[calendar_id] = f"the server answered {response.status_code}" + (
                    ": it does not answer free-busy queries" if response.status_code == 501 else ""
                )
                continue
            try:
                periods = busy_periods(response.content)
            except IcsUnreadable as exc:
                raise ProviderGarbage(
                    self.name, f"free-busy answer for {calendar_id}: {exc}"
                ) from None
            busy[calendar_id] = tuple(Interval(s, e) for s, e in periods)
        return FreeBusy(window, busy, unknown)

    async def create_event(
        self, calendar_id: str, spec: EventSpec, *, idempotency_key: str
    ) -> EventHandle:
        uid = self.uid_for(idempotency_key)
        href = self.resource_for(calendar_id, idempotency_key)
        event = self._event(uid, 0, EventStatus.CONFIRMED, spec, {})
        response = await self.api.send(
            "PUT",
            href,
            content=calendar([event], method=None),
            headers={"If-None-Match": "*", "Content-Type": ICS},
            accept=(201, 204, 412),
        )
        if response.status_code != 412:
            return self._handle(calendar_id, href, uid, 0, response)
        # Already there: ours (same UID), from an earlier try or cancelled since.
        stored, etag = await self._read(href)
        if str(stored.get("uid")) != uid:
            raise ProviderRejected(
                self.name, f"{href} holds another event ({stored.get('uid')}), not {uid}"
            )
        return await self._put_over(calendar_id, href, stored, etag, spec, EventStatus.CONFIRMED)

    async def update_event(self, handle: EventHandle, spec: EventSpec) -> EventHandle:
        stored, etag = await self._read(handle.event_id)
        return await self._put_over(
            handle.calendar_id,
            handle.event_id,
            stored,
            etag,
            spec,
            EventStatus.CONFIRMED,
            at_least=handle.sequence,
        )

    async def cancel_event(self, handle: EventHandle, *, comment: str | None = None) -> None:
        found = await self._find(handle.event_id)
        if found is None:
            return
        stored, etag = found
        if str(stored.get("status", "")).upper() == EventStatus.CANCELLED:
            return
        sequence = max(sequence_of(stored), handle.sequence) + 1
        for name, value in (("status", "CANCELLED"), ("sequence", sequence)):
            stored.pop(name, None)
            stored.add(name, value)
        stored.pop("dtstamp", None)
        stored.add("dtstamp", self.clock())
        if comment:
            stored.pop("comment", None)
            stored.add("comment", comment)
        body = Calendar()
        body.add("prodid", "-//Cairn//Mentoring sessions//EN")
        body.add("version", "2.0")
        body.add_component(stored)
        await self._put(handle.event_id, body.to_ical(), etag)

    async def responses(self, handle: EventHandle) -> tuple[AttendeeResponse, ...]:
        stored, _ = await self._read(handle.event_id)
        return tuple(AttendeeResponse(email, said) for email, said in responses_of(stored))

    # --- the resource ---------------------------------------------------------------------

    def _event(
        self,
        uid: str,
        sequence: int,
        status: EventStatus,
        spec: EventSpec,
        answers: dict[str, Partstat],
    ) -> SessionEvent:
        return SessionEvent(
            uid=uid,
            sequence=sequence,
            status=status,
            title=spec.title,
            start=spec.when.start,
            end=spec.when.end,
            organizer=spec.organizer,
            attendees=tuple(
                (a, answers.get(a.email.lower(), Partstat.NEEDS_ACTION)) for a in spec.attendees
            ),
            stamp=self.clock(),
            zone=spec.zone,
            description=spec.description,
            session_id=spec.session_id,
        )

    async def _put_over(
        self,
        calendar_id: str,
        href: str,
        stored: Event,
        etag: str | None,
        spec: EventSpec,
        status: EventStatus,
        at_least: int = 0,
    ) -> EventHandle:
        sequence = max(sequence_of(stored), at_least) + 1
        same_time = _time_of(stored) == (spec.when.start, spec.when.end)
        answers = {e.lower(): p for e, p in responses_of(stored)} if same_time else {}
        uid = str(stored.get("uid"))
        event = self._event(uid, sequence, status, spec, answers)
        response = await self._put(href, calendar([event], method=None), etag)
        return self._handle(calendar_id, href, uid, sequence, response)

    async def _put(self, href: str, body: bytes, etag: str | None) -> httpx.Response:
        headers = {"Content-Type": ICS}
        if etag:
            headers["If-Match"] = etag
        response = await self.api.send(
            "PUT", href, content=body, headers=headers, accept=(200, 201, 204, 412)
        )
        if response.status_code == 412:
            raise ProviderUnavailable(
                self.name, f"{href} changed on the server while we updated it: try again"
            )
        return response

    async def _read(self, href: str) -> tuple[Event, str | None]:
        found = await self._find(href)
        if found is None:
            raise ProviderRejected(self.name, f"{href} is gone from the calendar", 404)
        return found

    async def _find(self, href: str) -> tuple[Event, str | None] | None:
        response = await self.api.send("GET", href, accept=(200, 404, 410))
        if response.status_code != 200:
            return None
        try:
            events = events_in(response.content)
        except IcsUnreadable as exc:
            raise ProviderGarbage(self.name, f"{href}: {exc}") from None
        if len(events) != 1:
            raise ProviderGarbage(self.name, f"{href} holds {len(events)} events, not one")
        return events[0], response.headers.get("ETag")

    def _handle(
        self, calendar_id: str, href: str, uid: str, sequence: int, response: httpx.Response
    ) -> EventHandle:
        return EventHandle(
            provider=self.name,
            calendar_id=calendar_id,
            event_id=href,
            ical_uid=uid,
            sequence=sequence,
            etag=response.headers.get("ETag"),
        )


def _time_of(event: Event) -> tuple[datetime | None, datetime | None]:
    start = getattr(event.get("dtstart"), "dt", None)
    end = getattr(event.get("dtend"), "dt", None)
    return (
        start if isinstance(start, datetime) else None,
        end if isinstance(end, datetime) else None,
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
