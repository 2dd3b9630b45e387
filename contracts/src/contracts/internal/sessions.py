"""sessions's answers (its internal REST API): a session with what the API shows beside its
event snapshot (module, agenda, action items, attendance, calendar sync), a person's working
hours, calendar feeds and connections, office-hours seats. The words are the contracts'
(`contracts.sessions`); the enums here are the ones only the API uses."""

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, Field

from contracts.base import ContractModel
from contracts.sessions import (
    ActionItemSnapshot,
    AttendanceStatus,
    CalendarSync,
    SessionSnapshot,
)


class RescheduleScope(StrEnum):
    THIS = "THIS"  # this occurrence only
    FOLLOWING = "FOLLOWING"  # this one and the rest of its series, kept in rhythm


class CalendarProvider(StrEnum):
    CALDAV = "CALDAV"
    GOOGLE = "GOOGLE"
    MICROSOFT = "MICROSOFT"


class RsvpStatus(StrEnum):
    CONFIRMED = "CONFIRMED"  # holds a seat
    WAITLISTED = "WAITLISTED"  # in line (`position`, from 1) for the next free seat


class SessionModuleView(ContractModel):
    """The curriculum module a session covers, as the program defined it when planned."""

    index: int = Field(description="Its place in the program's curriculum, from 0")
    title: str
    discussion_guide: str
    pre_work: list[str] = Field(default_factory=list)


class AttendanceView(ContractModel):
    person_id: str
    status: AttendanceStatus | None = Field(description="None: not recorded (yet)")


class SyncView(ContractModel):
    """Where the session stands in one attendee's connected calendar."""

    person_id: str
    provider: str
    state: CalendarSync
    error: str | None = None


class SessionView(SessionSnapshot):
    """A session as the API shows it."""

    module: SessionModuleView | None = Field(  # type: ignore[assignment]
        default=None, description="The curriculum module it covers (title, guide, pre-work)"
    )
    agenda: list[ActionItemSnapshot] = Field(
        default_factory=list, description="Open action items from earlier sessions of its matches"
    )
    action_items: list[ActionItemSnapshot] = Field(
        default_factory=list, description="The action items created in this session"
    )
    attendance: list[AttendanceView] = Field(default_factory=list)
    sync: list[SyncView] = Field(default_factory=list)
    held_at: AwareDatetime | None = None
    cancelled_reason: str | None = None


class WorkingDay(ContractModel):
    weekday: int = Field(ge=0, le=6, description="Monday is 0")
    start: str = Field(description="Local time, HH:MM")
    end: str = Field(description="Local time, HH:MM, after start")


class WorkingHoursView(ContractModel):
    person_id: str | None = None
    time_zone: str | None = Field(default=None, description="None: the person's own")
    days: list[WorkingDay]


class CalendarFeedView(ContractModel):
    token: str = Field(description="Shown once; the old one stops working")
    path: str = Field(description="/calendar/{token}.ics, on the gateway")


class CalendarConnectionView(ContractModel):
    id: str
    person_id: str
    provider: CalendarProvider
    state: str
    last_error: str | None = None
    connected_at: datetime


class RsvpView(ContractModel):
    person_id: str
    status: RsvpStatus
    position: int | None = Field(default=None, description="WAITLISTED: place in line, from 1")


class MatchSessions(ContractModel):
    """A match's sessions, its series in order (one of a batch: the gateway's DataLoaders)."""

    match_id: str
    items: list[SessionView]


class PersonSessions(ContractModel):
    """A person's sessions within the window asked for, by start (one of a batch)."""

    person_id: str
    items: list[SessionView]
