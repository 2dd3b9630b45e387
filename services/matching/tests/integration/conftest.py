"""The matching service every integration test module here drives (one per module)."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from matching.bootstrap import MIGRATIONS, Matching
from matching.config import MatchingSettings
from matching.entrypoints.api import create_app
from persistence.migrations import upgrade_async
from service_auth.tokens import TokenMinter, generate_keypair

from services.matching.tests.integration.matching_api import Service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[Service]:
    url = await database_factory("matching")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        MatchingSettings(database_url=url, run_workers=False, service_token_public_key=public)
    )
    matching: Matching = app.state.matching
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://matching"
    ) as http:
        yield Service(http, matching, TokenMinter(private))
    matching.pool.shutdown(wait=True)
    await matching.process.engine.dispose()
