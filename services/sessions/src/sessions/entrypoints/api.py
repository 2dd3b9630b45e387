from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from sessions import bootstrap
from sessions.adapters import tables
from sessions.config import SessionsSettings
from sessions.entrypoints.calendar_connections import router as calendar_connections_router
from sessions.entrypoints.office_hours import router as office_hours_router
from sessions.entrypoints.people import router as people_router
from sessions.entrypoints.sessions import router as sessions_router


def create_app(settings: SessionsSettings | None = None) -> FastAPI:
    """The service's app; a refused use case answers problem+json (installed by the runtime)
    and its transaction is never committed."""
    settings = settings or SessionsSettings.load()
    service = bootstrap.build(settings, KafkaSettings())
    app = service.process.create_app(
        title="Cairn sessions",
        routers=[
            roster_router(tables.roster),
            sessions_router,
            people_router,
            calendar_connections_router,
            office_hours_router,
        ],
        service_token_public_key=settings.service_token_public_key,
    )
    app.state.sessions = service
    app.state.calendars = service.calendars
    return app
