"""How a SCIM User reads as Cairn's canonical employee, and which org changes a SCIM write
stands for. Pure: models in, canonical changes out."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.hris import EmployeeRecord, HrisChange, HrisChangeType
from pydantic import ValidationError
from scim2_models import InvalidValueException

from gateway.scim.service import ENTERPRISE, CairnUser

_ENTERPRISE = str(ENTERPRISE.__schema__)
# BCP 47-ish: a primary language subtag, then any subtags ("en", "en-US", Entra's "en_US").
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")

# Each canonical field and the SCIM attribute it is read from, to name it in errors.
SCIM_ATTRIBUTE_OF = {
    "external_id": "externalId",
    "email": "emails",
    "display_name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "title": "title",
    "department": f"{_ENTERPRISE}:department",
    "time_zone": "timezone",
    "languages": "preferredLanguage",
    "manager_external_id": f"{_ENTERPRISE}:manager.value",
    "user_name": "userName",
}
# userName joins the canonical record once the contract carries it (an optional field).
_CARRIES_USER_NAME = "user_name" in EmployeeRecord.model_fields
_MAX_EXTERNAL_ID = 256  # EmployeeRecord.external_id's limit


def manager_id(user: CairnUser) -> str | None:
    """The SCIM id of the user's manager, as the enterprise extension names it."""
    extension = user[ENTERPRISE]
    manager = extension.manager if extension else None
    return manager.value if manager and manager.value else None


def person_external_id(user: CairnUser, scim_id: str) -> str:
    """The HRIS id the person goes by in canonical changes: the client's externalId, else the
    employee number (what HRIS webhooks usually key on), else one made from the SCIM id."""
    extension = user[ENTERPRISE]
    chosen = user.external_id or (extension and extension.employee_number) or f"scim-{scim_id}"
    if len(chosen) > _MAX_EXTERNAL_ID:
        raise InvalidValueException(
            detail=f"externalId: at most {_MAX_EXTERNAL_ID} characters (it names the person)"
        )
    return chosen


def employee_view(user: CairnUser, manager_external_id: str | None) -> dict[str, Any]:
    """Every canonical field the user describes, None where it says nothing, so that two
    views diff into a merge patch. Raises InvalidValueException naming the SCIM attribute."""
    extension = user[ENTERPRISE]
    name = user.name
    given = name.given_name if name else None
    family = name.family_name if name else None
    view: dict[str, Any] = {
        "email": _email(user),
        "display_name": user.display_name
        or (name.formatted if name else None)
        or " ".join(part for part in (given, family) if part)
        or user.user_name,
        "given_name": given,
        "family_name": family,
        "title": user.title,
        "department": extension.department if extension else None,
        "time_zone": user.timezone,
        "languages": _languages(user),
        "manager_external_id": manager_external_id,
    }
    if _CARRIES_USER_NAME:
        view["user_name"] = user.user_name
    _check(view)
    return view


def _email(user: CairnUser) -> str:
    addresses = [email for email in user.emails or [] if email.value]
    chosen = next((e for e in addresses if e.primary), addresses[0] if addresses else None)
    if chosen is None or chosen.value is None:
        raise InvalidValueException(detail="emails: a User needs an email address (value)")
    return chosen.value


def _languages(user: CairnUser) -> list[str] | None:
    languages: list[str] = []
    for attribute, tag in (("preferredLanguage", user.preferred_language), ("locale", user.locale)):
        if tag is None:
            continue
        if not _LANGUAGE_TAG.fullmatch(tag):
            raise InvalidValueException(
                detail=f"{attribute}: {tag!r} is not a language tag such as en-US"
            )
        primary = re.split("[-_]", tag)[0].lower()
        if primary not in languages:
            languages.append(primary)
    return languages or None


def _check(view: dict[str, Any]) -> None:
    """The view as the canonical contract reads it, so a bad value is refused here, naming
    its SCIM attribute, instead of being published."""
    try:
        EmployeeRecord.model_validate(
            {"external_id": "checked", **{k: v for k, v in view.items() if v is not None}}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        canonical = str(error["loc"][0]) if error["loc"] else ""
        attribute = SCIM_ATTRIBUTE_OF.get(canonical, canonical)
        raise InvalidValueException(detail=f"{attribute}: {error['msg']}") from exc


@dataclass(frozen=True)
class PlannedChange:
    """One canonical change a SCIM write stands for; `employee` is its merge patch."""

    type: HrisChangeType
    employee: dict[str, Any] = field(default_factory=dict)


def plan_create(view: dict[str, Any], active: bool) -> list[PlannedChange]:
    hired = PlannedChange(HrisChangeType.HIRED, {k: v for k, v in view.items() if v is not None})
    return [hired] if active else [hired, PlannedChange(HrisChangeType.TERMINATED)]


def plan_update(
    before: dict[str, Any], was_active: bool, after: dict[str, Any], active: bool
) -> list[PlannedChange]:
    """Merge-patch semantics: only what differs travels (null = cleared), so fields that
    other channels feed are left alone. Deactivation terminates, reactivation rehires."""
    patch = {k: v for k, v in after.items() if before.get(k) != v}
    if was_active and not active:
        return [PlannedChange(HrisChangeType.TERMINATED, patch)]
    if active and not was_active:
        return [PlannedChange(HrisChangeType.REHIRED, patch)]
    return [PlannedChange(HrisChangeType.UPDATED, patch)] if patch else []


def plan_delete() -> list[PlannedChange]:
    # Sent even for an inactive user: a repeated termination changes nothing downstream.
    return [PlannedChange(HrisChangeType.TERMINATED)]


def canonical_changes(
    planned: list[PlannedChange],
    *,
    scim_id: str,
    person_external_id: str,
    first_version: int,
    at: datetime,
) -> list[HrisChange]:
    """The planned changes as HrisChanges: versions grow from `first_version`, and the change
    id names the user and the version, so each is unique and a re-sent one is recognised."""
    changes = []
    for offset, plan in enumerate(planned):
        version = first_version + offset
        changes.append(
            HrisChange(
                id=f"scim-{scim_id}-v{version}",
                type=plan.type,
                effective_at=at,
                source_version=version,
                employee=EmployeeRecord.model_validate(
                    {"external_id": person_external_id, **plan.employee}
                ),
            )
        )
    return changes
