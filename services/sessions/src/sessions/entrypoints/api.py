from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from sessions import bootstrap
from sessions.adapters import tables
from sessions.config import SessionsSettings


def create_app(settings: SessionsSettings | None = None) -> FastAPI:
    settings = settings or SessionsSettings.load()
    process = bootstrap.build(settings, KafkaSettings())
    return process.create_app(
        title="Cairn sessions",
        routers=[roster_router(tables.roster)],
        service_token_public_key=settings.service_token_public_key,
    )
