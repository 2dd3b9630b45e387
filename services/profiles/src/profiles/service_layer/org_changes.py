"""Applying an org change from the HRIS: one transaction, the person row, its org moves
(history), what was refused, and its events.

A change effective in the future is held (see `held_changes`) and applied here when due.
A manager link that would make someone their own manager is refused on its own: the person
keeps their previous manager, the refusal is recorded with the loop it would close, and the
change's other fields still apply (a transfer or promotion sent with a bad manager is still a
transfer or promotion; the HRIS's next change can fix the manager)."""

import logging
import uuid
from datetime import datetime

from contracts.hris import HrisChange, HrisChangeReceived
from contracts.people import (
    OrgFieldChange,
    PersonCreated,
    PersonSnapshot,
    PersonStatus,
    PersonTerminated,
    PersonUpdated,
)
from messaging.consumer import Received
from messaging.outbox import UnitOfWork, utcnow
from sqlmodel import col, delete, select

from profiles.adapters.person_records import columns_of, record_of_row
from profiles.adapters.repository import HeldChanges, PeopleRepository, PersonHistory, Rejections
from profiles.adapters.tables import OrgChangeRejection, ParkedChange, Person, PersonChange
from profiles.domain.history import Move, moves
from profiles.domain.org_graph import chain_up, manager_cycle
from profiles.domain.people import (
    Applied,
    Outcome,
    PersonRecord,
    apply_change,
    keep_manager,
    moved_manager,
)
from profiles.domain.profile import withheld_from_hris, without_self_identification
from profiles.service_layer.enrollments import end_enrollments_of

log = logging.getLogger(__name__)


async def on_hris_change(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, HrisChangeReceived)
    await apply_hris_change(uow, received.tenant_id, event.change)


async def apply_hris_change(
    uow: UnitOfWork, tenant_id: str, change: HrisChange, *, now: datetime | None = None
) -> Outcome:
    now = now or utcnow()
    if change.effective_at > now:
        await HeldChanges(uow.session).hold(tenant_id, change, now)
        log.info("change %s held until %s", change.id, change.effective_at.isoformat())
        return Outcome.HELD
    people = PeopleRepository(uow.session, tenant_id)
    row = await people.by_external_id(change.employee.external_id)
    if row is not None and withheld_from_hris(row.self_identification_consent):
        change = without_self_identification(change)
    current = record_of_row(row) if row else None
    applied = await _without_manager_cycle(people, current, apply_change(current, change))
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
            _refuse(uow, tenant_id, change, row, None, applied.reason or "rejected", now)
        case Outcome.UNCHANGED:
            assert row is not None and applied.record is not None
            row.source_version = applied.record.source_version
            row.field_versions = dict(applied.record.field_versions)
        case Outcome.CREATED:
            row = await _create(uow, people, tenant_id, change, applied)
            await _replay_parked(uow, tenant_id, row, now)
        case Outcome.UPDATED | Outcome.TERMINATED:
            assert row is not None and current is not None
            await _update(uow, people, tenant_id, row, change, current, applied)
    for reason in applied.refused:
        log.warning("change %s: manager refused: %s", change.id, reason)
        _refuse(uow, tenant_id, change, row, "managerExternalId", reason, now)
    return applied.outcome


async def _without_manager_cycle(
    people: PeopleRepository, current: PersonRecord | None, applied: Applied
) -> Applied:
    """`applied`, with its manager move refused if it would close a loop."""
    new_manager = moved_manager(current, applied)
    if new_manager is None:
        return applied
    assert applied.record is not None
    person = applied.record.external_id
    above = chain_up(new_manager, await people.manager_links_up(new_manager))
    cycle = manager_cycle(person, new_manager, above)
    return applied if cycle is None else keep_manager(current, applied, cycle.reason())


def _refuse(
    uow: UnitOfWork,
    tenant_id: str,
    change: HrisChange,
    row: Person | None,
    field: str | None,
    reason: str,
    now: datetime,
) -> None:
    Rejections(uow.session, tenant_id).add(
        OrgChangeRejection(
            tenant_id=tenant_id,
            change_id=change.id,
            change_type=change.type.value,
            external_id=change.employee.external_id,
            person_id=row.id if row is not None else None,
            source_version=change.source_version,
            effective_at=change.effective_at,
            field=field,
            reason=reason,
            # Kept for the record, minus what nobody may read back.
            change=without_self_identification(change).model_dump(
                mode="json", by_alias=True, exclude_unset=True
            ),
            rejected_at=now,
        )
    )


def _record_moves(
    uow: UnitOfWork, tenant_id: str, person_id: str, change: HrisChange, found: tuple[Move, ...]
) -> list[OrgFieldChange]:
    """The moves as history rows (in this transaction) and as they travel in the event."""
    history = PersonHistory(uow.session, tenant_id)
    recorded_at = utcnow()
    for move in found:
        history.add(
            PersonChange(
                tenant_id=tenant_id,
                person_id=person_id,
                field=move.field,
                from_value=move.from_value,
                to_value=move.to_value,
                effective_at=change.effective_at,
                source_version=change.source_version,
                change_id=change.id,
                recorded_at=recorded_at,
            )
        )
    return [
        OrgFieldChange(
            field=move.field,
            from_value=move.from_value,
            to_value=move.to_value,
            effective_at=change.effective_at,
            source_version=change.source_version,
        )
        for move in found
    ]


async def _create(
    uow: UnitOfWork,
    people: PeopleRepository,
    tenant_id: str,
    change: HrisChange,
    applied: Applied,
) -> Person:
    assert applied.record is not None
    now = utcnow()
    row = Person(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        revision=1,
        created_at=now,
        updated_at=now,
        **columns_of(applied.record),
    )
    people.add(row)
    await uow.session.flush()
    org_changes = _record_moves(uow, tenant_id, row.id, change, moves(None, applied.record))
    await uow.emit(
        PersonCreated(person=await snapshot(people, row), org_changes=org_changes),
        tenant_id=tenant_id,
    )
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
    uow: UnitOfWork,
    people: PeopleRepository,
    tenant_id: str,
    row: Person,
    change: HrisChange,
    current: PersonRecord,
    applied: Applied,
) -> None:
    assert applied.record is not None
    for name, value in columns_of(applied.record).items():
        setattr(row, name, value)
    row.revision += 1
    row.updated_at = utcnow()
    changed = list(applied.changed_fields)
    if "managerExternalId" in changed:
        changed.append("managerId")
    org_changes = _record_moves(uow, tenant_id, row.id, change, moves(current, applied.record))
    person = await snapshot(people, row)
    if applied.outcome is Outcome.TERMINATED:
        # A leaver's enrollments end in the same transaction as the termination.
        await end_enrollments_of(uow, tenant_id, row.id, "terminated")
        await uow.emit(
            PersonTerminated(person=person, terminated_at=row.updated_at, org_changes=org_changes),
            tenant_id=tenant_id,
        )
    else:
        await uow.emit(
            PersonUpdated(person=person, changed_fields=sorted(changed), org_changes=org_changes),
            tenant_id=tenant_id,
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


async def _replay_parked(uow: UnitOfWork, tenant_id: str, row: Person, now: datetime) -> None:
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
        await apply_hris_change(uow, tenant_id, HrisChange.model_validate(item.change), now=now)


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
        user_name=row.user_name,
        skills=list(row.skills or ()),
        interests=list(row.interests or ()),
        bio=row.bio,
    )
