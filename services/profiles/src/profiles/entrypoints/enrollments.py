"""Internal REST API: one enrollment (read, change, withdraw), and a person's enrollments."""

from typing import Annotated

from fastapi import APIRouter, Query
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from profiles.entrypoints.program_schemas import (
    EnrollmentBatchRequest,
    EnrollmentList,
    EnrollmentPatch,
    EnrollmentPublic,
    WithdrawIn,
)
from profiles.service_layer.enrollments import (
    enrollments_of_people,
    existing_enrollment,
    update_enrollment,
    withdraw,
)

router = APIRouter(prefix="/internal/enrollments", tags=["enrollments"])


@router.get("", response_model=EnrollmentList, response_model_by_alias=True)
async def of_person(
    caller: CallerDep,
    uow: UowDep,
    person_id: Annotated[str, Query(alias="personId", min_length=1, max_length=64)],
) -> EnrollmentList:
    """Every enrollment of one person, in any status, oldest first."""
    found = await enrollments_of_people(uow, caller.tenant_id, [person_id])
    return EnrollmentList(items=[EnrollmentPublic.of(e) for e in found])


@router.post("/batch", response_model=EnrollmentList, response_model_by_alias=True)
async def of_people(caller: CallerDep, uow: UowDep, body: EnrollmentBatchRequest) -> EnrollmentList:
    """The enrollments of many people in one call (the gateway's DataLoaders)."""
    found = await enrollments_of_people(uow, caller.tenant_id, body.person_ids)
    return EnrollmentList(items=[EnrollmentPublic.of(e) for e in found])


@router.get("/{enrollment_id}", response_model=EnrollmentPublic, response_model_by_alias=True)
async def get(enrollment_id: str, caller: CallerDep, uow: UowDep) -> EnrollmentPublic:
    return EnrollmentPublic.of(await existing_enrollment(uow, caller.tenant_id, enrollment_id))


@router.patch("/{enrollment_id}", response_model=EnrollmentPublic, response_model_by_alias=True)
async def patch(
    enrollment_id: str, caller: CallerDep, uow: UowDep, body: EnrollmentPatch
) -> EnrollmentPublic:
    """New goals or capacity of an active enrollment, and `enrollment.updated`."""
    enrollment = await update_enrollment(
        uow, caller.tenant_id, enrollment_id, goals=body.goals, capacity=body.capacity
    )
    return EnrollmentPublic.of(enrollment)


@router.post(
    "/{enrollment_id}/withdraw", response_model=EnrollmentPublic, response_model_by_alias=True
)
async def withdraw_(
    enrollment_id: str, caller: CallerDep, uow: UowDep, body: WithdrawIn | None = None
) -> EnrollmentPublic:
    """ACTIVE → WITHDRAWN, and `enrollment.withdrawn`."""
    reason = body.reason if body else None
    enrollment = await withdraw(uow, caller.tenant_id, enrollment_id, reason or None)
    return EnrollmentPublic.of(enrollment)
