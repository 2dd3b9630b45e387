"""Fixtures of the messaging tests: a broker of their own, which a test may stop and start,
and minimal services with databases of their own."""

from collections.abc import AsyncIterator

import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.testing import MakeService, ServiceUnderTest, service_under_test


@pytest_asyncio.fixture(loop_scope="session")
async def own_broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker this test may stop and start (its memory log is lost each time)."""
    broker = EmbeddedBroker()
    broker.start()
    await ensure_topics(broker.bootstrap_servers)
    yield broker
    broker.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def make_service(database_factory: DatabaseFactory) -> AsyncIterator[MakeService]:
    """`await make_service("producer")` → a ServiceUnderTest on a new database."""
    made: list[ServiceUnderTest] = []

    async def make(name: str) -> ServiceUnderTest:
        service = await service_under_test(await database_factory(name), name)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.engine.dispose()
