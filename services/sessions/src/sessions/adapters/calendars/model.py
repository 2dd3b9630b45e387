"""What every calendar provider speaks: the event we ask for, the handle we keep, free/busy
with its unknowns, attendee responses, the three ways a provider fails, and the
`CalendarProvider` protocol itself.

Each session occurrence is booked as an event of its own (never one recurring event): the
planner places every occurrence on its own, so they move independently, and no EXDATE or
RECURRENCE-ID has to match anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from runtime.refusals import invalid

from sessions.domain.intervals import Interval, merge
from sessions.domain.slots import Busy, Unknown


class ProviderName(StrEnum):
    INTERNAL = "INTERNAL"  # Cairn itself: the person's ICS feed
    CALDAV = "CALDAV"
    GOOGLE = "GOOGLE"
    MICROSOFT = "MICROSOFT"


@dataclass(frozen=True)
class Participant:
    email: str
    name: str | None = None
    required: bool = True  # attendees only: False for an optional guest

    def __post_init__(self) -> None:
        local, at, domain = self.email.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in self.email):
            raise invalid("email", f"{self.email!r} is not an email address")


@dataclass(frozen=True)
class EventSpec:
    """One session as a calendar event. `zone` is the zone it is shown in (the host's)."""

    session_id: str
    title: str
    when: Interval
    zone: ZoneInfo
    organizer: Participant
    attendees: tuple[Participant, ...]
    description: str = ""
    online_meeting: bool = False  # ask the provider for a Meet / Teams link

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise invalid("title", "an event needs a title")
        emails = [a.email.lower() for a in self.attendees]
        if len(set(emails)) != len(emails):
            raise invalid("attendees", "an attendee is invited twice")


@dataclass(frozen=True)
class EventHandle:
    """Where a booked event lives, and what we last knew of it."""

    provider: ProviderName
    calendar_id: str  # Google: calendar id; Graph: mailbox; CalDAV: collection URL
    event_id: str  # Google / Graph: event id; CalDAV: the resource's URL
    ical_uid: str | None = None
    sequence: int = 0
    etag: str | None = None
    meeting_url: str | None = None


class Partstat(StrEnum):
    NEEDS_ACTION = "NEEDS_ACTION"
    ACCEPTED = "ACCEPTED"
    TENTATIVE = "TENTATIVE"
    DECLINED = "DECLINED"


@dataclass(frozen=True)
class AttendeeResponse:
    email: str
    response: Partstat


@dataclass(frozen=True)
class FreeBusy:
    """Busy times per calendar that could be read; for the others, why not. A calendar in
    `unknown` is never free."""

    window: Interval
    busy: Mapping[str, tuple[Interval, ...]] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    def availability(self, calendars: Sequence[str]) -> Busy | Unknown:
        """One person's availability over their calendars: unknown if any of them is."""
        problems = [
            f"{c}: {self.unknown.get(c, 'not in the answer')}"
            for c in calendars
            if c in self.unknown or c not in self.busy
        ]
        if problems:
            return Unknown("; ".join(problems))
        spans = merge(i.span() for c in calendars for i in self.busy[c])
        return Busy(tuple(Interval.from_span(s) for s in spans))


@dataclass(frozen=True)
class ProviderCaps:
    server_invites: bool  # the provider emails the invitations itself
    online_meetings: bool
    max_free_busy_calendars: int  # per request; more are sent in batches


class ProviderError(Exception):
    def __init__(self, provider: ProviderName, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message


class ProviderUnavailable(ProviderError):
    """Not now (down, throttled, timed out): try again later, after `retry_after` if given."""

    def __init__(
        self, provider: ProviderName, message: str, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(provider, message)
        self.retry_after = retry_after


class ProviderRejected(ProviderError):
    """Our request was refused as it stands (bad data, no access, credentials revoked):
    retrying the same request will not help."""

    def __init__(self, provider: ProviderName, message: str, status: int | None = None) -> None:
        super().__init__(provider, message)
        self.status = status


class ProviderGarbage(ProviderError):
    """An answer we cannot read; the message says what was wrong with it."""


class CalendarProvider(Protocol):
    name: ProviderName
    capabilities: ProviderCaps

    async def free_busy(self, calendars: Sequence[str], window: Interval) -> FreeBusy: ...

    async def create_event(
        self, calendar_id: str, spec: EventSpec, *, idempotency_key: str
    ) -> EventHandle:
        """Book `spec`. Calling again with the same key (a retry after a lost answer, or
        after the event was cancelled) books nothing twice: it answers the same event."""
        ...

    async def update_event(self, handle: EventHandle, spec: EventSpec) -> EventHandle: ...

    async def cancel_event(self, handle: EventHandle, *, comment: str | None = None) -> None:
        """Cancel it for everyone; an event already gone is not an error."""
        ...

    async def responses(self, handle: EventHandle) -> tuple[AttendeeResponse, ...]: ...
