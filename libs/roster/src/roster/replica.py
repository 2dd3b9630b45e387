"""The roster table and how person events update it: newest revision wins, replays are no-ops."""

from dataclasses import dataclass
from typing import Any

from contracts.people import (
    ERASED_NAME,
    PersonCreated,
    PersonSnapshot,
    PersonTerminated,
    PersonUpdated,
    erased_email,
    erased_external_id,
    erasure_replacements,
)
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow
from persistence.types import UtcDateTime
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

# Self-identification: only a service that matches fairly needs it; the others never store it.
SELF_IDENTIFICATION = frozenset({"underrepresented", "demographics"})
# An erased person's row: above any revision profiles will reach, so no person event (a late
# one, or a replay of the log) can bring the person back.
TOMBSTONE_REVISION = 2**31 - 1


def erased_snapshot(person: PersonSnapshot) -> PersonSnapshot:
    """The person with nothing left that names or describes them: the opaque id, status, zone,
    level and department stay (schedules and aggregates need them)."""
    return person.model_copy(
        update={
            "external_id": erased_external_id(person.id),
            "email": erased_email(person.id),
            "display_name": ERASED_NAME,
            "given_name": None,
            "family_name": None,
            "user_name": None,
            "title": None,
            "bio": None,
            "skills": [],
            "interests": [],
            "underrepresented": None,
            "demographics": None,
            "revision": TOMBSTONE_REVISION,
        }
    )


@dataclass(frozen=True)
class Roster:
    table: Table
    keeps_self_identification: bool = False

    def handlers(self) -> dict[str, Handler]:
        return {
            PersonCreated.event_type: self.apply,
            PersonUpdated.event_type: self.apply,
            PersonTerminated.event_type: self.apply,
        }

    async def apply(self, uow: UnitOfWork, received: Received) -> None:
        event = received.event
        assert isinstance(event, PersonCreated | PersonUpdated | PersonTerminated)
        await self.upsert(uow, received.tenant_id, event.person)

    async def upsert(self, uow: UnitOfWork, tenant_id: str, person: PersonSnapshot) -> None:
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "person_id": person.id,
            "status": person.status.value,
            "revision": person.revision,
            "snapshot": person.model_dump(
                mode="json",
                by_alias=True,
                exclude=None if self.keeps_self_identification else set(SELF_IDENTIFICATION),
            ),
            "received_at": utcnow(),
        }
        session = uow.session
        dialect = (await session.connection()).dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(self.table).values(**row)
        stmt = stmt.on_conflict_do_nothing(index_elements=["tenant_id", "person_id"])
        inserted = await session.execute(stmt)
        if inserted.rowcount == 0:  # type: ignore[attr-defined]
            # Keep the newest: an older revision delivered late changes nothing.
            await session.execute(
                update(self.table)
                .where(
                    self.table.c.tenant_id == tenant_id,
                    self.table.c.person_id == person.id,
                    self.table.c.revision < person.revision,
                )
                .values(**row)
            )

    async def erase(self, uow: UnitOfWork, tenant_id: str, person_id: str) -> dict[str, str]:
        """Leaves a tombstone of the person (`erased_snapshot`) and answers what their
        identifiers become, for the service's other tables; {} if the person was never known."""
        known = await self.get(uow, tenant_id, person_id)
        if known is None:
            return {}
        await uow.session.execute(
            update(self.table)
            .where(self.table.c.tenant_id == tenant_id, self.table.c.person_id == person_id)
            .values(
                snapshot=erased_snapshot(known).model_dump(mode="json", by_alias=True),
                revision=TOMBSTONE_REVISION,
                received_at=utcnow(),
            )
        )
        return erasure_replacements(known)

    async def get(self, uow: UnitOfWork, tenant_id: str, person_id: str) -> PersonSnapshot | None:
        row = (
            await uow.session.execute(
                select(self.table.c.snapshot).where(
                    self.table.c.tenant_id == tenant_id, self.table.c.person_id == person_id
                )
            )
        ).first()
        return PersonSnapshot.model_validate(row[0]) if row else None


def roster_table(metadata: MetaData, *, keeps_self_identification: bool = False) -> Roster:
    """The roster of a service; `keeps_self_identification` only where fair matching needs it
    (sessions and feedback never store it)."""
    return Roster(
        Table(
            "roster_person",
            metadata,
            Column("tenant_id", String(64), primary_key=True),
            Column("person_id", String(64), primary_key=True),
            Column("status", String(16), nullable=False),
            Column("revision", Integer, nullable=False),
            Column("snapshot", JSON, nullable=False),
            Column("received_at", UtcDateTime(), nullable=False),
        ),
        keeps_self_identification,
    )
