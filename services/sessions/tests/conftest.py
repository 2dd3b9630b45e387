"""A sessions database for the tests that need one (`uow`): migrated to the newest revision
(SQLite, or PostgreSQL with TEST_DATABASE_URL), one per test module."""

from collections.abc import AsyncIterator

import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from sessions.adapters import tables
from sessions.bootstrap import MIGRATIONS


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def uow(database_factory: DatabaseFactory) -> AsyncIterator[UnitOfWorkFactory]:
    url = await database_factory("sessions")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    yield UnitOfWorkFactory(session_factory(engine), tables.messaging, "/cairn/sessions")
    await engine.dispose()
