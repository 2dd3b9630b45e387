"""Internal REST API: programs, and enrolling in them. A refused use case raises `Refused`,
which every service answers as problem+json naming the field (its unit of work rolled back)."""

from datetime import datetime
from typing import Annotated

from contracts.enrollments import EnrollmentSnapshot, EnrollmentStatus
from contracts.internal.programs import ProgramView
from contracts.pages import DEFAULT_PAGE, Connection, Edge, Items
from contracts.programs import ParticipantRole, ProgramStatus
from fastapi import APIRouter, Query
from runtime.error_answers import refused_with
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from profiles.adapters.program_tables import Enrollment
from profiles.entrypoints.program_schemas import (
    EnrollIn,
    ProgramBatchRequest,
    ProgramCreate,
    ProgramPatch,
)
from profiles.entrypoints.views import program_view
from profiles.service_layer.enrollments import enroll, enrollment_page, enrollment_snapshot
from profiles.service_layer.programs import (
    close_program,
    create_program,
    existing_program,
    list_programs,
    open_enrollment,
    programs_by_ids,
    update_program,
)

router = APIRouter(prefix="/internal/programs", tags=["programs"])


@router.post("", status_code=201)
async def create(caller: CallerDep, uow: UowDep, body: ProgramCreate) -> ProgramView:
    """A new program, in DRAFT: nothing is published until it opens enrollment."""
    return program_view(await create_program(uow, caller.tenant_id, body.to_domain()))


@router.get("")
async def list_(
    caller: CallerDep,
    uow: UowDep,
    status: Annotated[list[ProgramStatus] | None, Query(max_length=5)] = None,
) -> Items[ProgramView]:
    """The tenant's programs, oldest first; `status` (repeatable) keeps those in any of them."""
    programs = await list_programs(uow, caller.tenant_id, status or ())
    return Items(items=[program_view(p) for p in programs])


@router.post("/batch")
async def batch(caller: CallerDep, uow: UowDep, body: ProgramBatchRequest) -> Items[ProgramView]:
    """Many programs by id in one call (the gateway's DataLoaders); unknown ids are left out."""
    programs = await programs_by_ids(uow, caller.tenant_id, body.ids)
    return Items(items=[program_view(p) for p in programs])


@router.get("/{program_id}")
async def get(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramView:
    return program_view(await existing_program(uow, caller.tenant_id, program_id))


@router.patch("/{program_id}", responses=refused_with(409))
async def patch(program_id: str, caller: CallerDep, uow: UowDep, body: ProgramPatch) -> ProgramView:
    """A merge patch: each given member replaces the stored value whole. A CLOSED program
    cannot change, and the kind only while it is a DRAFT."""
    program = await update_program(uow, caller.tenant_id, program_id, body.changes())
    return program_view(program)


@router.post("/{program_id}/open-enrollment", responses=refused_with(409))
async def open_enrollment_(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramView:
    """DRAFT → ENROLLING, and `program.published`."""
    return program_view(await open_enrollment(uow, caller.tenant_id, program_id))


@router.post("/{program_id}/close", responses=refused_with(409))
async def close(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramView:
    """Any open program → CLOSED, and `program.closed`."""
    return program_view(await close_program(uow, caller.tenant_id, program_id))


@router.get("/{program_id}/enrollments")
async def enrollments(
    program_id: str,
    caller: CallerDep,
    uow: UowDep,
    role: ParticipantRole | None = None,
    status: EnrollmentStatus | None = None,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> Connection[Edge[EnrollmentSnapshot]]:
    """A program's enrollments in the order they were made, a page at a time."""
    await existing_program(uow, caller.tenant_id, program_id)
    found = await enrollment_page(
        uow,
        caller.tenant_id,
        program_id,
        role=role,
        status=status,
        first=first,
        after=decode_cursor(after, datetime, str) if after else None,
    )
    return Connection(
        edges=[_enrollment_edge(e) for e in found.items],
        total_count=found.total_count,
        has_next_page=found.has_more,
    )


@router.post("/{program_id}/enrollments", status_code=201, responses=refused_with(409))
async def enroll_(
    program_id: str, caller: CallerDep, uow: UowDep, body: EnrollIn
) -> EnrollmentSnapshot:
    """The person joins the program in a role, and `enrollment.created`."""
    enrollment = await enroll(uow, caller.tenant_id, program_id, body.person_id, body.terms())
    return enrollment_snapshot(enrollment)


def _enrollment_edge(enrollment: Enrollment) -> Edge[EnrollmentSnapshot]:
    cursor = encode_cursor(enrollment.created_at, enrollment.id)
    return Edge(cursor=cursor, node=enrollment_snapshot(enrollment))
