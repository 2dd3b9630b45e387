"""`apply_change`: how one HRIS change moves a person's record.

HRIS changes are JSON merge patches, and each field keeps the sourceVersion that last set it:
a change sets a field only if it is newer than what set that field (last writer wins per field,
by version), so changes delivered in any order converge to the record of version order.
"""

from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from contracts.hris import HrisChange, HrisChangeType
from contracts.people import PersonStatus
from hypothesis import example, given, settings
from hypothesis import strategies as st
from profiles.domain.people import DEFAULT_TIME_ZONE, Outcome, PersonRecord, apply_change
from pydantic.alias_generators import to_camel

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
_BOOKKEEPING = {"external_id", "source_version", "field_versions"}
# The fields a change can move, and so the ones `changed_fields` may name.
COMPARED_FIELDS = [n for n in RECORD_FIELDS if n not in _BOOKKEEPING]
EMPLOYEE_FIELDS = [n for n in COMPARED_FIELDS if n != "status"]


def same(actual: PersonRecord | None, expected: PersonRecord) -> bool:
    """Equal, field versions included (records compare without them)."""
    return (
        actual is not None
        and actual == expected
        and actual.field_versions == expected.field_versions
    )


def test_records_compare_and_hash_without_their_field_versions() -> None:
    a = PersonRecord(EXTERNAL_ID, "a@example.com", "A", source_version=2, field_versions={"a": 1})
    b = replace(a, field_versions={"email": 2})
    assert a == b
    assert hash(a) == hash(b)
    assert a != replace(a, source_version=3)
    assert a != replace(a, demographics={"x": 1})


# --- creation ------------------------------------------------------------------------------


def test_a_hire_creates_the_person_with_its_fields() -> None:
    applied = apply_change(
        None,
        hire(
            5,
            email="Ann.Lee@Example.COM",
            display_name="Ann Lee",
            given_name="Ann",
            family_name="Lee",
            title="Engineer",
            department="R&D",
            location="Paris",
            time_zone="Europe/Paris",
            level=4,
            manager_external_id="E-0",
            hire_date=date(2024, 1, 2),
            languages=["fr", "en"],
            underrepresented=True,
            demographics={"gender": "f"},
            user_name="ann.lee",
        ),
    )
    assert applied.outcome is Outcome.CREATED
    assert applied.reason is None
    assert applied.record == PersonRecord(
        external_id=EXTERNAL_ID,
        email="ann.lee@example.com",
        display_name="Ann Lee",
        time_zone="Europe/Paris",
        given_name="Ann",
        family_name="Lee",
        title="Engineer",
        department="R&D",
        location="Paris",
        level=4,
        manager_external_id="E-0",
        hire_date=date(2024, 1, 2),
        languages=("fr", "en"),
        underrepresented=True,
        demographics={"gender": "f"},
        user_name="ann.lee",
        status=PersonStatus.ACTIVE,
        source_version=5,
    )
    # The hire carried every field, and its type carries the status.
    assert applied.record.field_versions == dict.fromkeys(COMPARED_FIELDS, 5)
    assert applied.changed_fields == tuple(sorted(to_camel(n) for n in COMPARED_FIELDS))


def test_a_minimal_hire_gets_defaults() -> None:
    applied = apply_change(None, hire(3))
    record = applied.record
    assert record is not None
    assert record.email == "ann@example.com"
    assert record.display_name == "Ann"
    assert record.time_zone == DEFAULT_TIME_ZONE == "UTC"
    assert record.status is PersonStatus.ACTIVE
    assert record.languages == ()
    assert record.title is None
    assert record.source_version == 3
    # Only what the hire carried has a version: a defaulted field was set by no one.
    assert record.field_versions == {"email": 3, "display_name": 3, "status": 3}
    assert applied.changed_fields == ("displayName", "email", "status", "timeZone")


def test_a_hire_with_a_null_time_zone_gets_the_default() -> None:
    record = hired(time_zone=None)
    assert record.time_zone == "UTC"
    assert record.field_versions["time_zone"] == 1


def test_a_hire_with_false_underrepresented_lists_it_as_changed() -> None:
    applied = apply_change(None, hire(underrepresented=False, level=0))
    assert applied.record is not None
    assert applied.record.underrepresented is False
    assert "underrepresented" in applied.changed_fields
    assert "level" in applied.changed_fields


def test_an_update_for_an_unknown_person_without_identity_is_rejected() -> None:
    applied = apply_change(None, change(2, title="Engineer"))
    assert applied.outcome is Outcome.REJECTED
    assert applied.record is None
    assert applied.reason is not None
    assert "'E-1'" in applied.reason
    assert "email and displayName" in applied.reason


@pytest.mark.parametrize(
    "employee", [{"email": "ann@example.com"}, {"display_name": "Ann"}], ids=["email", "name"]
)
def test_an_update_for_an_unknown_person_with_half_an_identity_is_rejected(
    employee: dict[str, Any],
) -> None:
    applied = apply_change(None, change(2, **employee))
    assert applied.outcome is Outcome.REJECTED
    assert applied.record is None


def test_an_update_for_an_unknown_person_with_an_identity_creates_them() -> None:
    applied = apply_change(
        None, change(2, email="BOB@example.com", display_name="Bob", title="CTO")
    )
    assert applied.outcome is Outcome.CREATED
    expected = PersonRecord(
        external_id=EXTERNAL_ID,
        email="bob@example.com",
        display_name="Bob",
        title="CTO",
        status=PersonStatus.ACTIVE,
        source_version=2,
        # An update carries no status: ACTIVE is a default that any status change overrides.
        field_versions={"email": 2, "display_name": 2, "title": 2},
    )
    assert same(applied.record, expected)


def test_a_termination_for_an_unknown_person_creates_them_terminated() -> None:
    applied = apply_change(None, change(2, TERMINATED, email="bob@example.com", display_name="Bob"))
    assert applied.outcome is Outcome.CREATED
    assert applied.record is not None
    assert applied.record.status is PersonStatus.TERMINATED
    assert applied.record.field_versions == {"email": 2, "display_name": 2, "status": 2}


# --- versions, field by field --------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 4, 5])
def test_a_change_at_or_below_the_versions_of_all_its_fields_is_stale(version: int) -> None:
    current = hired(5, title="Engineer")
    applied = apply_change(current, change(version, title="Manager", display_name="Someone"))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current
    assert applied.changed_fields == ()
    assert applied.reason == f"sourceVersion {version} is older than what set every field"


def test_an_older_change_still_sets_the_fields_nothing_newer_set() -> None:
    current = applied_in_turn(hire(1, title="Engineer"), change(3, title="Lead"))
    applied = apply_change(current, change(2, title="Manager", department="R&D"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.changed_fields == ("department",)
    assert applied.record == replace(current, department="R&D")  # title stays "Lead"
    assert applied.record.source_version == 3  # the highest version applied
    assert applied.record.field_versions == {
        "email": 1,
        "display_name": 1,
        "status": 1,
        "title": 3,
        "department": 2,
    }


def test_an_older_change_only_touching_newer_fields_is_stale() -> None:
    current = applied_in_turn(hire(1), change(3, title="Lead"), change(4, department="R&D"))
    applied = apply_change(current, change(2, title="Manager", department="Sales"))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current
    assert applied.reason == "sourceVersion 2 is older than what set every field"


def test_an_older_change_can_set_a_field_to_what_it_already_is() -> None:
    current = applied_in_turn(hire(1, title="Lead"), change(3, department="R&D"))
    applied = apply_change(current, change(2, title="Lead"))
    assert applied.outcome is Outcome.UNCHANGED
    assert applied.changed_fields == ()
    assert applied.record is not None
    assert applied.record.source_version == 3
    assert applied.record.field_versions["title"] == 2  # a change older than 2 is now stale
    assert apply_change(applied.record, change(1, title="Old")).outcome is Outcome.STALE


def test_a_stale_hire_does_not_reset_the_record() -> None:
    current = applied_in_turn(hire(5, title="Engineer"), change(6, TERMINATED))
    applied = apply_change(current, hire(5, title=None))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current


def test_a_late_hire_sets_only_what_nothing_newer_set() -> None:
    # The person was created by an update that arrived first, then terminated.
    current = applied_in_turn(
        change(3, email="ann.lee@example.com", display_name="Ann Lee", title="CTO"),
        change(4, TERMINATED),
    )
    applied = apply_change(
        current, hire(1, display_name="Ann", title="Engineer", department="R&D", level=2)
    )
    assert applied.outcome is Outcome.UPDATED
    assert applied.changed_fields == ("department", "level")
    assert applied.record == replace(current, department="R&D", level=2)
    assert applied.record.status is PersonStatus.TERMINATED  # the hire is older than that
    assert applied.record.source_version == 4
    assert applied.record.field_versions == {
        "email": 3,
        "display_name": 3,
        "title": 3,
        "status": 4,
        "department": 1,
        "level": 1,
    }


def test_a_late_hire_sets_the_status_of_a_person_created_by_an_update() -> None:
    current = applied_in_turn(change(3, email="ann@example.com", display_name="Ann"))
    assert "status" not in current.field_versions
    applied = apply_change(current, hire(1))
    assert applied.outcome is Outcome.UNCHANGED  # ACTIVE already, but now set by version 1
    assert applied.record is not None
    assert applied.record.field_versions["status"] == 1
    assert apply_change(applied.record, change(0, TERMINATED)).outcome is Outcome.STALE


def test_a_record_without_field_versions_takes_any_newer_change() -> None:
    # Built by hand without field versions: no field was ever set by a version.
    current = PersonRecord(EXTERNAL_ID, "ann@example.com", "Ann", title="Lead", source_version=5)
    applied = apply_change(current, change(1, title="Engineer"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.record == replace(current, title="Engineer")  # the version stays 5
    assert applied.record.field_versions == {"title": 1}


def test_a_late_hire_at_version_zero_still_sets_untouched_fields() -> None:
    current = applied_in_turn(change(1, email="ann@example.com", display_name="Ann"))
    applied = apply_change(current, hire(0, title="Engineer"))
    assert applied.record is not None
    assert applied.record.title == "Engineer"


# --- merge patch ---------------------------------------------------------------------------


def test_absent_fields_stay_and_set_fields_change() -> None:
    current = hired(1, title="Engineer", department="R&D", level=3, languages=["en"])
    applied = apply_change(current, change(2, department="Sales"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.record == replace(current, department="Sales", source_version=2)
    assert applied.record.field_versions == {**current.field_versions, "department": 2}
    assert applied.changed_fields == ("department",)


def test_null_clears_a_field() -> None:
    current = hired(1, title="Engineer", level=3)
    applied = apply_change(current, change(2, title=None))
    assert applied.outcome is Outcome.UPDATED
    assert applied.record == replace(current, title=None, source_version=2)
    assert applied.record.field_versions["title"] == 2  # an older title cannot come back
    assert applied.changed_fields == ("title",)


def test_clearing_the_time_zone_resets_it_to_the_default() -> None:
    current = hired(1, time_zone="Asia/Tokyo")
    applied = apply_change(current, change(2, time_zone=None))
    assert applied.record is not None
    assert applied.record.time_zone == "UTC"
    assert applied.changed_fields == ("timeZone",)


def test_clearing_languages_empties_them() -> None:
    current = hired(1, languages=["en", "de"])
    applied = apply_change(current, change(2, languages=None))
    assert applied.record is not None
    assert applied.record.languages == ()
    assert applied.changed_fields == ("languages",)


def test_an_updated_email_is_lower_cased() -> None:
    current = hired(1)
    applied = apply_change(current, change(2, email="Ann.New@Example.com"))
    assert applied.record is not None
    assert applied.record.email == "ann.new@example.com"
    assert applied.changed_fields == ("email",)


@pytest.mark.parametrize(
    ("employee", "named"),
    [
        ({"email": None}, "email cannot be cleared"),
        ({"display_name": None}, "displayName cannot be cleared"),
        ({"email": None, "display_name": None, "title": "X"}, "displayName, email cannot be"),
    ],
)
def test_email_and_display_name_cannot_be_cleared(employee: dict[str, Any], named: str) -> None:
    current = hired(1, title="Engineer")
    applied = apply_change(current, change(2, **employee))
    assert applied.outcome is Outcome.REJECTED
    assert applied.record is current
    assert applied.reason is not None
    assert named in applied.reason
    assert applied.changed_fields == ()


def test_clearing_an_identity_a_newer_change_set_is_stale() -> None:
    current = applied_in_turn(hire(1), change(3, email="new@example.com"))
    applied = apply_change(current, change(2, email=None))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current


_CLEARS_EMAIL = [hire(1), change(2, email=None, title="X"), change(3, email="b@example.com")]


def test_a_change_clearing_the_email_is_rejected_whatever_the_order() -> None:
    in_order = deliver(_CLEARS_EMAIL)
    assert in_order is not None
    assert in_order.title is None  # version 2 was rejected whole
    assert deliver([_CLEARS_EMAIL[0], _CLEARS_EMAIL[2], _CLEARS_EMAIL[1]]) == in_order


def test_the_external_id_is_not_patched() -> None:
    current = hired(1)
    other = HrisChange(
        id="chg-2",
        type=UPDATED,
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
        source_version=2,
        employee={"external_id": "E-999", "title": "X"},
    )
    applied = apply_change(current, other)
    assert applied.record is not None
    assert applied.record.external_id == EXTERNAL_ID
    assert applied.changed_fields == ("title",)


def test_an_update_that_changes_nothing_still_moves_the_versions() -> None:
    current = hired(1, title="Engineer")
    applied = apply_change(current, change(7, title="Engineer", email="ANN@example.com"))
    assert applied.outcome is Outcome.UNCHANGED
    assert applied.changed_fields == ()
    assert applied.record == replace(current, source_version=7)
    assert applied.record.field_versions == {**current.field_versions, "title": 7, "email": 7}
    # ...so that an older change of those fields arriving later stays stale.
    assert apply_change(applied.record, change(6, title="Old")).outcome is Outcome.STALE


def test_an_empty_update_is_stale() -> None:
    # It carries no field, so it has nothing fresher than the record.
    current = hired(1)
    applied = apply_change(current, change(2))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current
    assert applied.changed_fields == ()


def test_changed_fields_are_exactly_the_changed_ones_in_camel_case() -> None:
    current = hired(1, title="Engineer", manager_external_id="E-0", level=2)
    applied = apply_change(
        current,
        change(
            2,
            title="Lead",
            manager_external_id="E-7",
            hire_date=date(2023, 5, 1),
            level=2,  # same value: not a change
            location=None,  # already None: not a change
        ),
    )
    assert applied.outcome is Outcome.UPDATED
    assert applied.changed_fields == ("hireDate", "managerExternalId", "title")


# --- lifecycle -----------------------------------------------------------------------------


def test_termination() -> None:
    current = hired(1)
    applied = apply_change(current, change(2, TERMINATED))
    assert applied.outcome is Outcome.TERMINATED
    assert applied.record == replace(current, status=PersonStatus.TERMINATED, source_version=2)
    assert applied.record.field_versions == {**current.field_versions, "status": 2}
    assert applied.changed_fields == ("status",)


def test_termination_with_other_changes_is_still_a_termination() -> None:
    current = hired(1, title="Engineer")
    applied = apply_change(current, change(2, TERMINATED, title=None))
    assert applied.outcome is Outcome.TERMINATED
    assert applied.changed_fields == ("status", "title")


def test_terminating_the_terminated_changes_nothing() -> None:
    current = applied_in_turn(hire(1), change(2, TERMINATED))
    applied = apply_change(current, change(3, TERMINATED))
    assert applied.outcome is Outcome.UNCHANGED
    assert applied.record is not None
    assert applied.record.status is PersonStatus.TERMINATED
    assert applied.record.field_versions["status"] == 3


def test_an_update_of_the_terminated_is_an_update() -> None:
    current = applied_in_turn(hire(1), change(2, TERMINATED))
    applied = apply_change(current, change(3, title="Alumnus"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.record is not None
    assert applied.record.status is PersonStatus.TERMINATED


def test_a_late_older_termination_is_an_update_with_other_fields_only() -> None:
    current = applied_in_turn(hire(1), change(3, REHIRED))
    applied = apply_change(current, change(2, TERMINATED, title="Leaver"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.changed_fields == ("title",)
    assert applied.record is not None
    assert applied.record.status is PersonStatus.ACTIVE
    assert apply_change(current, change(2, TERMINATED)).outcome is Outcome.STALE


def test_a_late_older_termination_still_terminates_when_nothing_newer_set_the_status() -> None:
    current = applied_in_turn(hire(1), change(3, title="Lead"))
    applied = apply_change(current, change(2, TERMINATED))
    assert applied.outcome is Outcome.TERMINATED
    assert applied.record == replace(current, status=PersonStatus.TERMINATED)
    assert applied.record.source_version == 3


# A change that leads to each status from an ACTIVE hire (None: the hire itself).
_INTO = {
    PersonStatus.ACTIVE: None,
    PersonStatus.ON_LEAVE: LEAVE_STARTED,
    PersonStatus.TERMINATED: TERMINATED,
}


def _in_status(status: PersonStatus) -> PersonRecord:
    into = _INTO[status]
    record = hired(1) if into is None else applied_in_turn(hire(1), change(2, into))
    assert record.status is status
    return record


@pytest.mark.parametrize(
    ("before", "change_type", "after"),
    [
        (PersonStatus.TERMINATED, REHIRED, PersonStatus.ACTIVE),
        (PersonStatus.TERMINATED, HIRED, PersonStatus.ACTIVE),
        (PersonStatus.ACTIVE, LEAVE_STARTED, PersonStatus.ON_LEAVE),
        (PersonStatus.ON_LEAVE, LEAVE_ENDED, PersonStatus.ACTIVE),
        (PersonStatus.ON_LEAVE, LEAVE_STARTED, PersonStatus.ON_LEAVE),
        (PersonStatus.ON_LEAVE, TERMINATED, PersonStatus.TERMINATED),
        (PersonStatus.ACTIVE, REHIRED, PersonStatus.ACTIVE),
    ],
)
def test_status_transitions(
    before: PersonStatus, change_type: HrisChangeType, after: PersonStatus
) -> None:
    current = _in_status(before)
    extra = {"email": "ann@example.com", "display_name": "Ann"} if change_type is HIRED else {}
    applied = apply_change(current, change(5, change_type, **extra))
    assert applied.record is not None
    assert applied.record.status is after
    assert applied.record.source_version == 5
    assert applied.record.field_versions["status"] == 5
    assert ("status" in applied.changed_fields) is (before is not after)
    if before is after:
        assert applied.outcome is Outcome.UNCHANGED
    elif after is PersonStatus.TERMINATED:
        assert applied.outcome is Outcome.TERMINATED
    else:
        assert applied.outcome is Outcome.UPDATED


@pytest.mark.parametrize("status", list(PersonStatus))
def test_an_update_leaves_the_status_alone(status: PersonStatus) -> None:
    current = _in_status(status)
    applied = apply_change(current, change(5, title="Lead"))
    assert applied.outcome is Outcome.UPDATED
    assert applied.changed_fields == ("title",)
    assert applied.record is not None
    assert applied.record.status is status
    assert applied.record.field_versions["status"] == current.field_versions["status"]


def test_an_older_leave_end_does_not_end_a_newer_leave() -> None:
    current = applied_in_turn(hire(1), change(3, LEAVE_STARTED))
    applied = apply_change(current, change(2, LEAVE_ENDED))
    assert applied.outcome is Outcome.STALE
    assert applied.record is current


# --- properties ----------------------------------------------------------------------------

_text = st.text(alphabet="abcXYZ -", max_size=6)
_nonempty = st.text(alphabet="abcXYZ", min_size=1, max_size=6)
# Fields a patch may clear, with their possible values.
_CLEARABLE: dict[str, st.SearchStrategy[Any]] = {
    "given_name": _text,
    "family_name": _text,
    "title": _text,
    "department": _text,
    "location": _text,
    "time_zone": st.sampled_from(["UTC", "Europe/Paris", "Asia/Tokyo"]),
    "level": st.integers(0, 100),
    "manager_external_id": st.sampled_from(["E-0", "E-2", "E-3"]),
    "hire_date": st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    "languages": st.lists(st.sampled_from(["en", "fr", "de"]), max_size=3),
    "underrepresented": st.booleans(),
    "demographics": st.none() | st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3)),
    "user_name": _nonempty,
}
_IDENTITY: dict[str, st.SearchStrategy[Any]] = {
    "email": st.sampled_from(["ann@example.com", "Ann@Example.com", "ann.lee@example.org"]),
    "display_name": _nonempty,
}
_VALUES = {
    **_IDENTITY,
    **{name: st.none() | values for name, values in _CLEARABLE.items()},
}
assert set(_VALUES) == set(EMPLOYEE_FIELDS)

partial_patches = st.fixed_dictionaries({}, optional=_VALUES)
full_patches = st.fixed_dictionaries(_VALUES)
# Updates that can never create the person on their own.
anonymous_patches = st.fixed_dictionaries(
    {}, optional={k: v for k, v in _VALUES.items() if k != "email"}
)

# The status each change type leads to, written independently of the source.
_STATUS_OF = {
    HIRED: PersonStatus.ACTIVE,
    REHIRED: PersonStatus.ACTIVE,
    LEAVE_ENDED: PersonStatus.ACTIVE,
    LEAVE_STARTED: PersonStatus.ON_LEAVE,
    TERMINATED: PersonStatus.TERMINATED,
}
only_updates = st.just(UPDATED)
# Mostly plain updates, some lifecycle changes (which also carry the status).
later_types = st.sampled_from(
    [UPDATED, UPDATED, UPDATED, TERMINATED, REHIRED, LEAVE_STARTED, LEAVE_ENDED]
)


@st.composite
def histories(
    draw: st.DrawFn,
    patches: st.SearchStrategy[dict[str, Any]],
    types: st.SearchStrategy[HrisChangeType] = only_updates,
    lowest: int = 0,
) -> list[HrisChange]:
    """One employee's changes in version order: a hire at the lowest version, then more."""
    versions = sorted(draw(st.sets(st.integers(lowest, 10_000), min_size=1, max_size=6)))
    first = change(versions[0], HIRED, **draw(full_patches))
    return [first, *(change(v, draw(types), **draw(patches)) for v in versions[1:])]


def shuffled(
    patches: st.SearchStrategy[dict[str, Any]],
    types: st.SearchStrategy[HrisChangeType] = only_updates,
) -> st.SearchStrategy[tuple[list[HrisChange], list[HrisChange]]]:
    """(history in version order, the same changes in the order they arrive).

    Versions start at 1; version 0 has its own test."""
    return histories(patches, types, lowest=1).flatmap(
        lambda h: st.tuples(st.just(h), st.permutations(h))
    )


def carried(item: HrisChange) -> dict[str, Any]:
    """What a change sets, normalized as profiles stores it (Python names, status included)."""
    values: dict[str, Any] = {}
    for name, value in item.employee.model_dump(exclude_unset=True).items():
        if name == "external_id":
            continue
        if name == "time_zone" and value is None:
            value = "UTC"
        elif name == "languages":
            value = tuple(value or ())
        elif name == "email":
            value = value.lower()
        values[name] = value
    if item.type in _STATUS_OF:
        values["status"] = _STATUS_OF[item.type]
    return values


def expected_after(history: list[HrisChange]) -> PersonRecord:
    """The merge-patch semantics, written independently: fold the patches in version order,
    each field remembering the version that last set it."""
    values: dict[str, Any] = {}
    versions: dict[str, int] = {}
    for item in sorted(history, key=lambda c: c.source_version):
        sets = carried(item)
        values.update(sets)
        versions.update(dict.fromkeys(sets, item.source_version))
    return PersonRecord(
        external_id=EXTERNAL_ID,
        **values,
        source_version=max(versions.values()),
        field_versions=versions,
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


def test_the_expected_record_is_not_vacuous() -> None:
    history = [hire(1, title="A"), change(2, TERMINATED, title="B"), change(3, department="D")]
    assert same(
        expected_after(history),
        PersonRecord(
            EXTERNAL_ID,
            "ann@example.com",
            "Ann",
            title="B",
            department="D",
            status=PersonStatus.TERMINATED,
            source_version=3,
            field_versions={
                "email": 1,
                "display_name": 1,
                "title": 2,
                "status": 2,
                "department": 3,
            },
        ),
    )
    assert same(deliver(history[::-1]), expected_after(history))


@settings(max_examples=100, deadline=None)
@given(history=histories(partial_patches, later_types))
def test_changes_in_version_order_apply_as_merge_patches(history: list[HrisChange]) -> None:
    record: PersonRecord | None = None
    for item in history:
        applied = apply_change(record, item)
        if not carried(item):
            # An update carrying no field has nothing to apply.
            assert applied.outcome is Outcome.STALE
            assert applied.record is record
            continue
        assert applied.outcome not in (Outcome.STALE, Outcome.REJECTED)
        assert applied.record is not None
        assert applied.record.source_version == item.source_version
        record = applied.record
    assert same(record, expected_after(history))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), scenario=shuffled(partial_patches, later_types))
def test_replaying_an_applied_change_is_stale(
    data: st.DataObject, scenario: tuple[list[HrisChange], list[HrisChange]]
) -> None:
    history, arrivals = scenario
    record = deliver(arrivals)
    again = data.draw(st.sampled_from(history))
    applied = apply_change(record, again)
    assert applied.outcome is Outcome.STALE
    assert applied.record is record


@settings(max_examples=100, deadline=None)
@given(
    current=histories(partial_patches, later_types).map(expected_after),
    patch=partial_patches,
    newer=st.booleans(),
    version=st.integers(1, 10_000),  # version 0 has its own test
)
def test_an_update_sets_exactly_the_fields_it_is_newer_for(
    current: PersonRecord, patch: dict[str, Any], newer: bool, version: int
) -> None:
    if newer:
        version = current.source_version + 1
    item = change(version, **patch)
    fresh = {
        name: value
        for name, value in carried(item).items()
        if current.field_versions.get(name, 0) < version
    }
    applied = apply_change(current, item)
    if not fresh:
        assert applied.outcome is Outcome.STALE
        assert applied.record is current
        return
    after = applied.record
    assert after is not None
    for name in RECORD_FIELDS:
        if name in fresh:
            assert getattr(after, name) == fresh[name], f"{name} not set"
        elif name not in _BOOKKEEPING:
            assert getattr(after, name) == getattr(current, name), f"{name} moved"
    assert after.external_id == current.external_id
    assert after.field_versions == {**current.field_versions, **dict.fromkeys(fresh, version)}
    assert after.source_version == max(current.source_version, version)
    differing = {to_camel(n) for n in COMPARED_FIELDS if getattr(after, n) != getattr(current, n)}
    assert set(applied.changed_fields) == differing
    assert list(applied.changed_fields) == sorted(applied.changed_fields)
    assert (applied.outcome is Outcome.UNCHANGED) is (not differing)


@settings(max_examples=100, deadline=None)
@given(scenario=shuffled(partial_patches, later_types))
def test_versions_never_go_back_whatever_the_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    _, arrivals = scenario
    record: PersonRecord | None = None
    for item in arrivals:
        applied = apply_change(record, item)
        if applied.outcome is Outcome.STALE:
            assert applied.record is record
        elif applied.record is not None:
            after = applied.record
            if record is not None:
                assert after.source_version >= record.source_version
                for name, version in record.field_versions.items():
                    assert after.field_versions[name] >= version, f"{name} went back"
            assert after.source_version == max(after.field_versions.values())
            record = after
    assert record is not None  # the hire is complete, whenever it arrives


@settings(max_examples=100, deadline=None)
@given(scenario=shuffled(full_patches, later_types))
def test_full_snapshots_converge_in_any_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    history, arrivals = scenario
    expected = expected_after(history)
    assert same(deliver(arrivals), expected)
    assert same(deliver(history), expected)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), history=histories(anonymous_patches, later_types))
def test_a_late_hire_loses_no_parked_update(data: st.DataObject, history: list[HrisChange]) -> None:
    hire_first, *updates = history
    arrivals = list(updates)
    arrivals.insert(data.draw(st.integers(0, len(updates))), hire_first)
    assert same(deliver(arrivals), expected_after(history))


_LOST_UPDATE = [hire(1), change(2, title="Engineer"), change(3, department="R&D")]
_LATE_HIRE = [
    hire(1, title="Engineer", department="R&D"),
    change(2, TERMINATED),
    change(3, email="ann.lee@example.com", display_name="Ann Lee", title="CTO"),
]


@settings(max_examples=150, deadline=None)
@example(scenario=(_LOST_UPDATE, [_LOST_UPDATE[0], _LOST_UPDATE[2], _LOST_UPDATE[1]]))
@example(scenario=(_LATE_HIRE, _LATE_HIRE[::-1]))
@given(scenario=shuffled(partial_patches, later_types))
def test_partial_patches_converge_in_any_order(
    scenario: tuple[list[HrisChange], list[HrisChange]],
) -> None:
    history, arrivals = scenario
    assert same(deliver(arrivals), expected_after(history))
