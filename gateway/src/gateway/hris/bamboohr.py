"""BambooHR event webhooks: thin `employee.created|updated|deleted` notifications
(`{"type", "timestamp", "data": {"companyId", "employeeId", "changedFields"}}`); the employee
itself is fetched from BambooHR's API.

- Signature: `X-BambooHR-Signature` is the hex HMAC-SHA256, under the webhook's private key,
  of the raw body followed by the `X-BambooHR-Timestamp` value (BambooHR's sample signs
  `body . timestamp`). The timestamp must be within 5 minutes of our clock (BambooHR has no
  window of its own); Unix seconds, or ISO 8601.
- Version: the moment we asked BambooHR for the record, in epoch milliseconds. The record is
  BambooHR's state when we asked, so of two fetches the later one is at least as new, whatever
  order the notifications came in. (The signed timestamp has one-second resolution and comes
  before the fetch: a `created` and an `updated` in the same second would tie, and the newer
  record would be dropped.) Clocks of several gateway replicas must agree to well under the
  time between two changes of one employee.
- Redeliveries are deduplicated: the delivery id is the signature's digest, and a notification
  already accepted (a retry, or a replay of the signed bytes within the window) is answered
  as before without fetching again, so replays cannot spend the tenant's API key. The bytes
  cannot tell a retry from a second change of the same fields in the same second, so a fetch
  must begin a second or more after the signed timestamp to have seen every change they can
  stand for: the fetch waits out the rest of that second (at most one) first, and then
  settles the notification (`settles`). Replays cost no fetch; only when BambooHR's clock is
  ahead of ours (within the 5-minute window) can one replay still fetch once more. Each
  fetch is a change of its own (id `bamboohr:{employeeId}:{version}:{signature digest}`).
- The diff: the fetched record goes out whole as one change; profiles keeps per field the
  version that set it and changes only what differs (a record equal to ours changes nothing).
- Types: only BambooHR's own word terminates: `deleted`, or the fetched status Inactive;
  `created` → hired; `updated` → updated, or rehired when the fetched status is Active (the
  fetched record is the whole state; as for Merge, this ends an older termination and changes
  nothing otherwise).
- A fetch that fails is a connection error, never a change: a 404 (an employee BambooHR does
  not know, or an API base that is wrong), a refused API key, no answer within the deadline,
  an answer that is no employee. Nothing is stored, the answer is a 503 (BambooHR retries),
  and the problem is named, without internals, on the connection for the operator.
- JSON only; the legacy form-encoded format gets a 415.
"""

import asyncio
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import httpx
from contracts.hris import HrisChange, HrisChangeType
from messaging.outbox import utcnow
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator
from runtime.bodies import parse_json

from gateway.hris.delivery import (
    FetchContext,
    Headers,
    HrisProvider,
    InvalidDelivery,
    MalformedDelivery,
    NormalizeContext,
    SourceUnavailable,
    UnsealedConnection,
    UnsupportedMediaType,
    VerificationFailed,
    Verified,
    digest,
    epoch_ms,
    validated_changes,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-bamboohr-signature"
TIMESTAMP_HEADER = "x-bamboohr-timestamp"
WINDOW = timedelta(minutes=5)
_TIMESTAMP_RESOLUTION = timedelta(seconds=1)
FIELDS = (
    "firstName",
    "lastName",
    "displayName",
    "workEmail",
    "jobTitle",
    "department",
    "location",
    "supervisorEId",
    "status",
    "hireDate",
)
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_EMPLOYEE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BambooHRSettings(BaseModel):
    """Per connection: where the company's API lives and the key to read employees with."""

    model_config = ConfigDict(extra="forbid")

    # e.g. https://api.bamboohr.com/api/gateway.php/{companyDomain}
    api_base: HttpUrl
    api_key: str = Field(min_length=1, max_length=500)

    @field_validator("api_base")
    @classmethod
    def _nothing_secret_in_the_url(cls, value: HttpUrl) -> HttpUrl:
        # URLs end up in logs and errors; the key is a setting of its own.
        if value.username or value.password or value.query or value.fragment:
            raise ValueError("give the API base without credentials, query or fragment")
        return value


class BambooHRNotice(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    company_id: int | str | None = Field(default=None, alias="companyId")
    employee_id: str = Field(alias="employeeId")
    changed_fields: list[str] = Field(default_factory=list, alias="changedFields")

    @field_validator("employee_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("employee_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _EMPLOYEE_ID.fullmatch(value):
            raise ValueError("must be 1 to 64 letters, digits, '-' or '_'")
        return value


class BambooHREvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["employee.created", "employee.updated", "employee.deleted"]
    timestamp: str | None = None
    data: BambooHRNotice


_TYPES = {
    "employee.created": HrisChangeType.HIRED,
    "employee.updated": HrisChangeType.UPDATED,
    "employee.deleted": HrisChangeType.TERMINATED,
}
# Canonical fields as BambooHR calls them, for errors in what it answered.
_FIELDS = {
    "employee.externalId": "data.employeeId",
    "employee.email": "workEmail",
    "employee.displayName": "displayName",
    "employee.givenName": "firstName",
    "employee.familyName": "lastName",
    "employee.title": "jobTitle",
    "employee.department": "department",
    "employee.location": "location",
    "employee.managerExternalId": "supervisorEId",
    "employee.hireDate": "hireDate",
}


def verify(
    body: bytes, headers: Headers, connection: UnsealedConnection, now: datetime
) -> Verified:
    presented = headers.get(SIGNATURE_HEADER, "").strip()
    stamp = headers.get(TIMESTAMP_HEADER, "").strip()
    sent_at = _timestamp(stamp)
    if sent_at is None or not _HEX_SHA256.fullmatch(presented):
        raise VerificationFailed
    expected = hmac.new(
        connection.signing_secret.encode(), body + stamp.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, presented.lower()):
        raise VerificationFailed
    # Checked after the signature, so the timestamp is known to be BambooHR's own.
    if abs(now - sent_at) > WINDOW:
        raise VerificationFailed
    return Verified(delivery_id=digest(presented.lower()), sent_at=sent_at)


def _timestamp(value: str) -> datetime | None:
    if not value or not value.isascii():
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC) if len(value) <= 12 else None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(body: bytes, headers: Headers) -> BambooHREvent:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'!r} is not handled; send application/json "
            "(BambooHR's event-based webhooks, not the form-encoded legacy format)"
        )
    try:
        payload = parse_json(body)
    except ValueError as exc:  # not JSON, or nested too deep to parse
        raise MalformedDelivery(f"body: {exc}") from exc
    try:
        return BambooHREvent.model_validate(payload)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())) or None,
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors(include_url=False)
        ]
        raise InvalidDelivery(errors) from exc


@dataclass(frozen=True)
class Fetched:
    """A notification and the employee as BambooHR had it at `observed_at` (None: a deletion,
    for which nothing is fetched)."""

    event: BambooHREvent
    observed_at: datetime
    record: dict[str, Any] | None


async def fetch(event: BambooHREvent, context: FetchContext) -> Fetched:
    """The employee the notification is about, from BambooHR's API (none for a deletion)."""
    if _TYPES[event.type] is HrisChangeType.TERMINATED:
        return Fetched(event, utcnow(), None)
    settings = settings_of(context.connection)
    await _past_the_signed_second(context.verified.sent_at)
    observed_at = utcnow()  # before the fetch: what it returns is at least this new
    record = await fetch_employee(settings, event.data.employee_id, context.http())
    return Fetched(event, observed_at, record)


async def _past_the_signed_second(sent_at: datetime | None) -> None:
    """Waits until a second has passed since the signed timestamp (at most a second: a clock
    of BambooHR's further ahead is not waited for), so the fetch sees every change the
    notification's bytes can stand for, and settles them."""
    if sent_at is None:
        return
    rest = (sent_at + _TIMESTAMP_RESOLUTION - utcnow()).total_seconds()
    if rest > 0:
        await asyncio.sleep(min(rest, _TIMESTAMP_RESOLUTION.total_seconds()))


def settles(verified: Verified, fetched: Fetched) -> bool:
    """Whether the notification's bytes can stand for no change the fetch did not see: a
    deletion fetches nothing, and a fetch begun a second after the signed timestamp (its
    resolution) came after every change notified with that timestamp."""
    if _TYPES[fetched.event.type] is HrisChangeType.TERMINATED:
        return True
    if verified.sent_at is None:
        return False
    return fetched.observed_at >= verified.sent_at + _TIMESTAMP_RESOLUTION


async def normalize(fetched: Fetched, context: NormalizeContext) -> list[HrisChange]:
    change = employee_change(
        fetched.event, context.verified.delivery_id, fetched.observed_at, fetched.record
    )
    return validated_changes([change], _FIELDS)


def settings_of(connection: UnsealedConnection) -> BambooHRSettings:
    try:
        return BambooHRSettings.model_validate(connection.settings or {})
    except ValidationError as exc:
        # Our side: retrying helps once an operator fixes the connection.
        raise SourceUnavailable(
            "this connection's BambooHR settings are incomplete (apiBase, apiKey)"
        ) from exc


async def fetch_employee(
    settings: BambooHRSettings, employee_id: str, http: httpx.AsyncClient
) -> dict[str, Any]:
    """The employee as BambooHR has it now; SourceUnavailable for anything else, named
    without internals (no exception text, no URL)."""
    url = f"{str(settings.api_base).rstrip('/')}/v1/employees/{employee_id}"
    try:
        response = await http.get(
            url,
            params={"fields": ",".join(FIELDS)},
            headers={"Accept": "application/json"},
            auth=(settings.api_key, "x"),  # BambooHR: the API key is the user, any password
        )
    except httpx.TimeoutException as exc:
        raise SourceUnavailable("BambooHR did not answer the employee fetch in time") from exc
    except httpx.HTTPError as exc:
        log.warning("bamboohr employee fetch failed: %s", type(exc).__name__)
        raise SourceUnavailable(
            "BambooHR could not be reached for the employee fetch (check the connection's API base)"
        ) from exc
    if response.status_code == 404:
        raise SourceUnavailable(
            f"BambooHR answered 404 to the employee fetch: it does not know employee "
            f"{employee_id}, or the connection's API base is wrong; nothing was changed"
        )
    if response.status_code != 200:
        raise SourceUnavailable(
            f"BambooHR answered {response.status_code} to the employee fetch"
            + (" (check the connection's API key)" if response.status_code in (401, 403) else "")
        )
    try:
        record = response.json()
    except ValueError as exc:
        raise SourceUnavailable("BambooHR answered the employee fetch with no JSON") from exc
    if not isinstance(record, dict):
        raise SourceUnavailable("BambooHR answered the employee fetch with no employee object")
    return record


def employee_change(
    event: BambooHREvent,
    delivery_id: str,
    observed_at: datetime,
    record: dict[str, Any] | None,
) -> dict[str, Any]:
    """The canonical change for a notification (`delivery_id`: a digest of its signature) and
    the record as BambooHR had it at `observed_at` (None: only for a deletion, which fetches
    nothing). Pure."""
    employee_id = event.data.employee_id
    version = epoch_ms(observed_at)
    change_type = _TYPES[event.type]
    employee: dict[str, Any] = {"externalId": employee_id}
    if record is None:
        if change_type is not HrisChangeType.TERMINATED:
            raise ValueError(f"a {event.type} notification needs the fetched employee")
    else:
        status = (_text(record.get("status")) or "").lower()
        if status == "inactive":
            change_type = HrisChangeType.TERMINATED
        elif status == "active" and change_type is HrisChangeType.UPDATED:
            change_type = HrisChangeType.REHIRED
        employee.update(employee_fields(record))
    return {
        "id": f"bamboohr:{employee_id}:{version}:{delivery_id[:16]}",
        "type": change_type.value,
        "effectiveAt": observed_at.isoformat(),
        "sourceVersion": version,
        "employee": employee,
    }


def employee_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Every field we map, from a fetched record: null clears, except email and name, which
    cannot be cleared and are left out when BambooHR has none."""
    given, family = _text(record.get("firstName")), _text(record.get("lastName"))
    fields: dict[str, Any] = {
        "givenName": given,
        "familyName": family,
        "title": _text(record.get("jobTitle")),
        "department": _text(record.get("department")),
        "location": _text(record.get("location")),
        "managerExternalId": _text(record.get("supervisorEId")),
        "hireDate": _date(record.get("hireDate")),
    }
    if email := _text(record.get("workEmail")):
        fields["email"] = email
    name = _text(record.get("displayName")) or " ".join(p for p in (given, family) if p)
    if name:
        fields["displayName"] = name
    return fields


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> str | None:
    text = _text(value)
    if text is None or text.startswith("0000"):  # BambooHR's "no date"
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text  # left for the canonical model to name as invalid


PROVIDER = HrisProvider(
    name="bamboohr",
    channel="bamboohr",
    signature_headers=(SIGNATURE_HEADER, TIMESTAMP_HEADER),
    verify=verify,
    parse=parse,
    fetch=fetch,
    normalize=normalize,
    settles=settles,
    settings=BambooHRSettings,
    secret_settings=("api_key",),
)
