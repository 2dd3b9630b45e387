"""A service's roster keeps self-identification only where fair matching needs it: sessions'
and feedback's databases never hold it."""

from datetime import UTC, datetime

import pytest
from contracts.people import PersonSnapshot, PersonStatus
from devstack.pytest_plugin import DatabaseFactory
from messaging.outbox import UnitOfWorkFactory
from messaging.tables import messaging_tables
from persistence.database import create_engine, session_factory
from roster.replica import SELF_IDENTIFICATION, roster_table
from sqlalchemy import MetaData, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

PERSON = PersonSnapshot(
    id="p1",
    email="ada@example.com",
    display_name="Ada",
    time_zone="Europe/Berlin",
    status=PersonStatus.ACTIVE,
    underrepresented=True,
    demographics={"gender": "woman"},
    source_version=1,
    revision=1,
    updated_at=datetime(2026, 12, 1, tzinfo=UTC),
)


@pytest.mark.parametrize("keeps", [False, True])
async def test_the_stored_snapshot_has_self_identification_only_when_kept(
    database_factory: DatabaseFactory, keeps: bool
) -> None:
    metadata = MetaData()
    roster = roster_table(metadata, keeps_self_identification=keeps)
    engine = create_engine(await database_factory("roster"))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        uows = UnitOfWorkFactory(session_factory(engine), messaging_tables(MetaData()), "/test")
        async with uows() as uow:
            await roster.upsert(uow, "t1", PERSON)
            await uow.commit()
        async with engine.connect() as conn:
            stored = (await conn.execute(select(roster.table.c.snapshot))).scalar_one()
        async with uows() as uow:
            read = await roster.get(uow, "t1", "p1")
    finally:
        await engine.dispose()
    assert read is not None and read.email == "ada@example.com"
    if keeps:
        assert (stored["underrepresented"], stored["demographics"]) == (True, {"gender": "woman"})
    else:
        assert not SELF_IDENTIFICATION & set(stored), stored
        assert (read.underrepresented, read.demographics) == (None, None)
