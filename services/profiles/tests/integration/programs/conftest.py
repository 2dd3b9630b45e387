"""The profiles service every programs and enrollment test module here drives (one per
module)."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from persistence.migrations import upgrade_async
from profiles.bootstrap import MIGRATIONS
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from runtime.process import ServiceProcess
from service_auth.tokens import TokenMinter, generate_keypair

from services.profiles.tests.integration.programs.programs_api import Profiles


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def profiles(database_factory: DatabaseFactory) -> AsyncIterator[Profiles]:
    url = await database_factory("profiles")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        ProfilesSettings(database_url=url, run_workers=False, service_token_public_key=public)
    )
    process: ServiceProcess = app.state.process
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield Profiles(http, process, TokenMinter(private))
    await process.engine.dispose()
