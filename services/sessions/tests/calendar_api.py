"""The sessions app as the calendar and office-hours API tests drive it: a real database
(SQLite, or PostgreSQL with TEST_DATABASE_URL), a fresh sealing key, calls signed with a
service token of the test's tenant."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from devstack.pytest_plugin import DatabaseFactory
from messaging.outbox import UnitOfWorkFactory
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sessions.bootstrap import MIGRATIONS, SessionsService
from sessions.config import SessionsSettings
from sessions.entrypoints.api import create_app
from sessions.service_layer.calendar_accounts import install


@dataclass
class Api:
    http: httpx.AsyncClient
    service: SessionsService
    minter: TokenMinter

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.service.process.uow

    async def call(self, tenant_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "sessions")
        return await self.http.request(
            method,
            f"/internal/sessions{path}",
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )


async def running_api(database_factory: DatabaseFactory) -> AsyncIterator[Api]:
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
    service: SessionsService = app.state.sessions
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sessions"
    ) as http:
        yield Api(http, service, TokenMinter(private))
    install(None)  # build() installed this process's access: it ends with the module
    await service.calendars.close()
    await service.process.engine.dispose()
