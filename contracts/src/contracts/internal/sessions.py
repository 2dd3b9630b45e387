"""sessions' answers: a session as the API shows it (its event snapshot, with the curriculum
module, the agenda carried from earlier sessions, action items, attendance and calendar sync),
a person's working hours and calendar feed, and the batches the gateway's DataLoaders ask for."""

from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, Field

from contracts.base import ContractModel
from contracts.sessions import (
    ActionItemSnapshot,
    AttendanceStatus,
    CalendarSync,
    SessionSnapshot,
)


class ModuleView(ContractModel):
    """The curriculum module a session covers (the program's, by the session's place)."""

    index: int = Field(description="The module's place in the curriculum, from 0")
    title: str
    discussion_guide: str
    pre_work: list[str]


class AttendanceView(ContractModel):
    person_id: str
    status: AttendanceStatus | None = Field(description="Null until the session is recorded")


class SyncView(ContractModel):
    """Where the session stands in one attendee's connected calendar."""

    person_id: str
    provider: str
    state: CalendarSync
    error: str | None = None


class SessionView(SessionSnapshot):
    module: ModuleView | None = Field(  # type: ignore[assignment]
        default=None, description="The curriculum module it covers, if the program has one"
    )
    agenda: list[ActionItemSnapshot] = Field(
        description="Open action items from earlier sessions of the same match(es)"
    )
    action_items: list[ActionItemSnapshot] = Field(description="Created in this session")
    attendance: list[AttendanceView]
    sync: list[SyncView] = Field(default_factory=list)
    held_at: AwareDatetime | None = Field(default=None, description="COMPLETED: when it was held")
    cancelled_reason: str | None = None


class MatchSessions(ContractModel):
    """A match's series in order (one of a batch: the gateway's DataLoaders)."""

    match_id: str
    items: list[SessionView]


class PersonSessions(ContractModel):
    """A person's sessions in a time range, by start (one of a batch)."""

    person_id: str
    items: list[SessionView]


class WorkingDay(ContractModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    start: str = Field(description="HH:MM, local")
    end: str = Field(description="HH:MM, local; 24:00 is the day's end")


class WorkingHoursView(ContractModel):
    person_id: str
    time_zone: str = Field(description="IANA zone: the person's own, unless overridden here")
    days: list[WorkingDay] = Field(description="Weekly windows; a weekday not listed is off")
    customized: bool = Field(description="False: the default Mon-Fri 09:00-17:00")


# A feed token as sessions mints it: 32 random bytes, url-safe base64 without padding. The
# gateway refuses any other shape before it calls anything.
FEED_TOKEN_PATTERN: Final = r"[A-Za-z0-9_-]{43}"  # noqa: S105  (a shape, not a secret)


class CalendarFeedView(ContractModel):
    """Shown once: only the token's digest is kept, so a lost token is rotated, not shown."""

    token: str
    path: str = Field(description="/calendar/{token}.ics on the gateway")


# --- the words only the API uses ------------------------------------------------------------


class RescheduleScope(StrEnum):
    THIS = "THIS"  # this occurrence only
    FOLLOWING = "FOLLOWING"  # this one and every later one of its series still ahead
