"""The feedback service every integration test module here drives (one per module): a real
database (SQLite, or PostgreSQL with TEST_DATABASE_URL), no broker: events are handed to the
same handlers the consumer runs, and what the service publishes is read from its outbox."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from feedback.bootstrap import MIGRATIONS, Feedback
from feedback.config import FeedbackSettings
from feedback.entrypoints.api import create_app
from persistence.migrations import upgrade_async
from service_auth.tokens import TokenMinter, generate_keypair

from services.feedback.tests.integration.feedback_api import Service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[Service]:
    url = await database_factory("feedback")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        FeedbackSettings(
            database_url=url,
            run_workers=False,
            service_token_public_key=public,
            # No edit after the answer: the closed window is reached without waiting.
            edit_window_hours=0,
        )
    )
    feedback: Feedback = app.state.feedback
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://feedback"
    ) as http:
        yield Service(http, feedback, TokenMinter(private))
    await feedback.process.engine.dispose()
