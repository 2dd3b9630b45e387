"""BambooHR deliveries: the signature scheme (recorded vector, negatives, the 5-minute
window), parsing, and the employee fetch against a local server that answers like BambooHR's
API (`GET {apiBase}/v1/employees/{id}?fields=…`, HTTP Basic with the API key)."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from contracts.hris import HrisChangeType
from gateway.hris import bamboohr
from gateway.hris.delivery import (
    FetchContext,
    InvalidDelivery,
    MalformedDelivery,
    SourceUnavailable,
    UnsealedConnection,
    UnsupportedMediaType,
    VerificationFailed,
    Verified,
    validated_changes,
)
from hypothesis import given
from hypothesis import strategies as st
from messaging.broker import free_port
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Only the fetch tests are async; they share the session loop with the local server.
on_session_loop = pytest.mark.asyncio(loop_scope="session")

KEY = "bamboo-private-key"
# Captured body and timestamp, signed by OpenSSL (independent of our code):
# `printf '%s%s' BODY 1700000000 | openssl dgst -sha256 -hmac KEY`.
RECORDED_BODY = (
    b'{"type":"employee.updated","timestamp":"2023-11-14T22:13:20+0000","data":'
    b'{"companyId":1,"employeeId":"101","changedFields":["jobTitle"]}}'
)
RECORDED_TIMESTAMP = "1700000000"
RECORDED_SIGNATURE = "f21bea97392f73c6f39be5fa380ddcc6dfe6ba57bb57e77f3cf463639048ee4c"
SENT_AT = datetime.fromtimestamp(1_700_000_000, UTC)
OBSERVED_AT = SENT_AT + timedelta(seconds=2, milliseconds=345)  # when we asked BambooHR
DELIVERY = hashlib.sha256(RECORDED_SIGNATURE.encode()).hexdigest()
API_KEY = "bamboo-api-key"

# Shaped like BambooHR's answer to GET /v1/employees/{id}?fields=… (strings; "" for empty).
ADA = {
    "id": "101",
    "firstName": "Ada",
    "lastName": "Obi",
    "displayName": "Ada Obi",
    "workEmail": "ada@acme-corp.com",
    "jobTitle": "Engineer",
    "department": "Platform",
    "location": "Berlin",
    "supervisorEId": "100",
    "status": "Active",
    "hireDate": "2021-03-01",
}


def connection(key: str = KEY, settings: dict[str, Any] | None = None) -> UnsealedConnection:
    return UnsealedConnection(
        id="hc_bamboo", tenant_id="t1", provider="bamboohr", signing_secret=key, settings=settings
    )


def sign(body: bytes, timestamp: str, key: str = KEY) -> str:
    """BambooHR's scheme, from its description: hex HMAC-SHA256 of body then timestamp."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def headers(signature: str | None, timestamp: str | None) -> Headers:
    raw = {"Content-Type": "application/json"}
    if signature is not None:
        raw["X-BambooHR-Signature"] = signature
    if timestamp is not None:
        raw["X-BambooHR-Timestamp"] = timestamp
    return Headers(raw)


def event(kind: str = "employee.updated", employee_id: Any = "101") -> bamboohr.BambooHREvent:
    return bamboohr.BambooHREvent.model_validate(
        {"type": kind, "data": {"companyId": 1, "employeeId": employee_id}}
    )


# --- verification ---------------------------------------------------------------------------


def test_the_recorded_vector_verifies_inside_the_window() -> None:
    assert sign(RECORDED_BODY, RECORDED_TIMESTAMP) == RECORDED_SIGNATURE
    for now in (
        SENT_AT,
        SENT_AT + timedelta(minutes=4, seconds=59),
        SENT_AT - timedelta(minutes=4),
    ):
        verified = bamboohr.verify(
            RECORDED_BODY, headers(RECORDED_SIGNATURE, RECORDED_TIMESTAMP), connection(), now
        )
        assert verified.sent_at == SENT_AT
    upper = RECORDED_SIGNATURE.upper()
    assert (
        bamboohr.verify(
            RECORDED_BODY, headers(upper, RECORDED_TIMESTAMP), connection(), SENT_AT
        ).delivery_id
        == hashlib.sha256(RECORDED_SIGNATURE.encode()).hexdigest()
    )


def test_an_iso_timestamp_is_signed_as_sent() -> None:
    stamp = "2023-11-14T22:13:20+00:00"
    verified = bamboohr.verify(
        RECORDED_BODY, headers(sign(RECORDED_BODY, stamp), stamp), connection(), SENT_AT
    )
    assert verified.sent_at == SENT_AT


@pytest.mark.parametrize(
    ("body", "signature", "timestamp", "key", "now"),
    [
        pytest.param(
            RECORDED_BODY, RECORDED_SIGNATURE, RECORDED_TIMESTAMP, "other", SENT_AT, id="wrong key"
        ),
        pytest.param(
            RECORDED_BODY + b" ",
            RECORDED_SIGNATURE,
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT,
            id="tampered body",
        ),
        pytest.param(
            RECORDED_BODY, RECORDED_SIGNATURE, "1700000001", KEY, SENT_AT, id="tampered timestamp"
        ),
        pytest.param(
            RECORDED_BODY,
            RECORDED_SIGNATURE,
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT + timedelta(minutes=5, seconds=1),
            id="stale",
        ),
        pytest.param(
            RECORDED_BODY,
            RECORDED_SIGNATURE,
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT - timedelta(minutes=6),
            id="from the future",
        ),
        pytest.param(RECORDED_BODY, None, RECORDED_TIMESTAMP, KEY, SENT_AT, id="missing signature"),
        pytest.param(RECORDED_BODY, RECORDED_SIGNATURE, None, KEY, SENT_AT, id="missing timestamp"),
        pytest.param(
            RECORDED_BODY, "zz" * 32, RECORDED_TIMESTAMP, KEY, SENT_AT, id="malformed signature"
        ),
        pytest.param(
            RECORDED_BODY,
            "sha256=" + RECORDED_SIGNATURE,
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT,
            id="prefixed",
        ),
        pytest.param(
            RECORDED_BODY, RECORDED_SIGNATURE, "yesterday", KEY, SENT_AT, id="malformed timestamp"
        ),
        pytest.param(
            RECORDED_BODY,
            sign(RECORDED_TIMESTAMP.encode(), RECORDED_BODY.decode()),
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT,
            id="timestamp then body",
        ),
        pytest.param(
            RECORDED_BODY,
            base64.b64encode(bytes.fromhex(RECORDED_SIGNATURE)).decode(),
            RECORDED_TIMESTAMP,
            KEY,
            SENT_AT,
            id="the right MAC in base64",
        ),
    ],
)
def test_a_delivery_that_does_not_verify_is_refused(
    body: bytes, signature: str | None, timestamp: str | None, key: str, now: datetime
) -> None:
    with pytest.raises(VerificationFailed):
        bamboohr.verify(body, headers(signature, timestamp), connection(key), now)


@given(body=st.binary(max_size=512), key=st.text(min_size=1, max_size=64))
def test_any_signed_body_verifies_and_a_changed_byte_does_not(body: bytes, key: str) -> None:
    signature = sign(body, RECORDED_TIMESTAMP, key)
    bamboohr.verify(body, headers(signature, RECORDED_TIMESTAMP), connection(key), SENT_AT)
    tampered = body + b"\x00" if not body else bytes([body[-1] ^ 1]) + body[:-1]
    with pytest.raises(VerificationFailed):
        bamboohr.verify(tampered, headers(signature, RECORDED_TIMESTAMP), connection(key), SENT_AT)


# --- parsing --------------------------------------------------------------------------------


def test_the_recorded_notification_parses() -> None:
    parsed = bamboohr.parse(RECORDED_BODY, headers(None, None))
    assert (parsed.type, parsed.data.employee_id, parsed.data.changed_fields) == (
        "employee.updated",
        "101",
        ["jobTitle"],
    )
    assert event(employee_id=101).data.employee_id == "101"


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", None]
)
def test_anything_but_json_is_a_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        bamboohr.parse(
            b"employees[0][id]=101",
            Headers({"Content-Type": content_type} if content_type else {}),
        )
    assert caught.value.status == 415


def test_malformed_json_is_a_400() -> None:
    with pytest.raises(MalformedDelivery) as caught:
        bamboohr.parse(b'{"type": ', headers(None, None))
    assert caught.value.detail.startswith("body:")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "employee.promoted", "data": {"employeeId": "1"}}, "type"),
        ({"type": "employee.updated", "data": {}}, "data.employeeId"),
        ({"type": "employee.updated", "data": {"employeeId": "../../admin"}}, "data.employeeId"),
        ({"type": "employee.updated"}, "data"),
    ],
)
def test_an_invalid_notification_is_named(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidDelivery) as caught:
        bamboohr.parse(json.dumps(payload).encode(), headers(None, None))
    assert [e["field"] for e in caught.value.errors] == [field]


# --- normalization (pure) -------------------------------------------------------------------


def test_a_fetched_record_becomes_a_whole_change_versioned_by_when_it_was_fetched() -> None:
    change = bamboohr.employee_change(event("employee.created"), DELIVERY, OBSERVED_AT, ADA)
    assert change == {
        "id": f"bamboohr:101:1700000002345:{DELIVERY[:16]}",
        "type": "employee.hired",
        # The record is BambooHR's state when we asked for it.
        "effectiveAt": OBSERVED_AT.isoformat(),
        "sourceVersion": 1_700_000_002_345,
        "employee": {
            "externalId": "101",
            "givenName": "Ada",
            "familyName": "Obi",
            "title": "Engineer",
            "department": "Platform",
            "location": "Berlin",
            "managerExternalId": "100",
            "hireDate": "2021-03-01",
            "email": "ada@acme-corp.com",
            "displayName": "Ada Obi",
        },
    }
    [validated] = validated_changes([change], {})
    assert validated.type is HrisChangeType.HIRED


@given(gap_ms=st.integers(min_value=1, max_value=10**9))
def test_a_later_fetch_is_a_newer_change_even_for_the_same_notification(gap_ms: int) -> None:
    first = bamboohr.employee_change(event(), DELIVERY, OBSERVED_AT, ADA)
    later = OBSERVED_AT + timedelta(milliseconds=gap_ms)
    again = bamboohr.employee_change(event(), DELIVERY, later, ADA)
    # A notification fetched again (its first fetch may predate a second change in the same
    # second: the bytes cannot tell) is a change of its own, newer by exactly the time between
    # the fetches.
    assert again["sourceVersion"] - first["sourceVersion"] == gap_ms
    assert again["id"] != first["id"]
    assert again["employee"] == first["employee"]


@given(after_ms=st.integers(min_value=-(10**6), max_value=10**6))
def test_a_fetch_settles_the_notification_once_it_began_a_second_after_it_was_signed(
    after_ms: int,
) -> None:
    verified = Verified(DELIVERY, sent_at=SENT_AT)
    observed_at = SENT_AT + timedelta(milliseconds=after_ms)
    fetched = bamboohr.Fetched(event(), observed_at, ADA)
    # Before that, a change notified in the same second may have come after the fetch: a
    # redelivery is fetched again.
    assert bamboohr.settles(verified, fetched) is (after_ms >= 1000)


def test_a_deletion_settles_at_once_and_an_unsigned_moment_never() -> None:
    deleted = bamboohr.Fetched(event("employee.deleted"), SENT_AT, None)
    assert bamboohr.settles(Verified(DELIVERY, sent_at=SENT_AT), deleted)
    updated = bamboohr.Fetched(event(), SENT_AT + timedelta(hours=1), ADA)
    assert not bamboohr.settles(Verified(DELIVERY), updated)


def test_empty_values_clear_but_email_and_name_are_never_cleared() -> None:
    sparse = {**ADA, "jobTitle": "", "supervisorEId": None, "hireDate": "0000-00-00"}
    sparse.update(workEmail="", displayName="")
    employee = bamboohr.employee_change(event(), DELIVERY, OBSERVED_AT, sparse)["employee"]
    assert employee["title"] is None and employee["managerExternalId"] is None
    assert employee["hireDate"] is None
    assert "email" not in employee
    assert employee["displayName"] == "Ada Obi"  # from first and last name


@pytest.mark.parametrize(
    ("kind", "record", "expected"),
    [
        ("employee.updated", ADA, HrisChangeType.REHIRED),  # Active: active as of now
        ("employee.updated", {**ADA, "status": None}, HrisChangeType.UPDATED),
        ("employee.updated", {**ADA, "status": "Inactive"}, HrisChangeType.TERMINATED),
        ("employee.created", {**ADA, "status": "Inactive"}, HrisChangeType.TERMINATED),
        ("employee.updated", {**ADA, "status": "On leave"}, HrisChangeType.UPDATED),
        ("employee.deleted", None, HrisChangeType.TERMINATED),
    ],
)
def test_the_type_follows_the_notification_and_the_fetched_status(
    kind: str, record: dict[str, Any] | None, expected: HrisChangeType
) -> None:
    change = bamboohr.employee_change(event(kind), DELIVERY, OBSERVED_AT, record)
    assert change["type"] == expected.value
    if record is None:
        assert change["employee"] == {"externalId": "101"}


@pytest.mark.parametrize("kind", ["employee.created", "employee.updated"])
def test_only_a_deletion_comes_without_a_record(kind: str) -> None:
    # A fetch that found no employee is a connection error, never a termination.
    with pytest.raises(ValueError, match="needs the fetched employee"):
        bamboohr.employee_change(event(kind), DELIVERY, OBSERVED_AT, None)


def test_a_fetched_value_the_canonical_model_refuses_is_named_as_bamboohr_calls_it() -> None:
    change = bamboohr.employee_change(
        event(), DELIVERY, OBSERVED_AT, {**ADA, "workEmail": "not an email"}
    )
    with pytest.raises(InvalidDelivery) as caught:
        validated_changes([change], bamboohr._FIELDS)
    assert [e["field"] for e in caught.value.errors] == ["workEmail"]


# --- the fetch, against a local server answering like BambooHR -------------------------------


class FakeBambooHR:
    """BambooHR's employee endpoint, for one company under /api/gateway.php/acme."""

    def __init__(self) -> None:
        self.employees: dict[str, dict[str, Any]] = {"101": ADA}
        self.requests: list[Request] = []
        self.fail_with: int | None = None
        self.app = Starlette(
            routes=[Route("/api/gateway.php/acme/v1/employees/{employee_id}", self.employee)]
        )

    async def employee(self, request: Request) -> Response:
        self.requests.append(request)
        expected = "Basic " + base64.b64encode(f"{API_KEY}:x".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(status_code=401)
        if self.fail_with is not None:
            return Response(status_code=self.fail_with)
        found = self.employees.get(request.path_params["employee_id"])
        if found is None:
            return Response(status_code=404)
        wanted = request.query_params["fields"].split(",")
        return JSONResponse({"id": found["id"], **{f: found.get(f) for f in wanted}})


@pytest_asyncio.fixture(loop_scope="session")
async def bamboo() -> AsyncIterator[tuple[FakeBambooHR, str]]:
    fake = FakeBambooHR()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn only offers this flag)
        await asyncio.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}/api/gateway.php/acme"
    server.should_exit = True
    await task


def settings(base: str, key: str = API_KEY) -> bamboohr.BambooHRSettings:
    return bamboohr.BambooHRSettings.model_validate({"api_base": base, "api_key": key})


@on_session_loop
async def test_the_fetch_asks_for_the_mapped_fields_with_the_api_key(
    bamboo: tuple[FakeBambooHR, str],
) -> None:
    fake, base = bamboo
    async with httpx.AsyncClient(timeout=5) as http:
        record = await bamboohr.fetch_employee(settings(base), "101", http)
    assert record == ADA
    request = fake.requests[-1]
    assert request.query_params["fields"].split(",") == list(bamboohr.FIELDS)
    assert request.headers["accept"] == "application/json"


@on_session_loop
async def test_an_employee_bamboohr_does_not_know_is_a_503_never_a_leaver(
    bamboo: tuple[FakeBambooHR, str],
) -> None:
    _, base = bamboo
    for api_base, employee_id in ((base, "999"), (f"{base}-typo", "101")):
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(SourceUnavailable) as caught:
                await bamboohr.fetch_employee(settings(api_base), employee_id, http)
        assert caught.value.status == 503
        assert "404" in caught.value.detail and "API base" in caught.value.detail


@on_session_loop
@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_failing_bamboohr_is_a_503_so_it_retries(
    bamboo: tuple[FakeBambooHR, str], status: int
) -> None:
    fake, base = bamboo
    fake.fail_with = status
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(SourceUnavailable) as caught:
                await bamboohr.fetch_employee(settings(base), "101", http)
    finally:
        fake.fail_with = None
    assert caught.value.status == 503
    assert str(status) in caught.value.detail


@on_session_loop
async def test_a_refused_api_key_is_a_503_that_says_so(bamboo: tuple[FakeBambooHR, str]) -> None:
    _, base = bamboo
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(SourceUnavailable) as caught:
            await bamboohr.fetch_employee(settings(base, key="wrong"), "101", http)
    assert "401" in caught.value.detail and "API key" in caught.value.detail


@on_session_loop
async def test_an_unreachable_bamboohr_is_a_503_named_without_internals() -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(SourceUnavailable) as caught:
            await bamboohr.fetch_employee(
                settings(f"http://127.0.0.1:{free_port()}/api/gateway.php/acme"), "101", http
            )
    assert caught.value.detail == (
        "BambooHR could not be reached for the employee fetch (check the connection's API base)"
    )


@pytest.mark.parametrize(
    "api_base",
    [
        "https://user:secret@api.bamboohr.com/api/gateway.php/acme",
        "https://api.bamboohr.com/api/gateway.php/acme?key=secret",
        "https://api.bamboohr.com/api/gateway.php/acme#secret",
    ],
)
def test_an_api_base_carrying_secrets_is_refused(api_base: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(api_base)
    assert [e["loc"] for e in refused.value.errors()] == [("api_base",)]


def test_a_connection_without_settings_is_a_503_naming_them() -> None:
    with pytest.raises(SourceUnavailable) as caught:
        bamboohr.settings_of(connection(settings=None))
    assert "apiBase" in caught.value.detail
    stored = {"api_base": "https://api.bamboohr.com/api/gateway.php/acme", "api_key": "k"}
    assert bamboohr.settings_of(connection(settings=stored)).api_key == "k"


@on_session_loop
async def test_a_fetch_waits_out_the_signed_second_so_that_it_settles_the_notification(
    bamboo: tuple[FakeBambooHR, str],
) -> None:
    _, base = bamboo
    stored = {"api_base": base, "api_key": API_KEY}
    for ahead_s, settled in ((0, True), (120, False)):  # BambooHR's clock two minutes ahead
        sent_at = datetime.fromtimestamp(int(time.time()) + ahead_s, UTC)
        verified = Verified(DELIVERY, sent_at=sent_at)
        context = FetchContext(connection(settings=stored), verified)
        started = time.monotonic()
        try:
            fetched = await bamboohr.fetch(event(), context)
        finally:
            await context.close()
        assert time.monotonic() - started < 1.5  # never more than the second itself
        assert fetched.record == ADA
        assert bamboohr.settles(verified, fetched) is settled
