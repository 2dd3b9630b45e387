"""Office hours' RSVPs (owned by the sessions service), keyed by the session so one session's
seats and line stay in order: a mentee took a seat, joined the line, moved up to a seat, or
gave theirs back. Integrators nudge people with them (a seat came free for you)."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts import topics
from contracts.base import Event


class RsvpStatus(StrEnum):
    CONFIRMED = "CONFIRMED"  # holds a seat
    WAITLISTED = "WAITLISTED"  # in the first-in-first-out line


class SessionRsvpChanged(Event):
    topic: ClassVar[str] = topics.SESSIONS
    event_type: ClassVar[str] = "session.rsvp_changed"
    session_id: str
    program_id: str
    person_id: str
    status: RsvpStatus | None = Field(description="Null: the person gave their RSVP back")
    position: int | None = Field(default=None, description="WAITLISTED: the place in line")
    moved_up: bool = Field(
        default=False, description="A seat given back passed to this person from the line"
    )

    def partition_key(self) -> str:
        return self.session_id


EVENTS: tuple[type[Event], ...] = (SessionRsvpChanged,)
