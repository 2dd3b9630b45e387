"""Person events: each carries the whole snapshot (event-carried state transfer)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.base import ContractModel, Event


class PersonStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ON_LEAVE = "ON_LEAVE"
    TERMINATED = "TERMINATED"


class PersonView(ContractModel):
    """A person as every API shows them. It has no field for self-identification, so no
    answer can carry it."""

    id: str
    external_id: str | None = None
    email: str
    given_name: str | None = None
    family_name: str | None = None
    display_name: str
    title: str | None = None
    department: str | None = None
    location: str | None = None
    time_zone: str = Field(description="IANA time zone")
    level: int | None = Field(default=None, description="Seniority band; higher is more senior")
    manager_external_id: str | None = None
    hire_date: date | None = None
    languages: list[str] = Field(default_factory=list)
    status: PersonStatus
    # Added after v1 (absent in older events): the login name, and what the person says of
    # themselves (self-service, not from the HRIS).
    user_name: str | None = None
    skills: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list)
    bio: str | None = None


class PersonSnapshot(PersonView):
    """A person as their events carry them: the view, their manager's id, the versions, and
    (for fair matching and suppressed aggregates only) their self-identification."""

    manager_id: str | None = Field(default=None, description="Null until the manager is known")
    # Sensitive: for fair matching and suppressed aggregates only; never shown through the API.
    underrepresented: bool | None = None
    demographics: dict[str, Any] | None = None
    source_version: int = Field(description="The HRIS version last applied")
    # Added after v1: events without it read as revision 0.
    revision: int = Field(
        default=0, description="Grows with every change profiles makes; replicas keep the newest"
    )
    updated_at: AwareDatetime


class OrgFieldChange(ContractModel):
    """One move in the org: a title, level, department or manager that changed, and when it
    took effect in the HRIS (promotions and internal mobility are measured from these)."""

    field: str = Field(description="title, level, department or managerExternalId")
    from_value: str | int | None = None
    to_value: str | int | None = None
    effective_at: AwareDatetime
    source_version: int


class _PersonEvent(Event):
    topic: ClassVar[str] = topics.PEOPLE
    person: PersonSnapshot
    # Added after v1: the org moves this event records (none for other changes).
    org_changes: list[OrgFieldChange] = Field(default_factory=list)

    def partition_key(self) -> str:
        return self.person.id


class PersonCreated(_PersonEvent):
    event_type: ClassVar[str] = "person.created"


class PersonUpdated(_PersonEvent):
    event_type: ClassVar[str] = "person.updated"
    changed_fields: list[str] = Field(description="camelCase names of the fields that changed")


class PersonTerminated(_PersonEvent):
    event_type: ClassVar[str] = "person.terminated"
    terminated_at: AwareDatetime


class PersonErased(Event):
    """A tenant admin had the person forgotten: profiles anonymised them irreversibly, and every
    service now deletes or anonymises what it holds of them. It names nobody (no snapshot)."""

    event_type: ClassVar[str] = "person.erased"
    topic: ClassVar[str] = topics.PEOPLE
    person_id: str
    erased_at: AwareDatetime

    def partition_key(self) -> str:
        return self.person_id


class PersonErasureConfirmed(Event):
    """A service has forgotten the person (`person.erased` applied). Each service confirms on
    its own topic (`erasure_confirmation`): the catalog's topic is profiles'."""

    event_type: ClassVar[str] = "person.erasure_confirmed"
    topic: ClassVar[str] = topics.PEOPLE
    service: str = Field(description="The consumer group that confirmed: matching, sessions, …")
    person_id: str
    confirmed_at: AwareDatetime

    def partition_key(self) -> str:
        return self.person_id


class _MatchingConfirmed(PersonErasureConfirmed):
    topic: ClassVar[str] = topics.MATCHES


class _SessionsConfirmed(PersonErasureConfirmed):
    topic: ClassVar[str] = topics.SESSIONS


class _FeedbackConfirmed(PersonErasureConfirmed):
    topic: ClassVar[str] = topics.FEEDBACK


# Each service writes only its own topic (the brokers' ACLs say so).
_CONFIRMED_ON: dict[str, type[PersonErasureConfirmed]] = {
    "profiles": PersonErasureConfirmed,
    "matching": _MatchingConfirmed,
    "sessions": _SessionsConfirmed,
    "feedback": _FeedbackConfirmed,
}
ERASING_SERVICES: tuple[str, ...] = ("profiles", "matching", "sessions", "feedback", "gateway")


def erasure_confirmation(
    service: str, person_id: str, confirmed_at: datetime
) -> PersonErasureConfirmed:
    """`service`'s confirmation, on its own topic."""
    return _CONFIRMED_ON[service](service=service, person_id=person_id, confirmed_at=confirmed_at)


ERASED_NAME = "Erased person"


def erased_email(person_id: str) -> str:
    return f"erased-{person_id}@erased.invalid"  # .invalid: never deliverable (RFC 2606)


def erased_external_id(person_id: str) -> str:
    return f"erased:{person_id}"


def erasure_replacements(person: PersonView) -> dict[str, str]:
    """What each of the person's identifiers becomes wherever a copy of it is found (an outbox
    row, a calendar copy, a manager reference): their external id and email the erased ones (so
    a reference stays unique), their names and user name the erased name."""
    replacements = {
        person.email: erased_email(person.id),
        person.display_name: ERASED_NAME,
    }
    if person.external_id:
        replacements[person.external_id] = erased_external_id(person.id)
    for name in (person.given_name, person.family_name, person.user_name):
        if name:
            replacements.setdefault(name, ERASED_NAME)
    # An already erased person (a replay) has nothing left to replace.
    return {old: new for old, new in replacements.items() if old and old != new}


EVENTS: tuple[type[Event], ...] = (
    PersonCreated,
    PersonUpdated,
    PersonTerminated,
    PersonErased,
    PersonErasureConfirmed,
)
