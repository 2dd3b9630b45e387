"""Program use cases: define, edit, open enrollment, close. Each runs inside the caller's unit
of work (the caller commits), and writes its events to the outbox in the same transaction.

Drafts are private to profiles: events start with `program.published` (openEnrollment)."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from contracts.problems import Code
from contracts.programs import (
    CurriculumModuleSnapshot,
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicySnapshot,
    ObjectiveSnapshot,
    ProgramClosed,
    ProgramKind,
    ProgramPublished,
    ProgramSnapshot,
    ProgramStatus,
    ProgramUpdated,
)
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import Refused, not_found
from sqlmodel import col, select

from profiles.adapters.program_tables import Program
from profiles.domain.programs import (
    Curriculum,
    CurriculumModule,
    Eligibility,
    EnrollmentWindow,
    Objective,
    ProgramDefinition,
    changed_fields,
    check_edit,
    opening_violations,
    transition,
    validated,
)


async def create_program(uow: UnitOfWork, tenant_id: str, definition: ProgramDefinition) -> Program:
    now = utcnow()
    program = Program(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        status=ProgramStatus.DRAFT.value,
        revision=1,
        created_at=now,
        updated_at=now,
        **_columns(validated(definition, now.date())),
    )
    uow.session.add(program)
    await uow.session.flush()
    return program


async def get_program(uow: UnitOfWork, tenant_id: str, program_id: str) -> Program | None:
    result = await uow.session.exec(
        select(Program).where(Program.tenant_id == tenant_id, Program.id == program_id)
    )
    return result.first()


async def existing_program(uow: UnitOfWork, tenant_id: str, program_id: str) -> Program:
    """The program, or Refused(NOT_FOUND) — a program of another tenant is not found either."""
    program = await get_program(uow, tenant_id, program_id)
    if program is None:
        raise not_found("program")
    return program


async def list_programs(
    uow: UnitOfWork, tenant_id: str, statuses: Sequence[ProgramStatus] = ()
) -> list[Program]:
    query = select(Program).where(Program.tenant_id == tenant_id)
    if statuses:
        query = query.where(col(Program.status).in_([s.value for s in statuses]))
    result = await uow.session.exec(query.order_by(col(Program.created_at), col(Program.id)))
    return list(result.all())


async def programs_by_ids(uow: UnitOfWork, tenant_id: str, ids: Sequence[str]) -> list[Program]:
    if not ids:
        return []
    result = await uow.session.exec(
        select(Program).where(Program.tenant_id == tenant_id, col(Program.id).in_(ids))
    )
    return list(result.all())


async def update_program(
    uow: UnitOfWork, tenant_id: str, program_id: str, changes: Mapping[str, Any]
) -> Program:
    """`changes` maps ProgramDefinition field names to new values; each replaces the stored
    value whole. Published programs announce what changed (`program.updated`)."""
    program = await existing_program(uow, tenant_id, program_id)
    status = ProgramStatus(program.status)
    before = definition_of(program)
    now = utcnow()
    after = replace(before, **changes)
    check_edit(status, before, after)
    after = validated(after, now.date())
    changed = changed_fields(before, after)
    if not changed:
        return program
    for name, value in _columns(after).items():
        setattr(program, name, value)
    _touch(program, now)
    if status is not ProgramStatus.DRAFT:
        await uow.emit(
            ProgramUpdated(program=program_snapshot(program), changed_fields=changed),
            tenant_id=tenant_id,
        )
    return program


async def open_enrollment(uow: UnitOfWork, tenant_id: str, program_id: str) -> Program:
    program = await existing_program(uow, tenant_id, program_id)
    target = transition(ProgramStatus(program.status), ProgramStatus.ENROLLING)
    now = utcnow()
    violations = opening_violations(definition_of(program), now)
    if violations:
        raise Refused.many(Code.INVALID, violations)
    program.status = target.value
    _touch(program, now)
    await uow.emit(ProgramPublished(program=program_snapshot(program)), tenant_id=tenant_id)
    return program


async def close_program(uow: UnitOfWork, tenant_id: str, program_id: str) -> Program:
    program = await existing_program(uow, tenant_id, program_id)
    program.status = transition(ProgramStatus(program.status), ProgramStatus.CLOSED).value
    now = utcnow()
    _touch(program, now)
    await uow.emit(
        ProgramClosed(program=program_snapshot(program), closed_at=now), tenant_id=tenant_id
    )
    return program


def _touch(program: Program, now: datetime) -> None:
    program.revision += 1
    program.updated_at = now


# --- rows, definitions and snapshots ------------------------------------------------------------


def definition_of(program: Program) -> ProgramDefinition:
    curriculum = CurriculumSnapshot.model_validate(program.curriculum)
    eligibility = EligibilitySnapshot.model_validate(program.eligibility)
    return ProgramDefinition(
        name=program.name,
        kind=ProgramKind(program.kind),
        description=program.description,
        starts_on=program.starts_on,
        ends_on=program.ends_on,
        # The domain's objective carries exactly its snapshot's fields; the policy is its
        # snapshot.
        objectives=tuple(
            Objective(**ObjectiveSnapshot.model_validate(item).model_dump())
            for item in program.objectives
        ),
        curriculum=Curriculum(
            cadence=curriculum.cadence,
            session_minutes=curriculum.session_minutes,
            modules=tuple(
                CurriculumModule(
                    title=m.title,
                    discussion_guide=m.discussion_guide,
                    pre_work=tuple(m.pre_work),
                    action_item_templates=tuple(m.action_item_templates),
                )
                for m in curriculum.modules
            ),
        ),
        matching_policy=MatchingPolicySnapshot.model_validate(program.matching_policy),
        enrollment_window=EnrollmentWindow(
            opens_at=program.enrollment_opens_at, closes_at=program.enrollment_closes_at
        ),
        eligibility=Eligibility(
            levels=tuple(eligibility.levels),
            departments=tuple(eligibility.departments),
            roles=tuple(eligibility.roles),
        ),
    )


def _columns(definition: ProgramDefinition) -> dict[str, Any]:
    parts = _parts(definition)
    return {
        "name": definition.name,
        "kind": definition.kind.value,
        "description": definition.description,
        "starts_on": definition.starts_on,
        "ends_on": definition.ends_on,
        "objectives": [o.model_dump(mode="json", by_alias=True) for o in parts.objectives],
        "curriculum": parts.curriculum.model_dump(mode="json", by_alias=True),
        "matching_policy": parts.matching_policy.model_dump(mode="json", by_alias=True),
        "enrollment_opens_at": definition.enrollment_window.opens_at,
        "enrollment_closes_at": definition.enrollment_window.closes_at,
        "eligibility": parts.eligibility.model_dump(mode="json", by_alias=True),
    }


@dataclass(frozen=True)
class _Parts:
    """The nested values of a definition in their snapshot (wire) shape."""

    objectives: list[ObjectiveSnapshot]
    curriculum: CurriculumSnapshot
    matching_policy: MatchingPolicySnapshot
    eligibility: EligibilitySnapshot


def _parts(d: ProgramDefinition) -> _Parts:
    # Every field is passed explicitly (asdict and dict give them all): events are dumped
    # with exclude_unset.
    return _Parts(
        objectives=[ObjectiveSnapshot(**asdict(o)) for o in d.objectives],
        curriculum=CurriculumSnapshot(
            cadence=d.curriculum.cadence,
            session_minutes=d.curriculum.session_minutes,
            modules=[
                CurriculumModuleSnapshot(
                    title=m.title,
                    discussion_guide=m.discussion_guide,
                    pre_work=list(m.pre_work),
                    action_item_templates=list(m.action_item_templates),
                )
                for m in d.curriculum.modules
            ],
        ),
        matching_policy=MatchingPolicySnapshot(**dict(d.matching_policy)),
        eligibility=EligibilitySnapshot(
            levels=list(d.eligibility.levels),
            departments=list(d.eligibility.departments),
            roles=list(d.eligibility.roles),
        ),
    )


def program_snapshot(program: Program) -> ProgramSnapshot:
    definition = definition_of(program)
    parts = _parts(definition)
    return ProgramSnapshot(
        id=program.id,
        name=definition.name,
        kind=definition.kind,
        status=ProgramStatus(program.status),
        description=definition.description,
        starts_on=definition.starts_on,
        ends_on=definition.ends_on,
        objectives=parts.objectives,
        curriculum=parts.curriculum,
        matching_policy=parts.matching_policy,
        enrollment_window=EnrollmentWindowSnapshot(
            opens_at=definition.enrollment_window.opens_at,
            closes_at=definition.enrollment_window.closes_at,
        ),
        eligibility=parts.eligibility,
        revision=program.revision,
        updated_at=program.updated_at,
    )
