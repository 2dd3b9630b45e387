"""`apply_change`, case by case: how one HRIS change creates, patches, ages out or moves the
lifecycle of a person's record.

HRIS changes are JSON merge patches, and each field keeps the sourceVersion that last set it:
a change sets a field only if it is newer than what set that field (last writer wins per field,
by version). The properties that follow from it are in test_profiles_people_convergence.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from contracts.hris import HrisChange, HrisChangeType
from contracts.people import PersonStatus
from profiles.domain.people import DEFAULT_TIME_ZONE, Outcome, PersonRecord, apply_change
from pydantic.alias_generators import to_camel

from services.profiles.tests.unit.people_changes import (
    COMPARED_FIELDS,
    EXTERNAL_ID,
    HIRED,
    LEAVE_ENDED,
    LEAVE_STARTED,
    REHIRED,
    TERMINATED,
    UPDATED,
    applied_in_turn,
    change,
    deliver,
    hire,
    hired,
    same,
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
