"""Session events (owned by the sessions service), keyed by the match or circle a session
serves so one pairing's sessions stay in order. Matching reads `session.completed`: a match's
first held session makes it ACTIVE, the last one its plan holds makes it COMPLETED."""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event


class SessionStatus(StrEnum):
    UNSCHEDULED = "UNSCHEDULED"  # planned, but no slot fits everyone: the reason says why
    SCHEDULED = "SCHEDULED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class SessionKind(StrEnum):
    ONE_ON_ONE = "ONE_ON_ONE"  # a pair's (or a peer pair's) series
    GROUP = "GROUP"  # a circle's series
    OFFICE_HOURS = "OFFICE_HOURS"  # a leader's open session with seats, RSVP and a waitlist


class CalendarSync(StrEnum):
    """Where the session stands in the attendees' connected calendars."""

    SYNCED = "SYNCED"
    PENDING = "PENDING"
    FAILED = "FAILED"


class AttendanceStatus(StrEnum):
    ATTENDED = "ATTENDED"
    ABSENT = "ABSENT"


class SessionSnapshot(ContractModel):
    id: str
    program_id: str
    match_ids: list[str] = Field(
        description="The matches the session serves: one for a pair, each member's for a circle"
    )
    group_id: str | None = Field(default=None, description="GROUP programs: the circle")
    host_id: str = Field(description="The mentor, or the circle's leader")
    attendee_ids: list[str] = Field(description="Everyone invited, the host included")
    kind: SessionKind = SessionKind.ONE_ON_ONE
    starts_at: AwareDatetime = Field(description="UNSCHEDULED: the time the cadence asked for")
    ends_at: AwareDatetime
    status: SessionStatus
    sequence: int = Field(default=0, description="The occurrence's place in its series, from 0")
    module: str | None = Field(default=None, description="The curriculum module it covers")
    final: bool = Field(
        default=False, description="The last session the plan holds for these matches"
    )
    unscheduled_reason: str | None = Field(
        default=None, description="UNSCHEDULED: why no slot fits (hours, busy, unknown free/busy)"
    )
    capacity: int | None = Field(default=None, description="OFFICE_HOURS: seats")
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    updated_at: AwareDatetime


class _SessionEvent(Event):
    topic: ClassVar[str] = topics.SESSIONS
    session: SessionSnapshot

    def partition_key(self) -> str:
        s = self.session
        return s.group_id or (s.match_ids[0] if s.match_ids else s.id)


class SessionScheduled(_SessionEvent):
    """A session was placed (or kept UNSCHEDULED with its reason) for the first time."""

    event_type: ClassVar[str] = "session.scheduled"


class SessionRescheduled(_SessionEvent):
    """Its time changed (by a person, or re-planned after the org moved)."""

    event_type: ClassVar[str] = "session.rescheduled"


class SessionCancelled(_SessionEvent):
    event_type: ClassVar[str] = "session.cancelled"
    cancelled_by: str | None = Field(description="The person who cancelled; none: Cairn did")
    reason: str


class SessionNoShow(_SessionEvent):
    """The session's time passed and it was not held: who did not come, if known."""

    event_type: ClassVar[str] = "session.no_show"
    absent_ids: list[str]


class SessionReminderDue(_SessionEvent):
    """Emitted once per session and lead time, so integrators can nudge."""

    event_type: ClassVar[str] = "session.reminder_due"
    lead_minutes: int = Field(description="How long before the start this reminder is")


class SessionCompleted(Event):
    """The session was held (status COMPLETED)."""

    topic: ClassVar[str] = topics.SESSIONS
    event_type: ClassVar[str] = "session.completed"
    session: SessionSnapshot
    completed_at: AwareDatetime

    def partition_key(self) -> str:
        s = self.session
        return s.group_id or (s.match_ids[0] if s.match_ids else s.id)


class ActionItemSnapshot(ContractModel):
    id: str
    program_id: str
    session_id: str = Field(description="The session it came from")
    match_ids: list[str]
    owner_id: str
    text: str = Field(description="Kept short; travels so integrators can nudge on it")
    due_on: date | None = None
    done: bool
    done_at: AwareDatetime | None = None
    revision: int
    updated_at: AwareDatetime


class _ActionItemEvent(Event):
    topic: ClassVar[str] = topics.SESSIONS
    action_item: ActionItemSnapshot

    def partition_key(self) -> str:
        a = self.action_item
        return a.match_ids[0] if a.match_ids else a.session_id


class ActionItemCreated(_ActionItemEvent):
    event_type: ClassVar[str] = "actionitem.created"


class ActionItemCompleted(_ActionItemEvent):
    event_type: ClassVar[str] = "actionitem.completed"


EVENTS: tuple[type[Event], ...] = (
    SessionScheduled,
    SessionRescheduled,
    SessionCancelled,
    SessionNoShow,
    SessionReminderDue,
    SessionCompleted,
    ActionItemCreated,
    ActionItemCompleted,
)
