"""Internal REST API: one enrollment (read, change, withdraw), and a person's enrollments."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from service_auth.dependencies import CallerDep

from profiles.adapters.program_tables import Enrollment
from profiles.domain.programs import Refused
from profiles.entrypoints.program_schemas import (
    EnrollmentBatchRequest,
    EnrollmentList,
    EnrollmentPatch,
    EnrollmentPublic,
    WithdrawIn,
    refusal,
)
from profiles.entrypoints.programs import UseCase, transact
from profiles.service_layer.enrollments import (
    enrollments_of_people,
    existing_enrollment,
    update_enrollment,
    withdraw,
)

router = APIRouter(prefix="/internal/enrollments", tags=["enrollments"])


async def _enrollment(
    request: Request, use_case: UseCase[Enrollment], *, write: bool = True
) -> EnrollmentPublic | JSONResponse:
    try:
        return EnrollmentPublic.of(await transact(request, use_case, write=write))
    except Refused as refused:
        return refusal(refused)


@router.get("", response_model=EnrollmentList, response_model_by_alias=True)
async def of_person(
    caller: CallerDep,
    request: Request,
    person_id: Annotated[str, Query(alias="personId", min_length=1, max_length=64)],
) -> EnrollmentList:
    """Every enrollment of one person, in any status, oldest first."""
    found = await transact(
        request, lambda uow: enrollments_of_people(uow, caller.tenant_id, [person_id]), write=False
    )
    return EnrollmentList(items=[EnrollmentPublic.of(e) for e in found])


@router.post("/batch", response_model=EnrollmentList, response_model_by_alias=True)
async def of_people(
    caller: CallerDep, request: Request, body: EnrollmentBatchRequest
) -> EnrollmentList:
    """The enrollments of many people in one call (the gateway's DataLoaders)."""
    found = await transact(
        request,
        lambda uow: enrollments_of_people(uow, caller.tenant_id, body.person_ids),
        write=False,
    )
    return EnrollmentList(items=[EnrollmentPublic.of(e) for e in found])


@router.get("/{enrollment_id}", response_model=EnrollmentPublic, response_model_by_alias=True)
async def get(
    enrollment_id: str, caller: CallerDep, request: Request
) -> EnrollmentPublic | JSONResponse:
    return await _enrollment(
        request, lambda uow: existing_enrollment(uow, caller.tenant_id, enrollment_id), write=False
    )


@router.patch("/{enrollment_id}", response_model=EnrollmentPublic, response_model_by_alias=True)
async def patch(
    enrollment_id: str, caller: CallerDep, request: Request, body: EnrollmentPatch
) -> EnrollmentPublic | JSONResponse:
    """New goals or capacity of an active enrollment, and `enrollment.updated`."""

    return await _enrollment(
        request,
        lambda uow: update_enrollment(
            uow, caller.tenant_id, enrollment_id, goals=body.goals, capacity=body.capacity
        ),
    )


@router.post(
    "/{enrollment_id}/withdraw", response_model=EnrollmentPublic, response_model_by_alias=True
)
async def withdraw_(
    enrollment_id: str, caller: CallerDep, request: Request, body: WithdrawIn | None = None
) -> EnrollmentPublic | JSONResponse:
    """ACTIVE → WITHDRAWN, and `enrollment.withdrawn`."""
    reason = body.reason if body else None
    return await _enrollment(
        request, lambda uow: withdraw(uow, caller.tenant_id, enrollment_id, reason or None)
    )
