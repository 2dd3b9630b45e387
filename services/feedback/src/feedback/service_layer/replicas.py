"""What feedback keeps of people, programs and enrollments (newest revision wins; replays
are no-ops), and the figures and requests that follow from them."""

from datetime import datetime
from typing import Any

from contracts.enrollments import (
    EnrollmentCreated,
    EnrollmentSnapshot,
    EnrollmentUpdated,
    EnrollmentWithdrawn,
)
from contracts.people import (
    OrgFieldChange,
    PersonCreated,
    PersonStatus,
    PersonTerminated,
    PersonUpdated,
)
from contracts.programs import ProgramClosed, ProgramPublished, ProgramUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow

from feedback.adapters import figures_store
from feedback.adapters.facts_store import enrollment_of
from feedback.adapters.figures_store import dialect_insert
from feedback.adapters.tables import KnownEnrollment, KnownProgram, OrgPerson, OrgVersion, roster
from feedback.domain.facts import enrollment_fact
from feedback.domain.org_history import OrgField, OrgMove
from feedback.domain.periods import utc
from feedback.service_layer.erasure import erasure_handlers
from feedback.service_layer.requests import withdraw_for_leaver


async def bump_org_version(uow: UnitOfWork, tenant_id: str) -> None:
    """People or enrollments changed: the protected insights are rebuilt on next read."""
    insert = await dialect_insert(uow.session)
    table = OrgVersion.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(tenant_id=tenant_id, version=1)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id"], set_={"version": table.c.version + 1}
        )
    )


def _move(change: OrgFieldChange) -> dict[str, Any]:
    return {
        "field": change.field,
        "from": change.from_value,
        "to": change.to_value,
        "at": utc(change.effective_at).isoformat(),
        "version": change.source_version,
    }


def moves_of(person: OrgPerson) -> list[OrgMove]:
    known = {f.value for f in OrgField}
    return [
        OrgMove(
            field=OrgField(m["field"]),
            from_value=m["from"],
            to_value=m["to"],
            effective_at=datetime.fromisoformat(m["at"]),
        )
        for m in person.moves
        if m["field"] in known
    ]


async def on_person(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, PersonCreated | PersonUpdated | PersonTerminated)
    tenant_id, person = received.tenant_id, event.person
    await roster.apply(uow, received)
    row = await uow.session.get(OrgPerson, (tenant_id, person.id))
    # Moves are facts with their own time: kept whatever order the events came in.
    moves = {(m["field"], m["at"], m["version"]): m for m in (row.moves if row else [])}
    for change in event.org_changes:
        moved = _move(change)
        moves[(moved["field"], moved["at"], moved["version"])] = moved
    kept = sorted(moves.values(), key=lambda m: (m["at"], m["version"]))
    if row is None:
        row = OrgPerson(tenant_id=tenant_id, person_id=person.id, revision=-1, status="")
        uow.session.add(row)
    row.moves = kept
    if person.revision > row.revision:
        row.revision = person.revision
        row.status = person.status.value
        row.hired_on = person.hire_date
        row.level = person.level
        row.department = person.department
        row.title = person.title
        row.underrepresented = person.underrepresented
        if isinstance(event, PersonTerminated):
            row.left_at = event.terminated_at
        elif person.status is not PersonStatus.TERMINATED:
            row.left_at = None
    await bump_org_version(uow, tenant_id)
    if person.status is PersonStatus.TERMINATED:
        await withdraw_for_leaver(uow, tenant_id, person.id, utcnow())


async def on_program(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, ProgramPublished | ProgramUpdated | ProgramClosed)
    tenant_id, program = received.tenant_id, event.program
    row = await uow.session.get(KnownProgram, (tenant_id, program.id))
    if row is not None and row.revision >= program.revision:
        return
    snapshot = program.model_dump(mode="json", by_alias=True)
    await bump_org_version(uow, tenant_id)  # eligibility and the window may have changed
    if row is None:
        uow.session.add(
            KnownProgram(
                tenant_id=tenant_id,
                program_id=program.id,
                status=program.status.value,
                starts_on=program.starts_on,
                published_at=program.updated_at,
                snapshot=snapshot,
                revision=program.revision,
            )
        )
        return
    row.status, row.starts_on = program.status.value, program.starts_on
    row.snapshot, row.revision = snapshot, program.revision


async def upsert_enrollment(uow: UnitOfWork, tenant_id: str, snapshot: EnrollmentSnapshot) -> None:
    row = await uow.session.get(KnownEnrollment, (tenant_id, snapshot.id))
    new = enrollment_fact(snapshot)
    previous = None if row is None else enrollment_of(row)
    if not await figures_store.record(uow.session, tenant_id, new, previous):
        return
    if row is None:
        row = KnownEnrollment(
            tenant_id=tenant_id,
            enrollment_id=snapshot.id,
            program_id=snapshot.program_id,
            person_id=snapshot.person_id,
            role=snapshot.role.value,
            status=snapshot.status.value,
            joined_at=new.joined_at,
            revision=snapshot.revision,
        )
        uow.session.add(row)
    row.role, row.status = snapshot.role.value, snapshot.status.value
    row.joined_at, row.left_at, row.revision = new.joined_at, new.left_at, snapshot.revision
    await bump_org_version(uow, tenant_id)


async def on_enrollment(uow: UnitOfWork, received: Received) -> None:
    event = received.event
    assert isinstance(event, EnrollmentCreated | EnrollmentUpdated | EnrollmentWithdrawn)
    await upsert_enrollment(uow, received.tenant_id, event.enrollment)


def replica_handlers() -> dict[str, Handler]:
    return {
        PersonCreated.event_type: on_person,
        PersonUpdated.event_type: on_person,
        PersonTerminated.event_type: on_person,
        ProgramPublished.event_type: on_program,
        ProgramUpdated.event_type: on_program,
        ProgramClosed.event_type: on_program,
        EnrollmentCreated.event_type: on_enrollment,
        EnrollmentUpdated.event_type: on_enrollment,
        EnrollmentWithdrawn.event_type: on_enrollment,
        **erasure_handlers(),
    }
