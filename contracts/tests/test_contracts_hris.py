"""`HrisChange`: the canonical org change every HRIS channel is normalized to."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from contracts.hris import EmployeeRecord, HrisChange, HrisChangeReceived, HrisChangeType
from contracts.text import unstorable_reason
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import topics


def _payload(change_type: str = "employee.updated", **employee: Any) -> dict[str, Any]:
    return {
        "id": "chg-1",
        "type": change_type,
        "effectiveAt": "2024-03-01T09:00:00+01:00",
        "sourceVersion": 7,
        "employee": {"externalId": "E-1", **employee},
    }


def _error_locs(error: ValidationError) -> list[tuple[int | str, ...]]:
    return [e["loc"] for e in error.errors()]


# --- a hire must be complete -------------------------------------------------------------


def test_a_complete_hire_is_accepted() -> None:
    change = HrisChange.model_validate(
        _payload("employee.hired", email="ann@example.com", displayName="Ann")
    )
    assert change.type is HrisChangeType.HIRED
    assert change.employee.email == "ann@example.com"
    assert change.employee.display_name == "Ann"
    assert change.effective_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert change.source_version == 7


def test_a_hire_without_email_is_rejected_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload("employee.hired", displayName="Ann"))
    message = str(caught.value)
    assert "employee.hired needs employee.email" in message
    assert "employee.displayName" not in message


def test_a_hire_without_display_name_is_rejected_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload("employee.hired", email="ann@example.com"))
    message = str(caught.value)
    assert "employee.hired needs employee.displayName" in message
    assert "employee.email" not in message


def test_a_hire_with_neither_names_both() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload("employee.hired"))
    assert "needs employee.email, employee.displayName" in str(caught.value)


def test_a_hire_with_null_email_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"employee\.email"):
        HrisChange.model_validate(_payload("employee.hired", email=None, displayName="Ann"))


@pytest.mark.parametrize(
    "change_type",
    [t.value for t in HrisChangeType if t is not HrisChangeType.HIRED],
)
def test_other_changes_only_need_the_external_id(change_type: str) -> None:
    change = HrisChange.model_validate(_payload(change_type))
    assert change.type == change_type
    assert change.employee.external_id == "E-1"
    assert change.employee.patch() == {}


def test_an_empty_external_id_is_rejected() -> None:
    payload = _payload()
    payload["employee"]["externalId"] = ""
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(payload)
    assert ("employee", "externalId") in _error_locs(caught.value)


def test_an_unknown_change_type_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload("employee.promoted"))
    assert ("type",) in _error_locs(caught.value)


def test_a_negative_source_version_is_rejected() -> None:
    payload = _payload()
    payload["sourceVersion"] = -1
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(payload)
    assert ("sourceVersion",) in _error_locs(caught.value)


def test_an_invalid_email_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload(email="not-an-email"))
    assert ("employee", "email") in _error_locs(caught.value)


@pytest.mark.parametrize("level", [-1, 101])
def test_level_is_bounded(level: int) -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload(level=level))
    assert ("employee", "level") in _error_locs(caught.value)


# --- time zones and times ------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_an_iana_time_zone_is_accepted(zone: str) -> None:
    assert HrisChange.model_validate(_payload(timeZone=zone)).employee.time_zone == zone


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus_Mons",
        "",
        "../etc/passwd",
        "/etc/localtime",
        "America",  # a folder of the tz database, not a zone
        "Europe/",
        "posixrules",
        "europe/paris",
    ],
)
def test_an_invalid_time_zone_is_rejected_naming_it(zone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(_payload(timeZone=zone))
    assert _error_locs(caught.value) == [("employee", "timeZone")]
    assert f"{zone!r} is not an IANA time zone" in str(caught.value)


def test_the_host_local_time_is_not_an_iana_time_zone() -> None:
    with pytest.raises(ValidationError) as caught:
        EmployeeRecord(external_id="E-1", time_zone="localtime")
    assert "'localtime' is not an IANA time zone" in str(caught.value)


def test_a_time_zone_directory_is_rejected_as_a_value_error() -> None:
    with pytest.raises(ValidationError) as caught:
        EmployeeRecord(external_id="E-1", time_zone="America")
    (error,) = caught.value.errors()
    assert error["type"] == "value_error"
    assert error["loc"] == ("time_zone",)
    assert "'America' is not an IANA time zone" in error["msg"]


def test_a_naive_effective_at_is_rejected() -> None:
    payload = _payload()
    payload["effectiveAt"] = "2024-03-01T09:00:00"
    with pytest.raises(ValidationError) as caught:
        HrisChange.model_validate(payload)
    assert caught.value.errors()[0]["type"] == "timezone_aware"
    assert _error_locs(caught.value) == [("effectiveAt",)]


def test_an_aware_effective_at_keeps_its_offset() -> None:
    change = HrisChange.model_validate(_payload())
    assert change.effective_at.utcoffset() == timedelta(hours=1)


# --- merge patch: absent vs null -----------------------------------------------------------


def test_patch_leaves_absent_fields_out_and_keeps_nulls() -> None:
    change = HrisChange.model_validate(_payload(title=None, department="R&D"))
    assert change.employee.patch() == {"title": None, "department": "R&D"}


def test_patch_uses_python_names_and_omits_the_external_id() -> None:
    record = EmployeeRecord.model_validate(
        {"externalId": "E-1", "managerExternalId": None, "hireDate": "2020-01-31", "level": 3}
    )
    assert record.patch() == {
        "manager_external_id": None,
        "hire_date": date(2020, 1, 31),
        "level": 3,
    }


def test_patch_of_fields_set_by_python_name_matches_the_alias_form() -> None:
    by_name = EmployeeRecord(external_id="E-1", time_zone=None, given_name="Ann")
    by_alias = EmployeeRecord.model_validate(
        {"externalId": "E-1", "timeZone": None, "givenName": "Ann"}
    )
    assert by_name.patch() == by_alias.patch() == {"time_zone": None, "given_name": "Ann"}


def test_a_record_with_only_the_external_id_patches_nothing() -> None:
    assert EmployeeRecord(external_id="E-1").patch() == {}


# --- wire format ---------------------------------------------------------------------------


def test_dump_by_alias_is_camel_case() -> None:
    change = HrisChange.model_validate(
        _payload(
            "employee.hired",
            email="ann@example.com",
            displayName="Ann",
            timeZone="Europe/Paris",
            managerExternalId="E-0",
            hireDate="2024-03-01",
        )
    )
    dumped = change.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert set(dumped) == {"id", "type", "effectiveAt", "sourceVersion", "employee"}
    assert dumped["employee"] == {
        "externalId": "E-1",
        "email": "ann@example.com",
        "displayName": "Ann",
        "timeZone": "Europe/Paris",
        "managerExternalId": "E-0",
        "hireDate": "2024-03-01",
    }
    assert HrisChange.model_validate(dumped) == change


def test_unknown_fields_are_ignored() -> None:
    payload = _payload(shoeSize=44, title="Lead")
    payload["priority"] = "high"
    change = HrisChange.model_validate(payload)
    assert change.employee.title == "Lead"
    assert "shoeSize" not in change.employee.model_dump(by_alias=True)
    assert "priority" not in change.model_dump(by_alias=True)
    assert change.employee.patch() == {"title": "Lead"}


def test_received_event_is_keyed_by_the_employee() -> None:
    change = HrisChange.model_validate(_payload())
    event = HrisChangeReceived(
        connection_id="hc_1",
        channel="webhook",
        received_at=datetime(2024, 3, 1, tzinfo=UTC),
        change=change,
    )
    assert event.partition_key() == "E-1"
    assert HrisChangeReceived.event_type == "hris.change.received"
    assert HrisChangeReceived.topic == topics.HRIS_CHANGES
    assert event.model_dump(by_alias=True)["connectionId"] == "hc_1"


# --- the version fits the 64-bit integer every consumer stores it in ------------------------


@pytest.mark.parametrize("version", [-1, 2**63, 2**64])
def test_a_source_version_outside_0_to_2_63_minus_1_is_refused(version: int) -> None:
    with pytest.raises(ValidationError) as refused:
        HrisChange.model_validate({**_payload(), "sourceVersion": version})
    assert _error_locs(refused.value) == [("sourceVersion",)]


def test_the_largest_source_version_is_taken() -> None:
    change = HrisChange.model_validate({**_payload(), "sourceVersion": 2**63 - 1})
    assert change.source_version == 2**63 - 1


@given(
    field=st.sampled_from(["externalId", "displayName", "title", "department", "userName"]),
    bad=st.sampled_from(["\x00", "\ud800", "\udfff"]),
    around=st.text(max_size=5).filter(lambda t: unstorable_reason(t) is None),
)
def test_text_no_database_stores_is_refused_naming_the_field(
    field: str, bad: str, around: str
) -> None:
    record = {"externalId": "E1", field: around + bad + around}
    with pytest.raises(ValidationError) as refused:
        EmployeeRecord.model_validate(record)
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]
    assert EmployeeRecord.model_validate({"externalId": "E1", field: around or "x"})
