"""Enrollment use cases: enroll, change goals or capacity, withdraw, and end a leaver's
enrollments. Each runs inside the caller's unit of work (the caller commits) and writes its
events to the outbox in the same transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from contracts.enrollments import (
    EnrollmentCreated,
    EnrollmentSnapshot,
    EnrollmentStatus,
    EnrollmentUpdated,
    EnrollmentWithdrawn,
)
from contracts.people import PersonStatus
from contracts.problems import Code
from contracts.programs import ParticipantRole, ProgramKind, ProgramStatus
from messaging.outbox import UnitOfWork, utcnow
from persistence.pages import Page, keyset_page
from runtime.refusals import Refused, not_found
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from profiles.adapters.program_tables import Enrollment, Program
from profiles.adapters.repository import PeopleRepository
from profiles.domain.enrollments import (
    Candidate,
    EnrollmentTerms,
    ProgramTerms,
    check_active,
    check_eligible,
    check_open,
    terms_for,
)
from profiles.service_layer.programs import definition_of, existing_program


async def enroll(
    uow: UnitOfWork, tenant_id: str, program_id: str, person_id: str, terms: EnrollmentTerms
) -> Enrollment:
    program = await existing_program(uow, tenant_id, program_id)
    program_terms = _terms_of(program)
    terms = terms_for(program_terms.kind, terms)
    now = utcnow()
    check_open(program_terms, now)
    person = await PeopleRepository(uow.session, tenant_id).get(person_id)
    if person is None:
        raise not_found("person", "personId")
    candidate = Candidate(
        status=PersonStatus(person.status), level=person.level, department=person.department
    )
    check_eligible(program_terms, terms.role, candidate)
    duplicate = await _active(uow, tenant_id, program_id, person_id, terms.role)
    if duplicate is not None:
        raise _already(terms.role, duplicate.id)
    enrollment = Enrollment(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        program_id=program_id,
        person_id=person_id,
        role=terms.role.value,
        goals=list(terms.goals),
        capacity=terms.capacity,
        status=EnrollmentStatus.ACTIVE.value,
        reason=None,
        revision=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(enrollment)
    try:
        await uow.session.flush()
    except IntegrityError:
        # Another request enrolled them in between (the partial unique index held).
        raise _already(terms.role, None) from None
    await uow.emit(
        EnrollmentCreated(enrollment=enrollment_snapshot(enrollment)), tenant_id=tenant_id
    )
    return enrollment


def _already(role: ParticipantRole, enrollment_id: str | None) -> Refused:
    which = f" ({enrollment_id})" if enrollment_id else ""
    return Refused(Code.CONFLICT, "personId", f"the person is enrolled as {role} already{which}")


async def update_enrollment(
    uow: UnitOfWork,
    tenant_id: str,
    enrollment_id: str,
    *,
    goals: Sequence[str] | None = None,
    capacity: int | None = None,
) -> Enrollment:
    """New goals and/or capacity (None: unchanged); `enrollment.updated` when either changed."""
    enrollment = await existing_enrollment(uow, tenant_id, enrollment_id)
    check_active(EnrollmentStatus(enrollment.status))
    program = await existing_program(uow, tenant_id, enrollment.program_id)
    role = ParticipantRole(enrollment.role)
    terms = terms_for(
        ProgramKind(program.kind),
        EnrollmentTerms(
            role=role,
            goals=tuple(enrollment.goals if goals is None else goals),
            capacity=enrollment.capacity if capacity is None else capacity,
        ),
    )
    changed = []
    if list(terms.goals) != list(enrollment.goals):
        enrollment.goals = list(terms.goals)
        changed.append("goals")
    if terms.capacity != enrollment.capacity:
        enrollment.capacity = terms.capacity
        changed.append("capacity")
    if changed:
        _touch(enrollment, utcnow())
        await uow.emit(
            EnrollmentUpdated(enrollment=enrollment_snapshot(enrollment), changed_fields=changed),
            tenant_id=tenant_id,
        )
    return enrollment


async def withdraw(
    uow: UnitOfWork, tenant_id: str, enrollment_id: str, reason: str | None = None
) -> Enrollment:
    enrollment = await existing_enrollment(uow, tenant_id, enrollment_id)
    await _leave(uow, tenant_id, enrollment, EnrollmentStatus.WITHDRAWN, reason)
    return enrollment


async def end_enrollments_of(uow: UnitOfWork, tenant_id: str, person_id: str, reason: str) -> int:
    """Ends every active enrollment of a person (e.g. who left the organization), each with an
    `enrollment.withdrawn` event in status ENDED; returns how many ended. Idempotent."""
    result = await uow.session.exec(
        select(Enrollment)
        .where(
            Enrollment.tenant_id == tenant_id,
            Enrollment.person_id == person_id,
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
        )
        .order_by(col(Enrollment.created_at), col(Enrollment.id))
    )
    ended = list(result.all())
    for enrollment in ended:
        await _leave(uow, tenant_id, enrollment, EnrollmentStatus.ENDED, reason)
    return len(ended)


async def _leave(
    uow: UnitOfWork,
    tenant_id: str,
    enrollment: Enrollment,
    status: EnrollmentStatus,
    reason: str | None,
) -> None:
    check_active(EnrollmentStatus(enrollment.status))
    now = utcnow()
    enrollment.status = status.value
    enrollment.reason = reason
    _touch(enrollment, now)
    await uow.emit(
        EnrollmentWithdrawn(enrollment=enrollment_snapshot(enrollment), withdrawn_at=now),
        tenant_id=tenant_id,
    )


def _touch(enrollment: Enrollment, now: datetime) -> None:
    enrollment.revision += 1
    enrollment.updated_at = now


# --- reads -------------------------------------------------------------------------------------


async def get_enrollment(uow: UnitOfWork, tenant_id: str, enrollment_id: str) -> Enrollment | None:
    result = await uow.session.exec(
        select(Enrollment).where(Enrollment.tenant_id == tenant_id, Enrollment.id == enrollment_id)
    )
    return result.first()


async def existing_enrollment(uow: UnitOfWork, tenant_id: str, enrollment_id: str) -> Enrollment:
    enrollment = await get_enrollment(uow, tenant_id, enrollment_id)
    if enrollment is None:
        raise not_found("enrollment")
    return enrollment


async def enrollments_of_people(
    uow: UnitOfWork, tenant_id: str, person_ids: Sequence[str]
) -> list[Enrollment]:
    """Every enrollment of these people, in any status, oldest first."""
    if not person_ids:
        return []
    result = await uow.session.exec(
        select(Enrollment)
        .where(Enrollment.tenant_id == tenant_id, col(Enrollment.person_id).in_(person_ids))
        .order_by(col(Enrollment.created_at), col(Enrollment.id))
    )
    return list(result.all())


async def _active(
    uow: UnitOfWork, tenant_id: str, program_id: str, person_id: str, role: ParticipantRole
) -> Enrollment | None:
    result = await uow.session.exec(
        select(Enrollment).where(
            Enrollment.tenant_id == tenant_id,
            Enrollment.program_id == program_id,
            Enrollment.person_id == person_id,
            Enrollment.role == role.value,
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
        )
    )
    return result.first()


async def enrollment_page(
    uow: UnitOfWork,
    tenant_id: str,
    program_id: str,
    *,
    role: ParticipantRole | None = None,
    status: EnrollmentStatus | None = None,
    first: int,
    after: tuple[datetime, str] | None = None,
) -> Page[Enrollment]:
    """A program's enrollments in the order they were made, after the (createdAt, id) given."""
    query = select(Enrollment).where(
        Enrollment.tenant_id == tenant_id, Enrollment.program_id == program_id
    )
    if role is not None:
        query = query.where(Enrollment.role == role.value)
    if status is not None:
        query = query.where(Enrollment.status == status.value)
    order = (col(Enrollment.created_at), col(Enrollment.id))
    return await keyset_page(uow.session, query, order, first, after)


# --- snapshots ---------------------------------------------------------------------------------


def _terms_of(program: Program) -> ProgramTerms:
    definition = definition_of(program)
    return ProgramTerms(
        kind=definition.kind,
        status=ProgramStatus(program.status),
        window=definition.enrollment_window,
        eligibility=definition.eligibility,
    )


def enrollment_snapshot(enrollment: Enrollment) -> EnrollmentSnapshot:
    # Every field is passed explicitly: events are dumped with exclude_unset.
    return EnrollmentSnapshot(
        id=enrollment.id,
        program_id=enrollment.program_id,
        person_id=enrollment.person_id,
        role=ParticipantRole(enrollment.role),
        goals=list(enrollment.goals),
        capacity=enrollment.capacity,
        status=EnrollmentStatus(enrollment.status),
        reason=enrollment.reason,
        revision=enrollment.revision,
        created_at=enrollment.created_at,
        updated_at=enrollment.updated_at,
    )
