from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from matching import bootstrap
from matching.adapters import tables
from matching.config import MatchingSettings
from matching.entrypoints.matches import router as matches_router
from matching.entrypoints.runs import router as runs_router


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    """The service's app; a refused use case answers problem+json (installed by the runtime)
    and its transaction is never committed."""
    settings = settings or MatchingSettings.load()
    matching = bootstrap.build(settings, KafkaSettings())
    app = matching.process.create_app(
        title="Cairn matching",
        routers=[roster_router(tables.roster), runs_router, matches_router],
        service_token_public_key=settings.service_token_public_key,
    )
    app.state.matching = matching
    return app
