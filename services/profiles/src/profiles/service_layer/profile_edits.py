"""A person's own words about themselves (profile self-service) and their consented
self-identification: written with the `person.updated` event that carries them, in the
caller's unit of work (the caller commits)."""

from typing import Any

from contracts.people import PersonUpdated
from messaging.outbox import UnitOfWork, utcnow
from pydantic.alias_generators import to_camel
from runtime.refusals import not_found

from profiles.adapters.repository import PeopleRepository
from profiles.adapters.tables import Person
from profiles.domain.profile import self_identification
from profiles.service_layer.org_changes import snapshot

PROFILE_FIELDS = ("skills", "interests", "languages", "bio")


async def edit_profile(
    uow: UnitOfWork, tenant_id: str, person_id: str, values: dict[str, Any]
) -> Person:
    """Sets the given profile fields (already validated); Refused(NOT_FOUND) if there is no
    such person.
    Nothing that stays the same is reported as changed, and no change emits no event.
    Languages are the HRIS's too: its next change of them replaces the person's own."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    return await _set(uow, tenant_id, person_id, values)


async def record_self_identification(
    uow: UnitOfWork,
    tenant_id: str,
    person_id: str,
    *,
    consented: bool,
    underrepresented: bool | None,
    demographics: dict[str, Any] | None,
) -> Person:
    """Stores the answers while consent is given; withdrawing consent clears them."""
    kept_underrepresented, kept_demographics = self_identification(
        consented, underrepresented, demographics
    )
    return await _set(
        uow,
        tenant_id,
        person_id,
        {
            "self_identification_consent": consented,
            "underrepresented": kept_underrepresented,
            "demographics": kept_demographics,
        },
    )


async def _set(uow: UnitOfWork, tenant_id: str, person_id: str, values: dict[str, Any]) -> Person:
    people = PeopleRepository(uow.session, tenant_id)
    row = await people.get(person_id)
    if row is None:
        raise not_found("person")
    changed = sorted(
        to_camel(name) for name, value in values.items() if getattr(row, name) != value
    )
    if changed:
        for name, value in values.items():
            setattr(row, name, value)
        row.revision += 1
        row.updated_at = utcnow()
        await uow.emit(
            PersonUpdated(person=await snapshot(people, row), changed_fields=changed),
            tenant_id=tenant_id,
        )
    return row
