"""Enrollment events, keyed by person so one person's enrollments stay in order."""

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event
from contracts.programs import ParticipantRole


class EnrollmentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"  # the person (or an admin for them) left the program
    ENDED = "ENDED"  # profiles ended it, e.g. the person left the organization


class EnrollmentSnapshot(ContractModel):
    id: str
    program_id: str
    person_id: str
    role: ParticipantRole
    goals: list[str]
    capacity: int | None = Field(description="Mentors: how many mentees (or groups) at once")
    status: EnrollmentStatus
    reason: str | None = Field(description="Why it was withdrawn or ended, when known")
    revision: int = Field(description="Grows with every change; replicas keep the newest")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class _EnrollmentEvent(Event):
    topic: ClassVar[str] = topics.ENROLLMENTS
    enrollment: EnrollmentSnapshot

    def partition_key(self) -> str:
        return self.enrollment.person_id


class EnrollmentCreated(_EnrollmentEvent):
    event_type: ClassVar[str] = "enrollment.created"


class EnrollmentUpdated(_EnrollmentEvent):
    event_type: ClassVar[str] = "enrollment.updated"
    changed_fields: list[str] = Field(description="camelCase names of the fields that changed")


class EnrollmentWithdrawn(_EnrollmentEvent):
    """The enrollment no longer counts: status WITHDRAWN (a choice) or ENDED (with reason)."""

    event_type: ClassVar[str] = "enrollment.withdrawn"
    withdrawn_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (EnrollmentCreated, EnrollmentUpdated, EnrollmentWithdrawn)
