"""Merge (merge.dev) unified HRIS: `Employee.added`, `Employee.changed`, `Employee.removed`,
each carrying the full Employee record inline (`{hook, linked_account, data}`).

- Signature: `X-Merge-Webhook-Signature` is the base64url HMAC-SHA256 of the raw body under
  the organization's signature key (Merge: "Merge webhooks sent to you"); with or without
  `=` padding.
- Dedupe: `hook.id` names the webhook configuration, not the event; Merge says to key on the
  signature, so the delivery id and a change's id (`merge:` + sha256(signature)) come from it.
  A retry is the same body, so the same signature: it is answered from the delivery's receipt
  and changes nothing; past the receipt's retention it is the same change id and event id,
  and consumers keep one.
- Version: `data.modified_at`, in epoch milliseconds. Merge stamps it when its copy of the
  employee changes, so a late retry carries the (older) version of the data it holds; the
  delivery time would rank that retry above newer data.
- Identity: `externalId` is `remote_id`, the HRIS's own employee id, as every other channel
  uses. Merge names a manager by Merge's id, so the gateway keeps the Merge id → HRIS id map it
  learns from deliveries (`identities`); a manager not learned yet is linked by a later change
  at the version that named it, so the result does not depend on delivery order.
- Types: `removed`, `remote_was_deleted` or INACTIVE → terminated; `added` → hired;
  `changed` → updated, or rehired when the record says ACTIVE: the record is the whole state,
  so "ACTIVE as of this version" is part of it (profiles keeps a version per field, status
  included, so this ends an older termination and changes nothing for someone already
  active). The record is whole, so every mapped field is sent (null clears);
  title and department only when `employments` / `groups` come expanded (ids alone say
  nothing), email and name only when present (they cannot be cleared).
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from contracts.hris import HrisChange, HrisChangeType
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError
from runtime.bodies import parse_json

from gateway.hris.delivery import (
    Headers,
    HrisProvider,
    InvalidDelivery,
    MalformedDelivery,
    NormalizeContext,
    UnsealedConnection,
    VerificationFailed,
    Verified,
    digest,
    epoch_ms,
    nothing_to_fetch,
    pydantic_errors,
    validated_changes,
)
from gateway.hris.identities import IdentityMap, PendingManager

SIGNATURE_HEADER = "x-merge-webhook-signature"
EVENTS = {
    "Employee.added": HrisChangeType.HIRED,
    "Employee.changed": HrisChangeType.UPDATED,
    "Employee.removed": HrisChangeType.TERMINATED,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MergeGroup(_Model):
    name: str | None = None
    type: str | None = None


class MergeEmployment(_Model):
    job_title: str | None = None
    effective_date: datetime | None = None


class MergeLocation(_Model):
    name: str | None = None
    city: str | None = None


class MergeEmployee(_Model):
    id: str = Field(min_length=1, max_length=256)
    remote_id: str | None = Field(default=None, min_length=1, max_length=256)
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    display_full_name: str | None = None
    work_email: EmailStr | None = None
    manager: str | None = Field(default=None, min_length=1, max_length=256)
    employment_status: Literal["ACTIVE", "PENDING", "INACTIVE"] | None = None
    start_date: datetime | None = None
    hire_date: datetime | None = None
    termination_date: datetime | None = None
    # Ids unless the webhook was set up to expand them; ids alone carry no names.
    groups: list[MergeGroup | str] | None = None
    employments: list[MergeEmployment | str] | None = None
    work_location: MergeLocation | str | None = None
    remote_was_deleted: bool | None = None
    modified_at: datetime


class MergeHook(_Model):
    id: str | None = None
    event: str
    target: str | None = None


class MergeDelivery(_Model):
    hook: MergeHook
    linked_account: dict[str, Any] | None = None
    data: MergeEmployee


# Canonical fields as Merge calls them, for errors the canonical model finds.
_FIELDS = {
    "employee.externalId": "data.remote_id",
    "employee.email": "data.work_email",
    "employee.displayName": "data.display_full_name",
    "employee.givenName": "data.first_name",
    "employee.familyName": "data.last_name",
    "employee.managerExternalId": "data.manager",
    "employee.title": "data.employments",
    "employee.department": "data.groups",
    "employee.location": "data.work_location",
    "effectiveAt": "data.modified_at",
}


def verify(
    body: bytes, headers: Headers, connection: UnsealedConnection, now: datetime
) -> Verified:
    presented = headers.get(SIGNATURE_HEADER, "").strip().rstrip("=")
    if not presented:
        raise VerificationFailed
    expected = base64.urlsafe_b64encode(
        hmac.new(connection.signing_secret.encode(), body, hashlib.sha256).digest()
    ).rstrip(b"=")
    try:
        matches = hmac.compare_digest(expected, presented.encode("ascii"))
    except UnicodeEncodeError as exc:
        raise VerificationFailed from exc
    if not matches:
        raise VerificationFailed
    return Verified(delivery_id=digest(presented))


def parse(body: bytes, headers: Headers) -> MergeDelivery:
    try:
        payload = parse_json(body)
    except ValueError as exc:  # not JSON, or nested too deep to parse
        raise MalformedDelivery(f"body: {exc}") from exc
    try:
        delivery = MergeDelivery.model_validate(payload)
    except ValidationError as exc:
        raise InvalidDelivery(pydantic_errors(exc)) from exc
    if delivery.hook.event not in EVENTS:
        raise InvalidDelivery(
            [
                {
                    "field": "hook.event",
                    "message": f"{delivery.hook.event!r} is not handled; this endpoint takes "
                    + ", ".join(EVENTS),
                }
            ]
        )
    return delivery


async def normalize(delivery: MergeDelivery, context: NormalizeContext) -> list[HrisChange]:
    """The delivery's change, and the manager links it completes. Runs in the delivery's
    transaction, the only one of its connection at a time: what it learns and settles commits
    with the changes or not at all."""
    employee = delivery.data
    identities = IdentityMap(context.uow, context.connection.id)
    wanted = [employee.id, *([employee.manager] if employee.manager else [])]
    known = await identities.external_ids(wanted)
    external_id = employee.remote_id or known.get(employee.id)
    if external_id is None:
        raise InvalidDelivery(
            [{"field": "data.remote_id", "message": "needed to know which employee this is"}]
        )
    change = employee_change(delivery, context.verified.delivery_id, external_id, known)
    validated = checked(change)

    await identities.learn(employee.id, external_id, context.received_at)
    if employee.manager is not None and "managerExternalId" not in change["employee"]:
        # Not learned yet: the manager's own delivery sends the link when it comes.
        await identities.await_manager(
            PendingManager(
                external_id, validated.source_version, employee.manager, validated.effective_at
            )
        )
    waiting = await identities.waiting_for(employee.id)
    if not waiting:
        return [validated]
    links = validated_changes([manager_link(w, external_id) for w in waiting], _FIELDS)
    await identities.settle(waiting)
    return [validated, *links]


def checked(change: dict[str, Any]) -> HrisChange:
    """The canonical change, or InvalidDelivery naming Merge's fields."""
    if change["type"] == HrisChangeType.HIRED.value:
        missing = [
            {"field": merge_field, "message": f"a hire needs it ({canonical})"}
            for canonical, merge_field in (
                ("email", "data.work_email"),
                ("displayName", "data.display_full_name"),
            )
            if canonical not in change["employee"]
        ]
        if missing:
            raise InvalidDelivery(missing)
    [validated] = validated_changes([change], _FIELDS)
    return validated


def employee_change(
    delivery: MergeDelivery,
    delivery_id: str,
    external_id: str,
    known: Mapping[str, str],
) -> dict[str, Any]:
    """The canonical change (camelCase, merge-patch style) for one Merge delivery. Pure.

    `known` maps Merge ids to HRIS ids; a manager missing from it is left out (unchanged)."""
    employee = delivery.data
    change_type = change_type_of(delivery)
    record: dict[str, Any] = {
        "externalId": external_id,
        "givenName": employee.first_name,
        "familyName": employee.last_name,
    }
    if employee.work_email is not None:
        record["email"] = employee.work_email
    if display_name := display_name_of(employee):
        record["displayName"] = display_name
    if employee.manager is None:
        record["managerExternalId"] = None
    elif employee.manager in known:
        record["managerExternalId"] = known[employee.manager]
    hired_on = employee.start_date or employee.hire_date
    record["hireDate"] = hired_on.date().isoformat() if hired_on else None
    if (title := title_of(employee)) is not NOT_SENT:
        record["title"] = title
    if (department := department_of(employee)) is not NOT_SENT:
        record["department"] = department
    if (location := location_of(employee)) is not NOT_SENT:
        record["location"] = location
    return {
        "id": f"merge:{delivery_id}",
        "type": change_type.value,
        "effectiveAt": effective_at(employee, change_type).isoformat(),
        "sourceVersion": epoch_ms(employee.modified_at),
        "employee": record,
    }


def change_type_of(delivery: MergeDelivery) -> HrisChangeType:
    employee = delivery.data
    if employee.remote_was_deleted or employee.employment_status == "INACTIVE":
        return HrisChangeType.TERMINATED
    change_type = EVENTS[delivery.hook.event]
    if change_type is HrisChangeType.UPDATED and employee.employment_status == "ACTIVE":
        return HrisChangeType.REHIRED  # the whole state says active: a rehire if it was not
    return change_type


def effective_at(employee: MergeEmployee, change_type: HrisChangeType) -> datetime:
    """When it takes effect: the termination or start date where Merge has one, else when
    Merge recorded the change."""
    dated = {
        HrisChangeType.TERMINATED: employee.termination_date,
        HrisChangeType.HIRED: employee.start_date,
    }.get(change_type)
    return _aware(dated or employee.modified_at)


def display_name_of(employee: MergeEmployee) -> str | None:
    if employee.display_full_name and employee.display_full_name.strip():
        return employee.display_full_name.strip()
    given = employee.preferred_name or employee.first_name
    joined = " ".join(p.strip() for p in (given, employee.last_name) if p and p.strip())
    return joined or None


class _NotSent(Enum):
    """The delivery says nothing about a field (an id where a name was needed)."""

    NOT_SENT = "not sent"


NOT_SENT = _NotSent.NOT_SENT
_Maybe = str | None | Literal[_NotSent.NOT_SENT]


def title_of(employee: MergeEmployee) -> _Maybe:
    """The job title of the latest expanded employment."""
    expanded = [e for e in employee.employments or [] if isinstance(e, MergeEmployment)]
    if not expanded:
        return NOT_SENT
    latest = max(expanded, key=lambda e: _aware(e.effective_date or datetime.min))
    return latest.job_title


def department_of(employee: MergeEmployee) -> _Maybe:
    """The name of the first expanded group of type DEPARTMENT."""
    expanded = [g for g in employee.groups or [] if isinstance(g, MergeGroup)]
    if not expanded:
        return NOT_SENT
    departments = [g.name for g in expanded if g.type == "DEPARTMENT" and g.name]
    return departments[0] if departments else None


def location_of(employee: MergeEmployee) -> _Maybe:
    place = employee.work_location
    if isinstance(place, str):
        return NOT_SENT
    if place is None:
        return None
    return place.name or place.city


def manager_link(waiting: PendingManager, manager_external_id: str) -> dict[str, Any]:
    """The change that links a report to a manager whose identity arrived after the report's
    own change: at that change's version, so anything newer still wins."""
    return {
        "id": f"merge-manager:{waiting.employee_external_id}:{waiting.source_version}",
        "type": HrisChangeType.UPDATED.value,
        "effectiveAt": _aware(waiting.effective_at).isoformat(),
        "sourceVersion": waiting.source_version,
        "employee": {
            "externalId": waiting.employee_external_id,
            "managerExternalId": manager_external_id,
        },
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


PROVIDER = HrisProvider(
    name="merge",
    channel="merge",
    signature_headers=(SIGNATURE_HEADER,),
    verify=verify,
    parse=parse,
    fetch=nothing_to_fetch,
    normalize=normalize,
)
