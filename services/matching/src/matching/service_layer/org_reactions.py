"""Reacting to the org: a participant who leaves ends their open matches; a manager change
that puts a pair into one reporting line flags the match for review (and blocks the pair)."""

from contracts.enrollments import EnrollmentWithdrawn
from contracts.people import PersonCreated, PersonTerminated, PersonUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from matching.adapters.repository import Matches, Replicas
from matching.adapters.tables import roster as tables_roster
from matching.service_layer.cohorts import reporting_lines
from matching.service_layer.matches import end_match, flag_for_review
from matching.service_layer.replicas import on_enrollment

LEFT = "left the organization"
WITHDRAWN = "left the program"
SAME_LINE = "flagged for review: the pair is now in one reporting line"


async def on_person(uow: UnitOfWork, received: Received) -> None:
    await tables_roster.apply(uow, received)
    event = received.event
    tenant_id = received.tenant_id
    if isinstance(event, PersonTerminated):
        now = utcnow()
        for row in await Matches(uow.session, tenant_id).of_person(event.person.id):
            if row.status in ("PROPOSED", "ACCEPTED", "ACTIVE"):
                await end_match(uow, tenant_id, row, LEFT, now)
    elif isinstance(event, PersonUpdated) and "managerId" in event.changed_fields:
        await flag_same_line(uow, tenant_id)


async def flag_same_line(uow: UnitOfWork, tenant_id: str) -> int:
    """Flags every open match whose pair is now in one reporting line; how many newly."""
    await uow.session.flush()  # the roster row just written must be seen
    people = await Replicas(uow.session, tenant_id).people()
    lines = reporting_lines({pid: p.get("managerId") for pid, p in people.items()})
    flagged = 0
    now = utcnow()
    for row in await Matches(uow.session, tenant_id).open():
        if row.flagged_for_review:
            continue
        if row.mentor_id in lines.get(row.mentee_id, ()) or row.mentee_id in lines.get(
            row.mentor_id, ()
        ):
            await flag_for_review(uow, tenant_id, row, SAME_LINE, now)
            flagged += 1
    return flagged


async def on_enrollment_withdrawn(uow: UnitOfWork, received: Received) -> None:
    await on_enrollment(uow, received)
    event = received.event
    assert isinstance(event, EnrollmentWithdrawn)
    e = event.enrollment
    now = utcnow()
    for row in await Matches(uow.session, received.tenant_id).of_person(e.person_id):
        if row.program_id == e.program_id and row.status in ("PROPOSED", "ACCEPTED", "ACTIVE"):
            await end_match(uow, received.tenant_id, row, WITHDRAWN, now)


def person_handlers() -> dict[str, Handler]:
    return {
        PersonCreated.event_type: on_person,
        PersonUpdated.event_type: on_person,
        PersonTerminated.event_type: on_person,
    }
