"""Internal REST API: one enrollment (read, change, withdraw), and a person's enrollments."""

from typing import Annotated

from contracts.enrollments import EnrollmentSnapshot
from contracts.pages import Items
from fastapi import APIRouter, Query
from runtime.error_answers import refused_with
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from profiles.entrypoints.program_schemas import (
    EnrollmentBatchRequest,
    EnrollmentPatch,
    WithdrawIn,
)
from profiles.service_layer.enrollments import (
    enrollment_snapshot,
    enrollments_of_people,
    existing_enrollment,
    update_enrollment,
    withdraw,
)

router = APIRouter(prefix="/internal/enrollments", tags=["enrollments"])


@router.get("")
async def of_person(
    caller: CallerDep,
    uow: UowDep,
    person_id: Annotated[str, Query(alias="personId", min_length=1, max_length=64)],
) -> Items[EnrollmentSnapshot]:
    """Every enrollment of one person, in any status, oldest first."""
    found = await enrollments_of_people(uow, caller.tenant_id, [person_id])
    return Items(items=[enrollment_snapshot(e) for e in found])


@router.post("/batch")
async def of_people(
    caller: CallerDep, uow: UowDep, body: EnrollmentBatchRequest
) -> Items[EnrollmentSnapshot]:
    """The enrollments of many people in one call (the gateway's DataLoaders)."""
    found = await enrollments_of_people(uow, caller.tenant_id, body.person_ids)
    return Items(items=[enrollment_snapshot(e) for e in found])


@router.get("/{enrollment_id}")
async def get(enrollment_id: str, caller: CallerDep, uow: UowDep) -> EnrollmentSnapshot:
    return enrollment_snapshot(await existing_enrollment(uow, caller.tenant_id, enrollment_id))


@router.patch("/{enrollment_id}", responses=refused_with(409))
async def patch(
    enrollment_id: str, caller: CallerDep, uow: UowDep, body: EnrollmentPatch
) -> EnrollmentSnapshot:
    """New goals or capacity of an active enrollment, and `enrollment.updated`."""
    enrollment = await update_enrollment(
        uow, caller.tenant_id, enrollment_id, goals=body.goals, capacity=body.capacity
    )
    return enrollment_snapshot(enrollment)


@router.post("/{enrollment_id}/withdraw", responses=refused_with(409))
async def withdraw_(
    enrollment_id: str, caller: CallerDep, uow: UowDep, body: WithdrawIn | None = None
) -> EnrollmentSnapshot:
    """ACTIVE → WITHDRAWN, and `enrollment.withdrawn`."""
    reason = body.reason if body else None
    enrollment = await withdraw(uow, caller.tenant_id, enrollment_id, reason or None)
    return enrollment_snapshot(enrollment)
