"""A service process: migrate on start, run the outbox relay and the consumer beside the API,
answer /healthz and /readyz, stop cleanly."""

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from messaging.consumer import EventConsumer, Handler
from messaging.outbox import UnitOfWorkFactory
from messaging.publisher import Publisher
from messaging.relay import OutboxRelay
from messaging.tables import MessagingTables
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from pydantic import BaseModel
from service_auth.tokens import TokenVerifier
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telemetry.tracing import configure_tracing, instrument_fastapi

from runtime.error_answers import document_error_answers
from runtime.problems import install_problem_handlers
from runtime.settings import DocsSettings
from runtime.storable_text import RefuseUnstorableText

log = logging.getLogger(__name__)


class Readiness(BaseModel):
    """/readyz: ready only when the database and the broker both answer."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, bool]


@dataclass
class ServiceProcess:
    name: str
    database_url: str
    migrations_dir: Path
    tables: MessagingTables
    bootstrap_servers: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    topics: Sequence[str] = ()
    run_workers: bool = True
    # More background loops beside relay and consumer (e.g. a scheduler), each given this process.
    workers: Sequence[Callable[["ServiceProcess"], Coroutine[Any, Any, None]]] = ()
    # What else lives as long as the app (e.g. the gateway's HTTP client), entered after the
    # migrations and left before the workers stop.
    resources: Sequence[Callable[[FastAPI], AbstractAsyncContextManager[None]]] = ()
    engine: AsyncEngine = field(init=False)
    uow: UnitOfWorkFactory = field(init=False)
    publisher: Publisher = field(init=False)
    relay: OutboxRelay = field(init=False)
    consumer: EventConsumer | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.engine = create_engine(self.database_url)
        self.uow = UnitOfWorkFactory(
            session_factory(self.engine), self.tables, f"/cairn/{self.name}"
        )
        self.publisher = Publisher(self.bootstrap_servers)
        self.relay = OutboxRelay(self.engine, self.uow, self.publisher)
        if self.handlers:
            self.consumer = EventConsumer(
                group=self.name,
                topics=list(self.topics),
                handlers=self.handlers,
                uow=self.uow,
                publisher=self.publisher,
                bootstrap_servers=self.bootstrap_servers,
            )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await upgrade_async(self.migrations_dir, self.database_url)
        async with contextlib.AsyncExitStack() as resources:
            for resource in self.resources:
                await resources.enter_async_context(resource(app))
            async with self._workers():
                yield

    @contextlib.asynccontextmanager
    async def _workers(self) -> AsyncIterator[None]:
        workers: list[asyncio.Task[None]] = []
        if self.run_workers:
            workers.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
            if self.consumer is not None:
                workers.append(
                    asyncio.create_task(self.consumer.run(), name=f"{self.name}-consumer")
                )
            workers += [asyncio.create_task(worker(self)) for worker in self.workers]
        try:
            yield
        finally:
            for task in workers:
                task.cancel()
            # A cancelled handler rolls its transaction back; the event is redelivered.
            await asyncio.gather(*workers, return_exceptions=True)
            await self.publisher.close()
            await self.engine.dispose()

    async def database_ready(self) -> bool:
        try:
            async with asyncio.timeout(2), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await conn.rollback()
        except Exception:
            log.warning("%s: database not reachable", self.name, exc_info=True)
            return False
        return True

    def health_router(self) -> APIRouter:
        router = APIRouter(tags=["health"])

        @router.get("/healthz")
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        @router.get(
            "/readyz",
            response_model=Readiness,
            responses={503: {"model": Readiness, "description": "The database or broker is down"}},
        )
        async def readyz() -> JSONResponse:
            checks = {
                "database": await self.database_ready(),
                "broker": await self.publisher.ping(),
            }
            ready = all(checks.values())
            return JSONResponse(
                {"status": "ready" if ready else "unavailable", "checks": checks},
                status_code=200 if ready else 503,
            )

        return router

    def create_app(
        self,
        *,
        title: str,
        routers: Sequence[APIRouter] = (),
        service_token_public_key: str | None = None,
    ) -> FastAPI:
        configure_logging()
        configure_tracing(self.name)
        docs = DocsSettings.load().api_docs
        app = FastAPI(
            title=title,
            lifespan=self.lifespan,
            docs_url="/docs" if docs else None,
            redoc_url="/redoc" if docs else None,
            openapi_url="/openapi.json" if docs else None,
        )
        app.state.process = self
        if service_token_public_key is not None:
            app.state.token_verifier = TokenVerifier(service_token_public_key, audience=self.name)
        install_problem_handlers(app)
        app.include_router(self.health_router())
        for router in routers:
            app.include_router(router)
        if service_token_public_key is not None:
            # A service's JSON bodies, whatever the route, hold only text its database can store
            # (the gateway's public surfaces refuse it in their own formats, via parse_json).
            app.add_middleware(RefuseUnstorableText)
            # A service's routes: their real error answers in its OpenAPI, new routes included.
            # (The gateway's public surfaces answer in their own formats, SCIM's for one.)
            document_error_answers(app)
        instrument_fastapi(app)
        return app


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("aiokafka", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
