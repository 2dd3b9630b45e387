"""What matching knows of other services' state, as their contracts describe it: programs
(`ProgramSnapshot`), people (`PersonSnapshot`, from the roster) and active enrollments. The
newest revision wins; replays and late older events change nothing."""

from dataclasses import dataclass

from contracts.enrollments import EnrollmentSnapshot, EnrollmentStatus
from contracts.people import PersonSnapshot
from contracts.programs import ParticipantRole, ProgramSnapshot
from sqlalchemy import select
from sqlmodel import col

from matching.adapters.repository import OfTenant
from matching.adapters.tables import KnownEnrollment, KnownProgram, roster


@dataclass(frozen=True, slots=True)
class Enrolled:
    """One active enrollment of a person in a program."""

    person_id: str
    role: ParticipantRole
    goals: tuple[str, ...]
    capacity: int | None


class Replicas(OfTenant):
    async def program(self, program_id: str) -> ProgramSnapshot | None:
        known = await self.session.get(KnownProgram, (self.tenant_id, program_id))
        return None if known is None else ProgramSnapshot.model_validate(known.snapshot)

    async def keep_program(self, program: ProgramSnapshot) -> None:
        """Keeps the program as its newest revision describes it."""
        snapshot = program.model_dump(mode="json", by_alias=True)
        known = await self.session.get(KnownProgram, (self.tenant_id, program.id))
        if known is None:
            self.session.add(
                KnownProgram(
                    tenant_id=self.tenant_id,
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

    async def active_enrollments(self, program_id: str) -> list[Enrolled]:
        rows = await self.session.execute(
            select(KnownEnrollment)
            .where(
                col(KnownEnrollment.tenant_id) == self.tenant_id,
                col(KnownEnrollment.program_id) == program_id,
                col(KnownEnrollment.status) == EnrollmentStatus.ACTIVE.value,
            )
            .order_by(col(KnownEnrollment.enrollment_id))
        )
        return [
            Enrolled(e.person_id, ParticipantRole(e.role), tuple(e.goals), e.capacity)
            for e in rows.scalars().all()
        ]

    async def keep_enrollment(self, enrollment: EnrollmentSnapshot) -> None:
        """Keeps the enrollment as its newest revision describes it."""
        e = enrollment
        known = await self.session.get(KnownEnrollment, (self.tenant_id, e.id))
        if known is None:
            self.session.add(
                KnownEnrollment(
                    tenant_id=self.tenant_id,
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

    async def people(self) -> dict[str, PersonSnapshot]:
        """Every person of the tenant: the reporting lines need the whole org."""
        rows = await self.session.execute(
            select(roster.table.c.person_id, roster.table.c.snapshot).where(
                roster.table.c.tenant_id == self.tenant_id
            )
        )
        return {r.person_id: PersonSnapshot.model_validate(r.snapshot) for r in rows}
