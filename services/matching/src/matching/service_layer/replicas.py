"""Keeping the replicas of programs and enrollments: the newest revision wins, replays and
late older events change nothing. A closing program and a withdrawal do more than that: their
use cases (`progress`, `org_reactions`) keep the replica first."""

from contracts.enrollments import EnrollmentCreated, EnrollmentUpdated, EnrollmentWithdrawn
from contracts.programs import ProgramClosed, ProgramPublished, ProgramUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork

from matching.adapters.replicas import Replicas
from matching.service_layer.erasure import erasure_handlers


async def on_program(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, ProgramPublished | ProgramUpdated | ProgramClosed)
    await Replicas(uow.session, received.tenant_id).keep_program(event.program)


async def on_enrollment(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, EnrollmentCreated | EnrollmentUpdated | EnrollmentWithdrawn)
    await Replicas(uow.session, received.tenant_id).keep_enrollment(event.enrollment)


def replica_handlers() -> dict[str, Handler]:
    return {
        ProgramPublished.event_type: on_program,
        ProgramUpdated.event_type: on_program,
        EnrollmentCreated.event_type: on_enrollment,
        EnrollmentUpdated.event_type: on_enrollment,
        **erasure_handlers(),
    }
