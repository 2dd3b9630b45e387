"""How an HRIS change moves a person's record. Pure: state and change in, outcome out."""

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from contracts.hris import HrisChange, HrisChangeType
from contracts.people import PersonStatus
from pydantic.alias_generators import to_camel

DEFAULT_TIME_ZONE = "UTC"


@dataclass(frozen=True)
class PersonRecord:
    """What profiles holds of one person, as the HRIS last described them."""

    external_id: str
    email: str
    display_name: str
    time_zone: str = DEFAULT_TIME_ZONE
    given_name: str | None = None
    family_name: str | None = None
    title: str | None = None
    department: str | None = None
    location: str | None = None
    level: int | None = None
    manager_external_id: str | None = None
    hire_date: date | None = None
    languages: tuple[str, ...] = ()
    underrepresented: bool | None = None
    demographics: dict[str, Any] | None = field(default=None, compare=True)
    status: PersonStatus = PersonStatus.ACTIVE
    source_version: int = 0


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    TERMINATED = "terminated"
    UNCHANGED = "unchanged"  # nothing differs
    STALE = "stale"  # at or below the version already applied
    REJECTED = "rejected"  # cannot apply (e.g. an update for someone never hired)


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    record: PersonRecord | None
    changed_fields: tuple[str, ...] = ()  # camelCase, as in the events
    reason: str | None = None


# Fields a patch may set, and those that cannot be cleared (a person always has them).
_PATCHABLE = {f for f in PersonRecord.__dataclass_fields__} - {
    "status",
    "source_version",
    "external_id",
}
_NOT_CLEARABLE = {"email", "display_name"}

_STATUS_AFTER = {
    HrisChangeType.HIRED: PersonStatus.ACTIVE,
    HrisChangeType.REHIRED: PersonStatus.ACTIVE,
    HrisChangeType.TERMINATED: PersonStatus.TERMINATED,
    HrisChangeType.LEAVE_STARTED: PersonStatus.ON_LEAVE,
    HrisChangeType.LEAVE_ENDED: PersonStatus.ACTIVE,
}


def apply_change(current: PersonRecord | None, change: HrisChange) -> Applied:
    if current is not None and change.source_version <= current.source_version:
        return Applied(
            Outcome.STALE,
            current,
            reason=f"sourceVersion {change.source_version} already superseded by "
            f"{current.source_version}",
        )
    patch = _cleaned(_patch_of(change))
    if current is None:
        # Changes may arrive before the hire: any change complete enough creates the person.
        if patch.get("email") is None or patch.get("display_name") is None:
            return Applied(
                Outcome.REJECTED,
                None,
                reason=f"{change.type} for unknown employee "
                f"{change.employee.external_id!r} needs email and displayName",
            )
        record = PersonRecord(
            external_id=change.employee.external_id,
            status=_STATUS_AFTER.get(change.type, PersonStatus.ACTIVE),
            source_version=change.source_version,
            **patch,
        )
        return Applied(Outcome.CREATED, record, tuple(sorted(_camel_all(record))))

    bad = sorted(f for f in _NOT_CLEARABLE if f in patch and patch[f] is None)
    if bad:
        return Applied(
            Outcome.REJECTED,
            current,
            reason=f"{', '.join(to_camel(f) for f in bad)} cannot be cleared",
        )
    updated = replace(current, **patch)
    status = _STATUS_AFTER.get(change.type, current.status)
    updated = replace(updated, status=status, source_version=change.source_version)
    changed = tuple(
        sorted(
            to_camel(name)
            for name in PersonRecord.__dataclass_fields__
            if name != "source_version" and getattr(current, name) != getattr(updated, name)
        )
    )
    if not changed:
        # The version still moves forward, so an older change arriving later stays stale.
        return Applied(Outcome.UNCHANGED, updated)
    if status is PersonStatus.TERMINATED and current.status is not PersonStatus.TERMINATED:
        return Applied(Outcome.TERMINATED, updated, changed)
    return Applied(Outcome.UPDATED, updated, changed)


def _patch_of(change: HrisChange) -> dict[str, Any]:
    return {k: v for k, v in change.employee.patch().items() if k in _PATCHABLE}


def _cleaned(patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(patch)
    if "languages" in out:
        out["languages"] = tuple(out["languages"] or ())
    if "time_zone" in out and out["time_zone"] is None:
        out["time_zone"] = DEFAULT_TIME_ZONE
    if "email" in out and out["email"] is not None:
        out["email"] = str(out["email"]).lower()
    return out


def _camel_all(record: PersonRecord) -> list[str]:
    return [
        to_camel(n)
        for n in PersonRecord.__dataclass_fields__
        if n != "source_version" and getattr(record, n) not in (None, ())
    ]
