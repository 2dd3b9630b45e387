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
    """What profiles holds of one person, as the HRIS last described them.

    Each field remembers the sourceVersion that last set it: HRIS changes are partial, so a
    late change still sets the fields nothing newer has touched (last writer wins per field,
    by version, never by arrival)."""

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
    demographics: dict[str, Any] | None = field(default=None, hash=False)
    user_name: str | None = None
    status: PersonStatus = PersonStatus.ACTIVE
    source_version: int = 0  # the highest version applied
    field_versions: dict[str, int] = field(default_factory=dict, hash=False, compare=False)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    TERMINATED = "terminated"
    UNCHANGED = "unchanged"  # nothing differs
    STALE = "stale"  # every field it sets was already set by a newer version
    REJECTED = "rejected"  # cannot apply (e.g. a change for someone we cannot create)
    HELD = "held"  # effective later: kept aside and applied at its effective time


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    record: PersonRecord | None
    changed_fields: tuple[str, ...] = ()  # camelCase, as in the events
    reason: str | None = None
    # Parts of the change refused while the rest applied (e.g. a manager that makes a cycle).
    refused: tuple[str, ...] = ()


_BOOKKEEPING = {"source_version", "field_versions", "external_id"}
# Fields a patch may set (status follows from the change type), and those a person keeps.
_PATCHABLE = set(PersonRecord.__dataclass_fields__) - _BOOKKEEPING - {"status"}
_NOT_CLEARABLE = {"email", "display_name"}
_COMPARED = [n for n in PersonRecord.__dataclass_fields__ if n not in _BOOKKEEPING]
_CAMEL = {name: to_camel(name) for name in _COMPARED}  # to_camel is a regex: once

_STATUS_AFTER = {
    HrisChangeType.HIRED: PersonStatus.ACTIVE,
    HrisChangeType.REHIRED: PersonStatus.ACTIVE,
    HrisChangeType.TERMINATED: PersonStatus.TERMINATED,
    HrisChangeType.LEAVE_STARTED: PersonStatus.ON_LEAVE,
    HrisChangeType.LEAVE_ENDED: PersonStatus.ACTIVE,
}


def apply_change(current: PersonRecord | None, change: HrisChange) -> Applied:
    version = change.source_version
    values = _cleaned(_patch_of(change))
    if change.type in _STATUS_AFTER:
        values["status"] = _STATUS_AFTER[change.type]
    if current is None:
        # Changes may arrive before the hire: any change complete enough creates the person.
        if values.get("email") is None or values.get("display_name") is None:
            return Applied(
                Outcome.REJECTED,
                None,
                reason=f"{change.type} for unknown employee "
                f"{change.employee.external_id!r} needs email and displayName",
            )
        record = PersonRecord(
            external_id=change.employee.external_id,
            source_version=version,
            field_versions=dict.fromkeys(values, version),
            **values,
        )
        return Applied(Outcome.CREATED, record, tuple(sorted(_camel_all(record))))

    fresh = {k: v for k, v in values.items() if current.field_versions.get(k, -1) < version}
    if not fresh:
        return Applied(
            Outcome.STALE,
            current,
            reason=f"sourceVersion {version} is older than what set every field",
        )
    # Judged on the whole change, not just its fresh part, so the verdict is order-free.
    cleared = sorted(f for f in _NOT_CLEARABLE if f in values and values[f] is None)
    if cleared:
        return Applied(
            Outcome.REJECTED,
            current,
            reason=f"{', '.join(to_camel(f) for f in cleared)} cannot be cleared",
        )
    updated = replace(
        current,
        source_version=max(version, current.source_version),
        field_versions={**current.field_versions, **dict.fromkeys(fresh, version)},
        **fresh,
    )
    return _judged(current, updated)


def moved_manager(current: PersonRecord | None, applied: Applied) -> str | None:
    """The manager `applied` links the person to, when it is a new (non-empty) link."""
    if applied.record is None or applied.outcome in (Outcome.STALE, Outcome.REJECTED):
        return None
    before = current.manager_external_id if current else None
    after = applied.record.manager_external_id
    return after if after is not None and after != before else None


def keep_manager(current: PersonRecord | None, applied: Applied, reason: str) -> Applied:
    """`applied` with its manager move refused: the previous manager (and the version that set
    it) stays, every other field of the change still applies. The refusal is not a newer
    version of the manager field, so an older change may still set it later."""
    assert applied.record is not None
    versions = dict(applied.record.field_versions)
    before = current.field_versions.get("manager_external_id") if current else None
    if before is None:
        versions.pop("manager_external_id", None)
    else:
        versions["manager_external_id"] = before
    kept = replace(
        applied.record,
        manager_external_id=current.manager_external_id if current else None,
        field_versions=versions,
    )
    if current is None:
        judged = Applied(Outcome.CREATED, kept, tuple(sorted(_camel_all(kept))))
    else:
        judged = _judged(current, kept)
    return replace(judged, refused=(*applied.refused, reason))


def _judged(current: PersonRecord, updated: PersonRecord) -> Applied:
    changed = tuple(
        sorted(
            _CAMEL[name] for name in _COMPARED if getattr(current, name) != getattr(updated, name)
        )
    )
    if not changed:
        # Versions still move forward, so an older change arriving later stays stale.
        return Applied(Outcome.UNCHANGED, updated)
    terminated = updated.status is PersonStatus.TERMINATED
    if terminated and current.status is not PersonStatus.TERMINATED:
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
    return [_CAMEL[n] for n in _COMPARED if getattr(record, n) not in (None, ())]
