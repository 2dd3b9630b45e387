"""Merge deliveries: the signature scheme (recorded vectors, negatives) and how an Employee
record becomes a canonical change (pure parts; the identity map has its own tests)."""

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from contracts.hris import HrisChangeType
from gateway.hris import merge
from gateway.hris.delivery import (
    InvalidDelivery,
    MalformedDelivery,
    UnsealedConnection,
    VerificationFailed,
    epoch_ms,
    validated_changes,
)
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

KEY = "merge-org-signature-key"
NOW = datetime(2021, 10, 16, 0, 5, tzinfo=UTC)

# Captured body and its signature as computed by OpenSSL (an implementation independent of
# ours): `openssl dgst -sha256 -hmac KEY -binary body | base64 | tr '+/' '-_'`.
RECORDED_BODY = (
    b'{"hook":{"id":"5b6a8f36-4d8e-4b43-9b21-1f4f0b4c8e27","event":"Employee.changed",'
    b'"target":"https://cairn.example/webhooks/hris/hc_x/merge"},"data":{"id":'
    b'"0958cbc6-6040-430a-848e-aafacbadf4ae","remote_id":"19202938",'
    b'"modified_at":"2021-10-16T00:00:00Z"}}'
)
RECORDED_SIGNATURE = "VPZRcCweqlgjdr4oFwpyCBk51F3fxdFrBc1TyoGXKC0="

# Merge's documented Employee example (docs.merge.dev, "The Employee object"), as a
# `Employee.changed` webhook sends it: related objects are ids unless expanded.
EMPLOYEE: dict[str, Any] = {
    "id": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "remote_id": "19202938",
    "employee_number": "2",
    "company": "8d9fd929-436c-4fd4-a48b-0c61f68d6178",
    "first_name": "Greg",
    "last_name": "Hirsch",
    "preferred_name": "Greg the Egg",
    "display_full_name": "Cousin Greg Hirsch",
    "username": "cousingreg",
    "groups": ["21a54124-397f-494d-985e-3c5b330b8a68"],
    "work_email": "greg@merge.dev",
    "personal_email": "greg@gmail.com",
    "mobile_phone_number": "+1234567890",
    "employments": ["17a54124-287f-494d-965e-3c5b330c9a68"],
    "home_location": "d2f972d0-2526-434b-9409-4c3b468e08f0",
    "work_location": "9efbc633-3387-4306-aa55-e2c635e6bb4f",
    "manager": "0048ea5b-911e-4dff-9364-92070dea62ff",
    "team": "249c9faa-3045-4a31-953b-8f22d3613301",
    "pay_group": "ad1264e2-6a8c-4b4e-8b0b-9c8b9d5b0cc2",
    "gender": "MALE",
    "date_of_birth": "1990-11-10T00:00:00Z",
    "hire_date": "2020-10-10T00:00:00Z",
    "start_date": "2020-10-11T00:00:00Z",
    "remote_created_at": "2020-10-11T00:00:00Z",
    "employment_status": "ACTIVE",
    "termination_date": None,
    "avatar": "http://alturl.com/h2h8m",
    "custom_fields": {},
    "remote_was_deleted": False,
    "modified_at": "2021-10-16T00:00:00Z",
    "field_mappings": {"organization_defined_targets": {}, "linked_account_defined_targets": {}},
    "remote_data": [{"path": "/people", "data": {"example": "raw"}}],
}
LINKED_ACCOUNT = {
    "id": "3e8b8a1c-7f3c-4c22-8d3e-3d2d4f5d7a10",
    "integration": "BambooHR",
    "integration_slug": "bamboohr",
    "category": "hris",
    "end_user_origin_id": "acme-1",
    "end_user_organization_name": "Acme",
}
MANAGER_HRIS_ID = "19200001"


def connection(key: str = KEY) -> UnsealedConnection:
    return UnsealedConnection(id="hc_test", tenant_id="t1", provider="merge", signing_secret=key)


def sign(body: bytes, key: str = KEY) -> str:
    """Merge's scheme, computed here from its description, not with the code under test."""
    mac = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()


def headers(signature: str | None) -> Headers:
    return Headers({} if signature is None else {"X-Merge-Webhook-Signature": signature})


def delivery(event: str = "Employee.changed", **data: Any) -> dict[str, Any]:
    return {
        "hook": {"id": "hook-config-1", "event": event, "target": "https://cairn.example/x"},
        "linked_account": LINKED_ACCOUNT,
        "data": {**copy.deepcopy(EMPLOYEE), **data},
    }


def parsed(payload: dict[str, Any]) -> merge.MergeDelivery:
    return merge.parse(json.dumps(payload).encode(), Headers({}))


def change_of(
    payload: dict[str, Any], known: dict[str, str] | None = None, delivery_id: str = "d1"
) -> dict[str, Any]:
    return merge.employee_change(parsed(payload), delivery_id, "19202938", known or {})


# --- verification ---------------------------------------------------------------------------


def test_the_recorded_vector_verifies_with_and_without_padding() -> None:
    assert sign(RECORDED_BODY) == RECORDED_SIGNATURE  # our helper agrees with OpenSSL
    for presented in (RECORDED_SIGNATURE, RECORDED_SIGNATURE.rstrip("=")):
        verified = merge.verify(RECORDED_BODY, headers(presented), connection(), NOW)
        # Merge says the signature is the unique key of an event: the id derives from it,
        # whichever padding was sent.
        unpadded = RECORDED_SIGNATURE.rstrip("=").encode()
        assert verified.delivery_id == hashlib.sha256(unpadded).hexdigest()


@pytest.mark.parametrize(
    ("body", "presented", "key"),
    [
        pytest.param(RECORDED_BODY, RECORDED_SIGNATURE, "another-key", id="wrong key"),
        pytest.param(RECORDED_BODY + b" ", RECORDED_SIGNATURE, KEY, id="tampered body"),
        pytest.param(RECORDED_BODY, None, KEY, id="missing header"),
        pytest.param(RECORDED_BODY, "", KEY, id="empty header"),
        pytest.param(RECORDED_BODY, "not base64 at all!", KEY, id="malformed header"),
        pytest.param(RECORDED_BODY, "sha256=" + RECORDED_SIGNATURE, KEY, id="prefixed"),
        pytest.param(RECORDED_BODY, "Ü" + RECORDED_SIGNATURE, KEY, id="non-ascii header"),
        pytest.param(
            RECORDED_BODY,
            hmac.new(KEY.encode(), RECORDED_BODY, hashlib.sha256).hexdigest(),
            KEY,
            id="the right MAC in hex",
        ),
    ],
)
def test_a_delivery_that_does_not_verify_is_refused(
    body: bytes, presented: str | None, key: str
) -> None:
    with pytest.raises(VerificationFailed):
        merge.verify(body, headers(presented), connection(key), NOW)


@given(body=st.binary(max_size=512), key=st.text(min_size=1, max_size=64))
def test_any_body_signed_with_the_key_verifies_and_a_changed_byte_does_not(
    body: bytes, key: str
) -> None:
    signature = sign(body, key)
    merge.verify(body, headers(signature), connection(key), NOW)
    tampered = body + b"\x00" if not body else bytes([body[0] ^ 1]) + body[1:]
    with pytest.raises(VerificationFailed):
        merge.verify(tampered, headers(signature), connection(key), NOW)


# --- parsing --------------------------------------------------------------------------------


def test_malformed_json_is_a_400_naming_the_body() -> None:
    with pytest.raises(MalformedDelivery) as caught:
        merge.parse(b'{"hook": ', Headers({}))
    assert caught.value.status == 400
    assert caught.value.detail.startswith("body:")


def test_an_event_this_endpoint_does_not_take_is_named() -> None:
    with pytest.raises(InvalidDelivery) as caught:
        parsed(delivery("LinkedAccount.synced"))
    assert caught.value.status == 422
    assert [e["field"] for e in caught.value.errors] == ["hook.event"]
    assert "Employee.added" in caught.value.errors[0]["message"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"modified_at": None}, "data.modified_at"),
        ({"work_email": "not-an-email"}, "data.work_email"),
        ({"employment_status": "RETIRED"}, "data.employment_status"),
        ({"id": ""}, "data.id"),
    ],
)
def test_invalid_employee_fields_are_named_as_merge_calls_them(
    data: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidDelivery) as caught:
        parsed(delivery(**data))
    assert [e["field"] for e in caught.value.errors] == [field]


# --- normalization --------------------------------------------------------------------------


def test_a_changed_employee_from_the_docs_becomes_a_full_update() -> None:
    change = change_of(delivery(), {EMPLOYEE["manager"]: MANAGER_HRIS_ID}, delivery_id="abc")
    assert change == {
        "id": "merge:abc",
        "type": "employee.rehired",  # ACTIVE in the whole record: active as of this version
        "effectiveAt": "2021-10-16T00:00:00+00:00",
        "sourceVersion": epoch_ms(datetime(2021, 10, 16, tzinfo=UTC)),
        "employee": {
            "externalId": "19202938",
            "givenName": "Greg",
            "familyName": "Hirsch",
            "email": "greg@merge.dev",
            "displayName": "Cousin Greg Hirsch",
            "managerExternalId": MANAGER_HRIS_ID,
            "hireDate": "2020-10-11",
        },
    }
    # Title, department and location came as ids: nothing is said about them.
    [validated] = validated_changes([change], {})
    assert validated.type is HrisChangeType.REHIRED
    assert validated.source_version == 1634342400000
    assert "title" not in validated.employee.model_fields_set


def test_a_manager_not_learned_yet_is_left_out_and_no_manager_clears_it() -> None:
    assert "managerExternalId" not in change_of(delivery())["employee"]
    assert change_of(delivery(manager=None))["employee"]["managerExternalId"] is None


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("Employee.added", {}, HrisChangeType.HIRED),
        ("Employee.added", {"employment_status": "PENDING"}, HrisChangeType.HIRED),
        ("Employee.changed", {}, HrisChangeType.REHIRED),  # the docs' example is ACTIVE
        ("Employee.changed", {"employment_status": "PENDING"}, HrisChangeType.UPDATED),
        ("Employee.changed", {"employment_status": None}, HrisChangeType.UPDATED),
        ("Employee.changed", {"employment_status": "INACTIVE"}, HrisChangeType.TERMINATED),
        ("Employee.changed", {"remote_was_deleted": True}, HrisChangeType.TERMINATED),
        ("Employee.removed", {}, HrisChangeType.TERMINATED),
        ("Employee.added", {"employment_status": "INACTIVE"}, HrisChangeType.TERMINATED),
    ],
)
def test_the_change_type_follows_the_event_and_the_status(
    event: str, data: dict[str, Any], expected: HrisChangeType
) -> None:
    assert change_of(delivery(event, **data))["type"] == expected.value


def test_a_termination_takes_effect_on_its_date_and_a_hire_on_its_start() -> None:
    ended = change_of(
        delivery(employment_status="INACTIVE", termination_date="2021-10-29T00:00:00Z")
    )
    assert ended["effectiveAt"] == "2021-10-29T00:00:00+00:00"
    started = change_of(delivery("Employee.added"))
    assert started["effectiveAt"] == "2020-10-11T00:00:00+00:00"


def test_expanded_employments_groups_and_location_give_title_department_and_place() -> None:
    change = change_of(
        delivery(
            employments=[
                {"job_title": "Analyst", "effective_date": "2019-01-01T00:00:00Z"},
                {"job_title": "Senior Analyst", "effective_date": "2021-06-01T00:00:00Z"},
            ],
            groups=[
                {"name": "Waystar Royco", "type": "BUSINESS_UNIT"},
                {"name": "Finance", "type": "DEPARTMENT"},
            ],
            work_location={"name": "New York HQ", "city": "New York"},
        )
    )
    employee = change["employee"]
    assert (employee["title"], employee["department"], employee["location"]) == (
        "Senior Analyst",
        "Finance",
        "New York HQ",
    )
    cleared = change_of(delivery(groups=[{"name": "Royco", "type": "TEAM"}], work_location=None))
    assert cleared["employee"]["department"] is None
    assert cleared["employee"]["location"] is None


def test_email_and_name_that_merge_lacks_are_left_out_not_cleared() -> None:
    employee = change_of(delivery(work_email=None, display_full_name=None))["employee"]
    assert "email" not in employee
    assert employee["displayName"] == "Greg the Egg Hirsch"


def test_a_hire_without_a_work_email_is_refused_naming_merge_fields() -> None:
    change = change_of(delivery("Employee.added", work_email=None))
    with pytest.raises(InvalidDelivery) as caught:
        merge.checked(change)
    assert [e["field"] for e in caught.value.errors] == ["data.work_email"]
    assert merge.checked(change_of(delivery("Employee.added"))).type is HrisChangeType.HIRED


def test_a_manager_link_carries_the_version_that_named_the_manager() -> None:
    from gateway.hris.identities import PendingManager

    link = merge.manager_link(
        PendingManager("R-1", 1634342400000, "m-1", datetime(2021, 10, 16, tzinfo=UTC)), "M-1"
    )
    assert link == {
        "id": "merge-manager:R-1:1634342400000",
        "type": "employee.updated",
        "effectiveAt": "2021-10-16T00:00:00+00:00",
        "sourceVersion": 1634342400000,
        "employee": {"externalId": "R-1", "managerExternalId": "M-1"},
    }


_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(earlier=_MOMENTS, later=_MOMENTS)
def test_the_version_is_the_modification_time_in_milliseconds(
    earlier: datetime, later: datetime
) -> None:
    earlier, later = sorted((earlier, later))
    versions = [
        change_of(delivery(modified_at=m.isoformat()))["sourceVersion"] for m in (earlier, later)
    ]
    assert versions[0] == int(earlier.timestamp()) * 1000 + earlier.microsecond // 1000
    assert versions[0] <= versions[1]


@given(signature=st.text(min_size=1, max_size=60))
def test_a_redelivery_keeps_its_change_id_and_another_delivery_gets_another(
    signature: str,
) -> None:
    def change_id(presented: str) -> str:
        return str(
            change_of(delivery(), delivery_id=hashlib.sha256(presented.encode()).hexdigest())["id"]
        )

    assert change_id(signature) == change_id(signature) != change_id(signature + "x")


def test_a_value_the_canonical_model_refuses_is_named_as_merge_calls_it() -> None:
    with pytest.raises(InvalidDelivery) as caught:
        merge.checked(change_of(delivery(first_name="G" * 300)))
    assert [e["field"] for e in caught.value.errors] == ["data.first_name"]
