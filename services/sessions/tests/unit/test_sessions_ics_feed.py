"""A person's ICS feed, read back with icalendar the way a subscribed client reads it: one
VEVENT per session, the same UID across changes with a higher SEQUENCE, cancellations kept
with STATUS:CANCELLED, local times with their VTIMEZONE; and free-busy answers in both the
RFC's shape and Radicale's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sessions.adapters.calendars.ics import (
    EventStatus,
    IcsUnreadable,
    Method,
    SessionEvent,
    busy_periods,
    calendar,
    person_feed,
    responses_of,
    session_uid,
)
from sessions.adapters.calendars.model import Participant, Partstat

LONDON = ZoneInfo("Europe/London")
ADA = Participant("ada@example.com", "Ada Lovelace")
GRACE = Participant("grace@example.com", "Grace Hopper")


def _session(n: int, zone: ZoneInfo | None = LONDON) -> SessionEvent:
    start = datetime(2026, 3, 24 + 7 * n, 10, tzinfo=LONDON)  # both sides of 29 March
    return SessionEvent(
        uid=session_uid(f"session-{n}"),
        sequence=0,
        status=EventStatus.CONFIRMED,
        title="Mentoring: Ada & Grace",
        start=start,
        end=start + timedelta(hours=1),
        organizer=ADA,
        attendees=((ADA, Partstat.ACCEPTED), (GRACE, Partstat.NEEDS_ACTION)),
        stamp=datetime(2026, 3, 1, tzinfo=UTC),
        zone=zone,
        description="Module 1: goals",
        url="https://meet.example/abc",
        session_id=f"session-{n}",
    )


def _read(feed: bytes) -> dict[str, dict[str, object]]:
    cal = Calendar.from_ical(feed)
    return {
        str(e["uid"]): {
            "sequence": int(e["sequence"]),
            "status": str(e["status"]),
            "start": e["dtstart"].dt,
            "tzid": e["dtstart"].params.get("TZID"),
        }
        for e in cal.events
    }


def test_the_feed_is_a_published_calendar_with_one_event_per_session() -> None:
    feed = person_feed([_session(0), _session(1)], owner_name="Grace Hopper")
    cal = Calendar.from_ical(feed)
    assert str(cal["method"]) == "PUBLISH"
    assert str(cal["x-wr-calname"]) == "Mentoring sessions: Grace Hopper"
    events = _read(feed)
    assert events == {
        "session-0@cairn": {
            "sequence": 0,
            "status": "CONFIRMED",
            "tzid": "Europe/London",
            "start": datetime(2026, 3, 24, 10, tzinfo=LONDON),
        },
        "session-1@cairn": {
            "sequence": 0,
            "status": "CONFIRMED",
            "tzid": "Europe/London",
            "start": datetime(2026, 3, 31, 10, tzinfo=LONDON),
        },
    }
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    # The VTIMEZONE carries both 2026 changes: clients put 10:00 at 10:00 either side.
    assert events["session-1@cairn"]["start"].astimezone(UTC).hour == 9  # type: ignore[attr-defined]
    event = cal.events[0]
    assert str(event["organizer"]) == "mailto:ada@example.com"
    assert event["organizer"].params["CN"] == "Ada Lovelace"
    assert [(email, said) for email, said in responses_of(event)] == [
        ("ada@example.com", Partstat.ACCEPTED),
        ("grace@example.com", Partstat.NEEDS_ACTION),
    ]
    assert str(event["x-cairn-session-id"]) == "session-0"


def test_an_update_replaces_and_a_cancellation_removes() -> None:
    before = _read(person_feed([_session(0), _session(1)], owner_name="Grace"))
    moved = replace(
        _session(0),
        sequence=1,
        start=datetime(2026, 3, 25, 15, tzinfo=LONDON),
        end=datetime(2026, 3, 25, 16, tzinfo=LONDON),
    )
    cancelled = replace(_session(1), sequence=1, status=EventStatus.CANCELLED)
    after = _read(person_feed([moved, cancelled], owner_name="Grace"))
    assert after.keys() == before.keys()  # same UIDs: the new copies replace the old
    assert all(after[uid]["sequence"] > before[uid]["sequence"] for uid in after)  # type: ignore[operator]
    assert after["session-1@cairn"]["status"] == "CANCELLED"

    # What a subscribed client keeps: per UID the highest SEQUENCE, cancelled ones dropped.
    seen: dict[str, dict[str, object]] = {}
    for version in (before, after):
        for uid, event in version.items():
            if uid not in seen or event["sequence"] > seen[uid]["sequence"]:  # type: ignore[operator]
                seen[uid] = event
    shown = {uid: e["start"] for uid, e in seen.items() if e["status"] != "CANCELLED"}
    assert shown == {"session-0@cairn": datetime(2026, 3, 25, 15, tzinfo=LONDON)}


def test_invitations_carry_their_method_and_stored_events_none() -> None:
    # Radicale sends no invitations: the integrator emails iMIP (REQUEST, CANCEL) itself.
    assert b"METHOD:CANCEL" in calendar([_session(0)], method=Method.CANCEL)
    assert b"METHOD:REQUEST" in calendar([_session(0)], method=Method.REQUEST)
    assert b"METHOD" not in calendar([_session(0)], method=None)  # RFC 4791 §4.1


def test_without_a_zone_times_are_utc_and_no_vtimezone_is_needed() -> None:
    feed = person_feed([_session(0, zone=None)], owner_name="Grace")
    assert b"DTSTART:20260324T100000Z" in feed
    assert b"VTIMEZONE" not in feed


def test_bad_events_are_refused() -> None:
    with pytest.raises(ValueError, match="SEQUENCE"):
        replace(_session(0), sequence=-1)
    with pytest.raises(ValueError, match="end after the start"):
        replace(_session(0), end=_session(0).start)


RFC_SHAPE = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//x//EN\r
BEGIN:VFREEBUSY\r
DTSTART:20260301T000000Z\r
DTEND:20260401T000000Z\r
FREEBUSY;FBTYPE=BUSY:20260311T100000Z/20260311T110000Z,20260313T100000Z/PT1H\r
FREEBUSY;FBTYPE=FREE:20260312T100000Z/20260312T110000Z\r
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260314T100000Z/20260314T103000Z\r
END:VFREEBUSY\r
END:VCALENDAR\r
"""
PER_INTERVAL_SHAPE = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//x//EN\r
BEGIN:VFREEBUSY\r
DTSTART:20260311T100000Z\r
DTEND:20260311T110000Z\r
FBTYPE:BUSY\r
END:VFREEBUSY\r
BEGIN:VFREEBUSY\r
DTSTART:20260312T100000Z\r
DTEND:20260312T120000Z\r
FBTYPE:FREE\r
END:VFREEBUSY\r
END:VCALENDAR\r
"""
EMPTY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//x//EN\r
BEGIN:VFREEBUSY\r
DTSTART:20260301T000000Z\r
DTEND:20260401T000000Z\r
END:VFREEBUSY\r
END:VCALENDAR\r
"""


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_free_busy_answers_in_both_shapes() -> None:
    assert busy_periods(RFC_SHAPE) == [
        (_utc(11, 10), _utc(11, 11)),
        (_utc(13, 10), _utc(13, 11)),
        (_utc(14, 10), _utc(14, 10, 30)),
    ]
    assert busy_periods(PER_INTERVAL_SHAPE) == [(_utc(11, 10), _utc(11, 11))]
    assert busy_periods(EMPTY) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<html>no</html>", "not iCalendar"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no VFREEBUSY"),
        (EMPTY.replace(b"DTEND:20260401T000000Z\r\n", b"FBTYPE:BUSY\r\n"), "does not end"),
        (RFC_SHAPE.replace(b"20260311T110000Z", b"20260311T090000Z"), "greater than end"),
    ],
)
def test_unreadable_free_busy_says_why(data: bytes, words: str) -> None:
    with pytest.raises(IcsUnreadable, match=words):
        busy_periods(data)
