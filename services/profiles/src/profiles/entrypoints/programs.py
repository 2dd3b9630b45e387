"""Internal REST API: programs, and enrolling in them. Refusals are problem+json naming the
field, with a `code` the gateway reports as the userError code."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from contracts.enrollments import EnrollmentStatus
from contracts.programs import ParticipantRole, ProgramStatus
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from messaging.outbox import UnitOfWork
from service_auth.dependencies import CallerDep

from profiles.adapters.program_tables import Enrollment, Program
from profiles.domain.programs import Refused
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
    refusal,
)
from profiles.service_layer.enrollments import EnrollmentPage, enroll, enrollment_page
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

T = TypeVar("T")
UseCase = Callable[[UnitOfWork], Awaitable[T]]


async def transact(request: Request, use_case: UseCase[T], *, write: bool = True) -> T:
    """Runs one use case in one transaction: committed whole, or (refused) not at all."""
    async with request.app.state.process.uow() as uow:
        result = await use_case(uow)
        if write:
            await uow.commit()
    return result


async def _program(request: Request, use_case: UseCase[Program]) -> ProgramPublic | JSONResponse:
    try:
        return ProgramPublic.of(await transact(request, use_case))
    except Refused as refused:
        return refusal(refused)


@router.post("", status_code=201, response_model=ProgramPublic, response_model_by_alias=True)
async def create(
    caller: CallerDep, request: Request, body: ProgramCreate
) -> ProgramPublic | JSONResponse:
    """A new program, in DRAFT: nothing is published until it opens enrollment."""
    definition = body.to_domain()
    return await _program(request, lambda uow: create_program(uow, caller.tenant_id, definition))


@router.get("", response_model=ProgramList, response_model_by_alias=True)
async def list_(
    caller: CallerDep,
    request: Request,
    status: Annotated[list[ProgramStatus] | None, Query(max_length=5)] = None,
) -> ProgramList:
    """The tenant's programs, oldest first; `status` (repeatable) keeps those in any of them."""
    programs = await transact(
        request, lambda uow: list_programs(uow, caller.tenant_id, status or ()), write=False
    )
    return ProgramList(items=[ProgramPublic.of(p) for p in programs])


@router.post("/batch", response_model=ProgramList, response_model_by_alias=True)
async def batch(caller: CallerDep, request: Request, body: ProgramBatchRequest) -> ProgramList:
    """Many programs by id in one call (the gateway's DataLoaders); unknown ids are left out."""
    programs = await transact(
        request, lambda uow: programs_by_ids(uow, caller.tenant_id, body.ids), write=False
    )
    return ProgramList(items=[ProgramPublic.of(p) for p in programs])


@router.get("/{program_id}", response_model=ProgramPublic, response_model_by_alias=True)
async def get(program_id: str, caller: CallerDep, request: Request) -> ProgramPublic | JSONResponse:
    try:
        program = await transact(
            request, lambda uow: existing_program(uow, caller.tenant_id, program_id), write=False
        )
    except Refused as refused:
        return refusal(refused)
    return ProgramPublic.of(program)


@router.patch("/{program_id}", response_model=ProgramPublic, response_model_by_alias=True)
async def patch(
    program_id: str, caller: CallerDep, request: Request, body: ProgramPatch
) -> ProgramPublic | JSONResponse:
    """A merge patch: each given member replaces the stored value whole. A CLOSED program
    cannot change, and the kind only while it is a DRAFT."""
    try:
        changes = body.changes()
    except Refused as refused:
        return refusal(refused)
    return await _program(
        request, lambda uow: update_program(uow, caller.tenant_id, program_id, changes)
    )


@router.post(
    "/{program_id}/open-enrollment", response_model=ProgramPublic, response_model_by_alias=True
)
async def open_enrollment_(
    program_id: str, caller: CallerDep, request: Request
) -> ProgramPublic | JSONResponse:
    """DRAFT → ENROLLING, and `program.published`."""
    return await _program(request, lambda uow: open_enrollment(uow, caller.tenant_id, program_id))


@router.post("/{program_id}/close", response_model=ProgramPublic, response_model_by_alias=True)
async def close(
    program_id: str, caller: CallerDep, request: Request
) -> ProgramPublic | JSONResponse:
    """Any open program → CLOSED, and `program.closed`."""
    return await _program(request, lambda uow: close_program(uow, caller.tenant_id, program_id))


@router.get(
    "/{program_id}/enrollments", response_model=EnrollmentPageOut, response_model_by_alias=True
)
async def enrollments(
    program_id: str,
    caller: CallerDep,
    request: Request,
    role: ParticipantRole | None = None,
    status: EnrollmentStatus | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=1024)] = None,
) -> EnrollmentPageOut | JSONResponse:
    """A program's enrollments in the order they were made, a page at a time."""

    async def page(uow: UnitOfWork) -> EnrollmentPage:
        await existing_program(uow, caller.tenant_id, program_id)
        return await enrollment_page(
            uow, caller.tenant_id, program_id, role=role, status=status, first=first, after=after
        )

    try:
        found = await transact(request, page, write=False)
    except Refused as refused:
        return refusal(refused)
    return EnrollmentPageOut(
        edges=[
            EnrollmentEdge(cursor=cursor, node=EnrollmentPublic.of(e))
            for e, cursor in zip(found.items, found.cursors, strict=True)
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
    program_id: str, caller: CallerDep, request: Request, body: EnrollIn
) -> EnrollmentPublic | JSONResponse:
    """The person joins the program in a role, and `enrollment.created`."""

    def use_case(uow: UnitOfWork) -> Awaitable[Enrollment]:
        return enroll(uow, caller.tenant_id, program_id, body.person_id, body.terms())

    try:
        return EnrollmentPublic.of(await transact(request, use_case))
    except Refused as refused:
        return refusal(refused)
