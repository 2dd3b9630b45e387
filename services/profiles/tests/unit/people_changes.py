"""One person's HRIS changes as the tests of `apply_change` build them: a change setting
exactly the fields given, a hire, the record after changes in turn or as they arrive (parked
until the person exists), and record equality with field versions."""

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from contracts.hris import HrisChange, HrisChangeType
from profiles.domain.people import Outcome, PersonRecord, apply_change

EXTERNAL_ID = "E-1"
HIRED = HrisChangeType.HIRED
UPDATED = HrisChangeType.UPDATED
TERMINATED = HrisChangeType.TERMINATED
REHIRED = HrisChangeType.REHIRED
LEAVE_STARTED = HrisChangeType.LEAVE_STARTED
LEAVE_ENDED = HrisChangeType.LEAVE_ENDED


def change(version: int, change_type: HrisChangeType = UPDATED, **employee: Any) -> HrisChange:
    """A change of EXTERNAL_ID setting exactly `employee` (Python names; None clears)."""
    return HrisChange(
        id=f"chg-{version}",
        type=change_type,
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
        source_version=version,
        employee={"external_id": EXTERNAL_ID, **employee},
    )


def hire(version: int = 1, **employee: Any) -> HrisChange:
    return change(version, HIRED, **{"email": "ann@example.com", "display_name": "Ann", **employee})


def hired(version: int = 1, **employee: Any) -> PersonRecord:
    applied = apply_change(None, hire(version, **employee))
    assert applied.outcome is Outcome.CREATED
    assert applied.record is not None
    return applied.record


def applied_in_turn(*changes: HrisChange) -> PersonRecord:
    """The record after applying `changes` in the order given, each one required to apply."""
    record: PersonRecord | None = None
    for item in changes:
        applied = apply_change(record, item)
        assert applied.outcome not in (Outcome.STALE, Outcome.REJECTED), applied.reason
        record = applied.record
    assert record is not None
    return record


RECORD_FIELDS = [f.name for f in fields(PersonRecord)]
BOOKKEEPING = {"external_id", "source_version", "field_versions"}
# The fields a change can move, and so the ones `changed_fields` may name.
COMPARED_FIELDS = [n for n in RECORD_FIELDS if n not in BOOKKEEPING]
EMPLOYEE_FIELDS = [n for n in COMPARED_FIELDS if n != "status"]


def same(actual: PersonRecord | None, expected: PersonRecord) -> bool:
    """Equal, field versions included (records compare without them)."""
    return (
        actual is not None
        and actual == expected
        and actual.field_versions == expected.field_versions
    )


def deliver(arrivals: list[HrisChange]) -> PersonRecord | None:
    """Apply changes as they arrive, parking those rejected for an unknown person and replaying
    them in version order once the person exists (as profiles' service layer does)."""
    record: PersonRecord | None = None
    parked: list[HrisChange] = []
    for arrival in arrivals:
        applied = apply_change(record, arrival)
        if applied.outcome is Outcome.REJECTED and record is None:
            parked.append(arrival)
            continue
        record = applied.record
        if applied.outcome is Outcome.CREATED:
            for waiting in sorted(parked, key=lambda c: c.source_version):
                record = apply_change(record, waiting).record
            parked.clear()
    return record
