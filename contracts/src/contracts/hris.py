"""The canonical org change: what every HRIS channel (webhook, adapters, SCIM) is normalized to."""

import functools
import zoneinfo
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, EmailStr, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from contracts import topics
from contracts.base import ContractModel, Event
from contracts.text import storable


@functools.cache
def _iana_zones() -> frozenset[str]:
    # A set, not ZoneInfo(value): "America" (a folder) or "localtime" must not pass or crash.
    # "localtime" is a host file some systems list, not an IANA name.
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory"}


class HrisChangeType(StrEnum):
    HIRED = "employee.hired"
    UPDATED = "employee.updated"
    TERMINATED = "employee.terminated"
    REHIRED = "employee.rehired"
    LEAVE_STARTED = "employee.leave_started"
    LEAVE_ENDED = "employee.leave_ended"


class EmployeeRecord(ContractModel):
    """An employee as the HRIS sends it. For updates it is a JSON merge patch: a field that
    is absent stays unchanged, a field that is null is cleared (see `model_fields_set`)."""

    external_id: str = Field(min_length=1, max_length=256)
    email: EmailStr | None = None
    given_name: str | None = Field(default=None, max_length=256)
    family_name: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, min_length=1, max_length=512)
    title: str | None = Field(default=None, max_length=512)
    department: str | None = Field(default=None, max_length=512)
    location: str | None = Field(default=None, max_length=512)
    time_zone: str | None = None
    level: int | None = Field(default=None, ge=0, le=100)
    manager_external_id: str | None = Field(default=None, min_length=1, max_length=256)
    hire_date: date | None = None
    languages: list[str] | None = Field(default=None, max_length=50)
    underrepresented: bool | None = None
    demographics: dict[str, Any] | None = None
    # Added after v1: the login name identity providers know the person by (SCIM userName).
    user_name: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator(
        "external_id",
        "given_name",
        "family_name",
        "display_name",
        "title",
        "department",
        "location",
        "manager_external_id",
        "user_name",
    )
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # An import's CSV (raw NUL bytes) or any channel: refused by row, not at the database.
        return None if value is None else storable(value)

    @field_validator("time_zone")
    @classmethod
    def _iana_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in _iana_zones():
            raise ValueError(f"{value!r} is not an IANA time zone")
        return value

    def patch(self) -> dict[str, Any]:
        """The fields this record sets, by their Python names (absent ones left out)."""
        return self.model_dump(exclude_unset=True, exclude={"external_id"})


MAX_SOURCE_VERSION = 2**63 - 1

# What a hire must carry; every other change only needs `externalId`.
_REQUIRED_ON_HIRE = ("email", "display_name")


class HrisChange(ContractModel):
    id: str = Field(min_length=1, max_length=256, description="Unique in the source system")
    type: HrisChangeType
    effective_at: AwareDatetime
    # Within a signed 64-bit integer: what every consumer stores it in (a BIGINT column).
    source_version: int = Field(
        ge=0, le=MAX_SOURCE_VERSION, description="Grows with each change of this employee"
    )
    employee: EmployeeRecord

    @model_validator(mode="after")
    def _hire_is_complete(self) -> Self:
        if self.type is HrisChangeType.HIRED:
            missing = [f for f in _REQUIRED_ON_HIRE if getattr(self.employee, f) is None]
            if missing:
                names = ", ".join(f"employee.{to_camel(f)}" for f in missing)
                raise ValueError(f"{self.type} needs {names}")
        return self


class HrisChangeReceived(Event):
    """A verified, normalized org change, as accepted from one HRIS connection."""

    event_type: ClassVar[str] = "hris.change.received"
    topic: ClassVar[str] = topics.HRIS_CHANGES

    connection_id: str
    channel: str = Field(description="How it arrived: webhook, merge, bamboohr, scim, import")
    received_at: AwareDatetime
    change: HrisChange

    def partition_key(self) -> str:
        return self.change.employee.external_id


EVENTS: tuple[type[Event], ...] = (HrisChangeReceived,)
