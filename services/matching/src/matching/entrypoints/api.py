from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from matching import bootstrap
from matching.adapters import tables
from matching.config import MatchingSettings
from matching.entrypoints.matches import router as matches_router


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    matching = bootstrap.build(settings, KafkaSettings())
    app = matching.process.create_app(
        title="Cairn matching",
        routers=[roster_router(tables.roster), matches_router],
        service_token_public_key=settings.service_token_public_key,
    )
    app.state.matching = matching
    return app
