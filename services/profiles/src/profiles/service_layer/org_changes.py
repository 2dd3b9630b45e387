"""Applying an org change from the HRIS: one transaction, the person row and its events."""

import logging
import uuid
from dataclasses import asdict, fields
from typing import Any

from contracts.hris import HrisChange, HrisChangeReceived
from contracts.people import (
    PersonCreated,
    PersonSnapshot,
    PersonStatus,
    PersonTerminated,
    PersonUpdated,
)
from messaging.consumer import Received
from messaging.outbox import UnitOfWork, utcnow
from sqlmodel import col, delete, select

from profiles.adapters.repository import PeopleRepository
from profiles.adapters.tables import ParkedChange, Person
from profiles.domain.people import Applied, Outcome, PersonRecord, apply_change

log = logging.getLogger(__name__)


async def on_hris_change(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, HrisChangeReceived)
    await apply_hris_change(uow, received.tenant_id, event.change)


async def apply_hris_change(uow: UnitOfWork, tenant_id: str, change: HrisChange) -> Outcome:
    people = PeopleRepository(uow.session, tenant_id)
    row = await people.by_external_id(change.employee.external_id)
    applied = apply_change(_record_of(row) if row else None, change)
    match applied.outcome:
        case Outcome.STALE:
            log.info("change %s ignored: %s", change.id, applied.reason)
        case Outcome.REJECTED if row is None:
            await _park(uow, tenant_id, change)
            log.info(
                "change %s parked until %s is known: %s",
                change.id,
                change.employee.external_id,
                applied.reason,
            )
        case Outcome.REJECTED:
            log.warning("change %s rejected: %s", change.id, applied.reason)
        case Outcome.UNCHANGED:
            assert row is not None and applied.record is not None
            row.source_version = applied.record.source_version
            row.field_versions = dict(applied.record.field_versions)
        case Outcome.CREATED:
            row = await _create(uow, people, tenant_id, applied)
            await _replay_parked(uow, tenant_id, row)
        case Outcome.UPDATED | Outcome.TERMINATED:
            assert row is not None
            await _update(uow, people, tenant_id, row, applied)
    return applied.outcome


async def _create(
    uow: UnitOfWork, people: PeopleRepository, tenant_id: str, applied: Applied
) -> Person:
    assert applied.record is not None
    now = utcnow()
    row = Person(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        revision=1,
        created_at=now,
        updated_at=now,
        **_columns(applied.record),
    )
    people.add(row)
    await uow.session.flush()
    await uow.emit(PersonCreated(person=await snapshot(people, row)), tenant_id=tenant_id)
    # Reports who named this person as manager before they existed now resolve the link.
    for report in await people.reports_of(row.external_id):
        report.revision += 1
        report.updated_at = now
        await uow.emit(
            PersonUpdated(person=await snapshot(people, report), changed_fields=["managerId"]),
            tenant_id=tenant_id,
        )
    return row


async def _update(
    uow: UnitOfWork, people: PeopleRepository, tenant_id: str, row: Person, applied: Applied
) -> None:
    assert applied.record is not None
    for name, value in _columns(applied.record).items():
        setattr(row, name, value)
    row.revision += 1
    row.updated_at = utcnow()
    changed = list(applied.changed_fields)
    if "managerExternalId" in changed:
        changed.append("managerId")
    person = await snapshot(people, row)
    if applied.outcome is Outcome.TERMINATED:
        await uow.emit(
            PersonTerminated(person=person, terminated_at=row.updated_at), tenant_id=tenant_id
        )
    else:
        await uow.emit(
            PersonUpdated(person=person, changed_fields=sorted(changed)), tenant_id=tenant_id
        )


async def _park(uow: UnitOfWork, tenant_id: str, change: HrisChange) -> None:
    await uow.session.merge(
        ParkedChange(
            tenant_id=tenant_id,
            external_id=change.employee.external_id,
            source_version=change.source_version,
            change=change.model_dump(mode="json", by_alias=True, exclude_unset=True),
            parked_at=utcnow(),
        )
    )


async def _replay_parked(uow: UnitOfWork, tenant_id: str, row: Person) -> None:
    where = (
        col(ParkedChange.tenant_id) == tenant_id,
        col(ParkedChange.external_id) == row.external_id,
    )
    parked = (
        await uow.session.exec(
            select(ParkedChange).where(*where).order_by(col(ParkedChange.source_version))
        )
    ).all()
    await uow.session.exec(delete(ParkedChange).where(*where))
    for item in parked:
        await apply_hris_change(uow, tenant_id, HrisChange.model_validate(item.change))


async def snapshot(people: PeopleRepository, row: Person) -> PersonSnapshot:
    manager = (
        await people.by_external_id(row.manager_external_id) if row.manager_external_id else None
    )
    return PersonSnapshot(
        id=row.id,
        external_id=row.external_id,
        email=row.email,
        given_name=row.given_name,
        family_name=row.family_name,
        display_name=row.display_name,
        title=row.title,
        department=row.department,
        location=row.location,
        time_zone=row.time_zone,
        level=row.level,
        manager_id=manager.id if manager else None,
        manager_external_id=row.manager_external_id,
        hire_date=row.hire_date,
        languages=list(row.languages),
        status=PersonStatus(row.status),
        underrepresented=row.underrepresented,
        demographics=row.demographics,
        source_version=row.source_version,
        revision=row.revision,
        updated_at=row.updated_at,
    )


def _record_of(row: Person) -> PersonRecord:
    values = {f.name: getattr(row, f.name) for f in fields(PersonRecord)}
    values["languages"] = tuple(values["languages"] or ())
    values["status"] = PersonStatus(values["status"])
    versions = dict(values["field_versions"] or {})
    if not versions and row.source_version:
        # Rows from before per-field versions: every field as of the row's version.
        versions = dict.fromkeys(values, row.source_version)
    values["field_versions"] = versions
    return PersonRecord(**values)


def _columns(record: PersonRecord) -> dict[str, Any]:
    values = asdict(record)
    values["languages"] = list(record.languages)
    values["status"] = record.status.value
    values["field_versions"] = dict(record.field_versions)
    return values
