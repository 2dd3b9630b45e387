"""Keeping the replicas of programs and enrollments: the newest revision wins, replays and
late older events change nothing."""

from typing import Any

from contracts.enrollments import EnrollmentCreated, EnrollmentUpdated, EnrollmentWithdrawn
from contracts.programs import ProgramClosed, ProgramPublished, ProgramUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork

from matching.adapters.tables import KnownEnrollment, KnownProgram


async def on_program(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, ProgramPublished | ProgramUpdated | ProgramClosed)
    program = event.program
    # The raw snapshot, not the model: it keeps policy fields a newer profiles may add, which
    # `cohorts.program_rules` reads when present.
    snapshot: dict[str, Any] = received.envelope.data.get("program") or program.model_dump(
        mode="json", by_alias=True
    )
    known = await uow.session.get(KnownProgram, (received.tenant_id, program.id))
    if known is None:
        uow.session.add(
            KnownProgram(
                tenant_id=received.tenant_id,
                program_id=program.id,
                kind=program.kind.value,
                status=program.status.value,
                snapshot=snapshot,
                revision=program.revision,
            )
        )
    elif known.revision < program.revision:
        known.kind = program.kind.value
        known.status = program.status.value
        known.snapshot = snapshot
        known.revision = program.revision


async def on_enrollment(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, EnrollmentCreated | EnrollmentUpdated | EnrollmentWithdrawn)
    e = event.enrollment
    known = await uow.session.get(KnownEnrollment, (received.tenant_id, e.id))
    if known is None:
        uow.session.add(
            KnownEnrollment(
                tenant_id=received.tenant_id,
                enrollment_id=e.id,
                program_id=e.program_id,
                person_id=e.person_id,
                role=e.role.value,
                goals=list(e.goals),
                capacity=e.capacity,
                status=e.status.value,
                revision=e.revision,
            )
        )
    elif known.revision < e.revision:
        known.goals = list(e.goals)
        known.capacity = e.capacity
        known.status = e.status.value
        known.role = e.role.value
        known.revision = e.revision


def replica_handlers() -> dict[str, Handler]:
    return {
        ProgramPublished.event_type: on_program,
        ProgramUpdated.event_type: on_program,
        ProgramClosed.event_type: on_program,
        EnrollmentCreated.event_type: on_enrollment,
        EnrollmentUpdated.event_type: on_enrollment,
        EnrollmentWithdrawn.event_type: on_enrollment,
    }
