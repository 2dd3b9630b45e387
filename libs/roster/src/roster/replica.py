"""The roster table and how person events update it: newest revision wins, replays are no-ops."""

from dataclasses import dataclass
from typing import Any

from contracts.people import PersonCreated, PersonSnapshot, PersonTerminated, PersonUpdated
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow
from persistence.types import UtcDateTime
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

# Self-identification: only a service that matches fairly needs it; the others never store it.
SELF_IDENTIFICATION = frozenset({"underrepresented", "demographics"})


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
