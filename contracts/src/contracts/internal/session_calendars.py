"""sessions' answers about people's connected calendars and office-hours RSVPs."""

from enum import StrEnum

from pydantic import AwareDatetime, Field

from contracts.base import ContractModel
from contracts.office_hours import RsvpStatus


class CalendarProvider(StrEnum):
    CALDAV = "CALDAV"
    GOOGLE = "GOOGLE"
    MICROSOFT = "MICROSOFT"


class ConnectionState(StrEnum):
    CONNECTED = "CONNECTED"
    FAILED = "FAILED"  # the provider refused the credentials: the person reconnects


class CalendarConnectionView(ContractModel):
    """A connected calendar; its credentials are never shown."""

    id: str
    person_id: str
    provider: CalendarProvider
    state: ConnectionState
    last_error: str | None = Field(default=None, description="What the provider last refused")
    connected_at: AwareDatetime


class RsvpView(ContractModel):
    person_id: str
    status: RsvpStatus
    position: int | None = Field(default=None, description="WAITLISTED: the place in line, from 1")
