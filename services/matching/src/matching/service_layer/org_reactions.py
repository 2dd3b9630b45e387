"""Reacting to the org: a participant who leaves (the organization, or the program) ends their
open matches; a manager change that puts a pair into one reporting line flags the match for
review (and blocks the pair)."""

from contracts.enrollments import EnrollmentWithdrawn
from contracts.people import PersonCreated, PersonTerminated, PersonUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.matches import Matches
from matching.adapters.replicas import Replicas
from matching.adapters.tables import roster
from matching.domain import lifecycle
from matching.domain.lifecycle import SYSTEM
from matching.service_layer.cohorts import reporting_lines
from matching.service_layer.matches import record
from matching.service_layer.replicas import on_enrollment

LEFT = "left the organization"
WITHDRAWN = "left the program"
SAME_LINE = "flagged for review: the pair is now in one reporting line"


async def on_person(uow: UnitOfWork, received: Received) -> None:
    """The roster keeps the person; a leaver's open matches end; a new manager may put a
    pair into one reporting line."""
    await roster.apply(uow, received)
    event = received.event
    tenant_id = received.tenant_id
    if isinstance(event, PersonTerminated):
        now = utcnow()
        for match in await Matches(uow.session, tenant_id).of_person(event.person.id):
            await record(uow, tenant_id, lifecycle.end_if_open(match, LEFT, now))
    elif isinstance(event, PersonUpdated) and "managerId" in event.changed_fields:
        await flag_same_line(uow, tenant_id)


async def flag_same_line(uow: UnitOfWork, tenant_id: str) -> int:
    """Flags every open match whose pair is now in one reporting line; how many newly."""
    await uow.session.flush()  # the roster row just written must be seen
    people = await Replicas(uow.session, tenant_id).people()
    lines = reporting_lines({pid: p.manager_id for pid, p in people.items()})
    flagged = 0
    now = utcnow()
    for match in await Matches(uow.session, tenant_id).open():
        if match.flagged_for_review:
            continue
        if match.mentor_id in lines.get(match.mentee_id, ()) or match.mentee_id in lines.get(
            match.mentor_id, ()
        ):
            await record(uow, tenant_id, lifecycle.flag_for_review(match, SYSTEM, SAME_LINE, now))
            flagged += 1
    return flagged


async def on_enrollment_withdrawn(uow: UnitOfWork, received: Received) -> None:
    """The replica keeps the enrollment as withdrawn, and the person's open matches in that
    program end: one use case, one handler."""
    await on_enrollment(uow, received)
    event = received.event
    assert isinstance(event, EnrollmentWithdrawn)
    e = event.enrollment
    now = utcnow()
    for match in await Matches(uow.session, received.tenant_id).of_person(e.person_id):
        if match.program_id == e.program_id:
            await record(uow, received.tenant_id, lifecycle.end_if_open(match, WITHDRAWN, now))


def org_handlers() -> dict[str, Handler]:
    return {
        PersonCreated.event_type: on_person,
        PersonUpdated.event_type: on_person,
        PersonTerminated.event_type: on_person,
        EnrollmentWithdrawn.event_type: on_enrollment_withdrawn,
    }
