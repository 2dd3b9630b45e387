from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from feedback import bootstrap
from feedback.adapters import tables
from feedback.config import FeedbackSettings


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings.load()
    process = bootstrap.build(settings, KafkaSettings())
    return process.create_app(
        title="Cairn feedback",
        routers=[roster_router(tables.roster)],
        service_token_public_key=settings.service_token_public_key,
    )
