"""The requests sessions' internal API accepts (camelCase JSON, like every service's). Its
answers are the contracts' views (`contracts.internal.sessions`, `contracts.sessions`).

`actorId` on a change names the person it is made for (an attendee); none: an admin."""

from datetime import date
from typing import Annotated

from contracts.sessions import AttendanceStatus
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from sessions.service_layer.scheduling import Scope

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Acting(Shape):
    actor_id: Id | None = Field(default=None, description="The attendee acting; none: an admin")


class BookRequest(Acting):
    match_id: Id
    starts_at: AwareDatetime | None = Field(
        default=None, description="None: the next slot that fits everyone"
    )
    duration_minutes: int | None = Field(default=None, ge=1, le=480)


class RescheduleRequest(Acting):
    starts_at: AwareDatetime
    scope: Scope = Scope.THIS


class CancelRequest(Acting):
    reason: str | None = Field(default=None, max_length=500)


class CompleteRequest(Acting):
    held_at: AwareDatetime | None = None
    attendance: dict[Id, AttendanceStatus] | None = None


class NoShowRequest(Acting):
    absent_ids: list[Id] = Field(default_factory=list, max_length=100)


class ActionItemRequest(Acting):
    owner_id: Id
    text: str = Field(min_length=1, max_length=1000)
    due_on: date | None = None


class WorkingDayIn(Shape):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM, local")
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM, local; 24:00 the day's end")


class WorkingHoursRequest(Shape):
    time_zone: str | None = Field(default=None, max_length=64)
    days: list[WorkingDayIn] = Field(max_length=50)


class SessionsByIds(Shape):
    ids: list[Id] = Field(max_length=500)


class SessionsByMatches(Shape):
    match_ids: list[Id] = Field(max_length=500)


class SessionsByPeople(Shape):
    person_ids: list[Id] = Field(max_length=500)
    starts_from: AwareDatetime | None = Field(default=None, alias="from")
    starts_before: AwareDatetime | None = Field(default=None, alias="to")
