from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from matching import bootstrap
from matching.adapters import tables
from matching.config import MatchingSettings


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    process = bootstrap.build(settings, KafkaSettings())
    return process.create_app(
        title="Cairn matching",
        routers=[roster_router(tables.roster)],
        service_token_public_key=settings.service_token_public_key,
    )
