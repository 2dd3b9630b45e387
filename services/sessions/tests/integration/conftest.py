"""The sessions service every integration test module here drives (one per module)."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import TokenMinter, generate_keypair
from sessions.bootstrap import MIGRATIONS, SessionsService
from sessions.config import SessionsSettings
from sessions.entrypoints.api import create_app

from services.sessions.tests.integration.sessions_api import Service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[Service]:
    url = await database_factory("sessions")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        SessionsSettings(
            database_url=url,
            run_workers=False,
            service_token_public_key=public,
            sealing_keys=new_key(),
        )
    )
    sessions: SessionsService = app.state.sessions
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sessions"
    ) as http:
        yield Service(http, sessions, TokenMinter(private))
    await sessions.process.engine.dispose()
