"""Test helpers that talk to the real broker."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from contracts.people import PersonCreated, PersonSnapshot, PersonStatus
from persistence.database import create_engine, session_factory
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, UnitOfWorkFactory
from messaging.settings import client_options
from messaging.tables import messaging_tables


async def read_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool] | None = None,
    timeout_s: float = 10.0,
    idle_s: float = 1.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` from the beginning, without joining a group. Stops when `until`
    holds, or (without `until`) when nothing new came for `idle_s`, or at the timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(),
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        client_id=f"test-reader-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
                last_new = time.monotonic()
            if until is not None and until(records):
                break
            if until is None and time.monotonic() - last_new > idle_s:
                break
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


@dataclass
class ServiceUnderTest:
    """A minimal service for the messaging tests: its own database with outbox, inbox and one
    effect table (a row per applied PersonCreated), and its unit-of-work factory."""

    engine: AsyncEngine
    uow: UnitOfWorkFactory
    effects: Table

    async def effect_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(self.effects))).scalar_one()
            )

    async def applied(self) -> list[str]:
        """The person ids of every applied event, repeats included."""
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(select(self.effects.c.person_id))]

    async def event_ids(self) -> list[str]:
        """The ids of the events in its outbox, in the order they were written."""
        outbox = self.uow.tables.outbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(outbox.c.event_id).order_by(outbox.c.id))
            return [r[0] for r in rows]

    async def emit(self, person_ids: list[str], tenant_id: str = "t1") -> None:
        """One committed unit of work per event, as a service's use cases write them."""
        for person_id in person_ids:
            async with self.uow() as uow:
                await uow.emit(person_created(person_id), tenant_id=tenant_id)
                await uow.commit()

    def record_effect(self) -> Handler:
        async def handle(uow: UnitOfWork, received: Received) -> None:
            assert isinstance(received.event, PersonCreated)
            await uow.session.execute(
                insert(self.effects).values(person_id=received.event.person.id)
            )

        return handle


MakeService = Callable[[str], Awaitable[ServiceUnderTest]]


async def service_under_test(database_url: str, name: str) -> ServiceUnderTest:
    metadata = MetaData()
    tables = messaging_tables(metadata)
    effects = Table(
        "effect",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", String(64), nullable=False),
    )
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return ServiceUnderTest(
        engine, UnitOfWorkFactory(session_factory(engine), tables, f"/test/{name}"), effects
    )


def person_created(person_id: str) -> PersonCreated:
    return PersonCreated(
        person=PersonSnapshot(
            id=person_id,
            email=f"{person_id}@example-hr.com",
            display_name=person_id,
            time_zone="UTC",
            status=PersonStatus.ACTIVE,
            source_version=1,
            revision=1,
            updated_at=datetime.now(UTC),
        )
    )
