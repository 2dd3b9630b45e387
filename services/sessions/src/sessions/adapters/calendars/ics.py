"""iCalendar (RFC 5545) for sessions: the VEVENT of one session, the person's feed that Outlook
and Google subscribe to, and reading events back. Pure: no I/O.

What makes a subscribed client keep up: the UID never changes for a session, SEQUENCE grows
with every change (so the new copy replaces the old), and a cancelled session stays in the
feed with STATUS:CANCELLED and a higher SEQUENCE (so it disappears instead of lingering).
Times are UTC, or local with TZID and the zone's VTIMEZONE included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from sessions.adapters.calendars.model import Participant, Partstat

PRODUCT_ID = "-//Cairn//Mentoring sessions//EN"
SESSION_ID_PROPERTY = "X-CAIRN-SESSION-ID"


class EventStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class Method(StrEnum):
    PUBLISH = "PUBLISH"  # a feed, and events stored on a CalDAV server
    REQUEST = "REQUEST"  # an invitation, or its update (iMIP)
    CANCEL = "CANCEL"


_PARTSTAT = {
    Partstat.NEEDS_ACTION: "NEEDS-ACTION",
    Partstat.ACCEPTED: "ACCEPTED",
    Partstat.TENTATIVE: "TENTATIVE",
    Partstat.DECLINED: "DECLINED",
}
_FROM_PARTSTAT = {text: status for status, text in _PARTSTAT.items()}


@dataclass(frozen=True)
class SessionEvent:
    uid: str  # stable for the session's life (see `session_uid`)
    sequence: int  # raised on every change the attendees should see
    status: EventStatus
    title: str
    start: datetime
    end: datetime
    organizer: Participant
    attendees: tuple[tuple[Participant, Partstat], ...]
    stamp: datetime  # when this version was made (DTSTAMP, LAST-MODIFIED)
    zone: ZoneInfo | None = None  # None: times in UTC; else local with TZID
    description: str = ""
    url: str | None = None  # the online meeting
    session_id: str | None = None

    def __post_init__(self) -> None:
        if self.sequence < 0:
            raise ValueError("SEQUENCE starts at 0")
        if self.start.tzinfo is None or self.end <= self.start:
            raise ValueError(f"{self.uid}: times must be aware, the end after the start")


def session_uid(session_id: str, domain: str = "cairn") -> str:
    return f"{session_id}@{domain}"


def vevent(event: SessionEvent) -> Event:
    out = Event()
    out.add("uid", event.uid)
    out.add("sequence", event.sequence)
    out.add("status", str(event.status))
    out.add("dtstamp", event.stamp.astimezone(UTC))
    out.add("last-modified", event.stamp.astimezone(UTC))
    out.add("dtstart", _at(event.start, event.zone))
    out.add("dtend", _at(event.end, event.zone))
    out.add("summary", event.title)
    if event.description:
        out.add("description", event.description)
    if event.url:
        out.add("url", event.url)
        out.add("location", event.url)
    out.add("organizer", _address(event.organizer))
    for person, partstat in event.attendees:
        address = _address(person)
        address.params["ROLE"] = "REQ-PARTICIPANT" if person.required else "OPT-PARTICIPANT"
        address.params["PARTSTAT"] = _PARTSTAT[partstat]
        address.params["RSVP"] = "TRUE" if partstat is Partstat.NEEDS_ACTION else "FALSE"
        out.add("attendee", address)
    if event.session_id:
        out.add(SESSION_ID_PROPERTY, event.session_id)
    return out


def calendar(
    events: Sequence[SessionEvent],
    *,
    method: Method | None = Method.PUBLISH,
    name: str | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per session and the VTIMEZONEs they name. No METHOD for
    a resource stored on a CalDAV server (RFC 4791 §4.1 forbids it there)."""
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method is not None:
        cal.add("method", str(method))
    if name:
        cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(vevent(event))
    zoned = [e for e in events if e.zone is not None]
    if zoned:
        # Transitions from a year before the first event to a year after the last, not
        # every transition since 1970.
        cal.add_missing_timezones(
            first_date=min(e.start for e in zoned).date() - timedelta(days=366),
            last_date=max(e.end for e in zoned).date() + timedelta(days=366),
        )
    return bytes(cal.to_ical())


def person_feed(events: Sequence[SessionEvent], *, owner_name: str) -> bytes:
    """The feed behind /calendar/{token}.ics: every session of one person, cancelled ones
    included (see the module's docstring), in the order given."""
    return calendar(events, method=Method.PUBLISH, name=f"Mentoring sessions: {owner_name}")


def _at(moment: datetime, zone: ZoneInfo | None) -> datetime:
    return moment.astimezone(zone if zone is not None else UTC)


def _address(person: Participant) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = person.name
    return address


# --- reading ------------------------------------------------------------------------------


class IcsUnreadable(ValueError):
    """Text that is not the iCalendar expected; the message says what is wrong."""


def events_in(data: bytes) -> list[Event]:
    try:
        cal = Calendar.from_ical(data)
    except ValueError as exc:
        raise IcsUnreadable(f"not iCalendar: {exc}") from None
    return list(cal.events)


def sequence_of(event: Event) -> int:
    value = event.get("sequence", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise IcsUnreadable(f"SEQUENCE {value!r} is not a number") from None


def responses_of(event: Event) -> list[tuple[str, Partstat]]:
    raw = event.get("attendee", [])
    attendees = raw if isinstance(raw, list) else [raw]
    out = []
    for address in attendees:
        email = str(address).removeprefix("mailto:").removeprefix("MAILTO:")
        partstat = str(address.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        # RFC 5545 lets servers add values (DELEGATED, x-names): they are not answers yet.
        out.append((email, _FROM_PARTSTAT.get(partstat, Partstat.NEEDS_ACTION)))
    return out


def busy_periods(data: bytes) -> list[tuple[datetime, datetime]]:
    """Busy periods of a free-busy answer: FREEBUSY properties (FBTYPE FREE skipped), or one
    VFREEBUSY per busy interval with its own DTSTART/DTEND and an FBTYPE property (what
    Radicale 3 has sent). A VFREEBUSY with neither is the answer's window with nothing busy
    in it (RFC 4791 §7.10), not a busy period."""
    try:
        cal = Calendar.from_ical(data)
    except ValueError as exc:
        raise IcsUnreadable(f"not iCalendar: {exc}") from None
    out: list[tuple[datetime, datetime]] = []
    blocks = list(cal.walk("VFREEBUSY"))
    if not blocks:
        raise IcsUnreadable("no VFREEBUSY in the answer")
    for block in blocks:
        raw = block.get("freebusy")
        if raw is None:
            kind = block.get("fbtype")
            if kind is not None and str(kind).upper() != "FREE":
                start = getattr(block.get("dtstart"), "dt", None)
                end = getattr(block.get("dtend"), "dt", None)
                out.append(_period(start, end))
            continue
        for prop in raw if isinstance(raw, list) else [raw]:
            if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            for start, end_or_length in _periods_of(prop):
                out.append(_period(start, end_or_length))
    return out


def _periods_of(prop: object) -> list[tuple[datetime, datetime | timedelta]]:
    dts = getattr(prop, "dts", None)
    values = [d.dt for d in dts] if dts is not None else [getattr(prop, "dt", None)]
    out = []
    for value in values:
        if not (isinstance(value, tuple) and len(value) == 2):
            raise IcsUnreadable(f"FREEBUSY value {value!r} is not a period")
        out.append((value[0], value[1]))
    return out


def _period(start: object, end: object) -> tuple[datetime, datetime]:
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise IcsUnreadable(f"busy period start {start!r} is not a UTC time")
    stop = start + end if isinstance(end, timedelta) else end
    if not isinstance(stop, datetime) or stop.tzinfo is None or stop <= start:
        raise IcsUnreadable(f"busy period {start} to {end!r} does not end after it starts")
    return start, stop
