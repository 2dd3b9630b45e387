"""Session events (owned by the sessions service), keyed by the match or circle a session
serves so one pairing's sessions stay in order. Matching reads `session.completed`: a match's
first held session makes it ACTIVE, the last one its plan holds makes it COMPLETED."""

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event


class SessionStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class SessionSnapshot(ContractModel):
    id: str
    program_id: str
    match_ids: list[str] = Field(
        description="The matches the session serves: one for a pair, each member's for a circle"
    )
    group_id: str | None = Field(default=None, description="GROUP programs: the circle")
    host_id: str = Field(description="The mentor, or the circle's leader")
    attendee_ids: list[str] = Field(description="Everyone invited, the host included")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: SessionStatus
    module: str | None = Field(default=None, description="The curriculum module it covers")
    final: bool = Field(
        default=False, description="The last session the plan holds for these matches"
    )
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    updated_at: AwareDatetime


class SessionCompleted(Event):
    """The session was held (status COMPLETED)."""

    topic: ClassVar[str] = topics.SESSIONS
    event_type: ClassVar[str] = "session.completed"
    session: SessionSnapshot
    completed_at: AwareDatetime

    def partition_key(self) -> str:
        s = self.session
        return s.group_id or (s.match_ids[0] if s.match_ids else s.id)


EVENTS: tuple[type[Event], ...] = (SessionCompleted,)
