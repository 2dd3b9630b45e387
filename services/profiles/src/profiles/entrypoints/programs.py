"""Internal REST API: programs, and enrolling in them. A refused use case raises `Refused`,
which every service answers as problem+json naming the field (its unit of work rolled back)."""

from datetime import datetime
from typing import Annotated

from contracts.enrollments import EnrollmentStatus
from contracts.pages import DEFAULT_PAGE
from contracts.programs import ParticipantRole, ProgramStatus
from fastapi import APIRouter, Query
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from profiles.entrypoints.program_schemas import (
    EnrollIn,
    EnrollmentEdge,
    EnrollmentPageOut,
    EnrollmentPublic,
    ProgramBatchRequest,
    ProgramCreate,
    ProgramList,
    ProgramPatch,
    ProgramPublic,
)
from profiles.service_layer.enrollments import enroll, enrollment_page
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


@router.post("", status_code=201, response_model=ProgramPublic, response_model_by_alias=True)
async def create(caller: CallerDep, uow: UowDep, body: ProgramCreate) -> ProgramPublic:
    """A new program, in DRAFT: nothing is published until it opens enrollment."""
    return ProgramPublic.of(await create_program(uow, caller.tenant_id, body.to_domain()))


@router.get("", response_model=ProgramList, response_model_by_alias=True)
async def list_(
    caller: CallerDep,
    uow: UowDep,
    status: Annotated[list[ProgramStatus] | None, Query(max_length=5)] = None,
) -> ProgramList:
    """The tenant's programs, oldest first; `status` (repeatable) keeps those in any of them."""
    programs = await list_programs(uow, caller.tenant_id, status or ())
    return ProgramList(items=[ProgramPublic.of(p) for p in programs])


@router.post("/batch", response_model=ProgramList, response_model_by_alias=True)
async def batch(caller: CallerDep, uow: UowDep, body: ProgramBatchRequest) -> ProgramList:
    """Many programs by id in one call (the gateway's DataLoaders); unknown ids are left out."""
    programs = await programs_by_ids(uow, caller.tenant_id, body.ids)
    return ProgramList(items=[ProgramPublic.of(p) for p in programs])


@router.get("/{program_id}", response_model=ProgramPublic, response_model_by_alias=True)
async def get(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramPublic:
    return ProgramPublic.of(await existing_program(uow, caller.tenant_id, program_id))


@router.patch("/{program_id}", response_model=ProgramPublic, response_model_by_alias=True)
async def patch(
    program_id: str, caller: CallerDep, uow: UowDep, body: ProgramPatch
) -> ProgramPublic:
    """A merge patch: each given member replaces the stored value whole. A CLOSED program
    cannot change, and the kind only while it is a DRAFT."""
    program = await update_program(uow, caller.tenant_id, program_id, body.changes())
    return ProgramPublic.of(program)


@router.post(
    "/{program_id}/open-enrollment", response_model=ProgramPublic, response_model_by_alias=True
)
async def open_enrollment_(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramPublic:
    """DRAFT → ENROLLING, and `program.published`."""
    return ProgramPublic.of(await open_enrollment(uow, caller.tenant_id, program_id))


@router.post("/{program_id}/close", response_model=ProgramPublic, response_model_by_alias=True)
async def close(program_id: str, caller: CallerDep, uow: UowDep) -> ProgramPublic:
    """Any open program → CLOSED, and `program.closed`."""
    return ProgramPublic.of(await close_program(uow, caller.tenant_id, program_id))


@router.get(
    "/{program_id}/enrollments", response_model=EnrollmentPageOut, response_model_by_alias=True
)
async def enrollments(
    program_id: str,
    caller: CallerDep,
    uow: UowDep,
    role: ParticipantRole | None = None,
    status: EnrollmentStatus | None = None,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> EnrollmentPageOut:
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
    return EnrollmentPageOut(
        edges=[
            EnrollmentEdge(cursor=encode_cursor(e.created_at, e.id), node=EnrollmentPublic.of(e))
            for e in found.items
        ],
        total_count=found.total_count,
        has_next_page=found.has_more,
    )


@router.post(
    "/{program_id}/enrollments",
    status_code=201,
    response_model=EnrollmentPublic,
    response_model_by_alias=True,
)
async def enroll_(
    program_id: str, caller: CallerDep, uow: UowDep, body: EnrollIn
) -> EnrollmentPublic:
    """The person joins the program in a role, and `enrollment.created`."""
    enrollment = await enroll(uow, caller.tenant_id, program_id, body.person_id, body.terms())
    return EnrollmentPublic.of(enrollment)
