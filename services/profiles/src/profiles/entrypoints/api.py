from fastapi import FastAPI
from messaging.settings import KafkaSettings

from profiles import bootstrap
from profiles.config import ProfilesSettings
from profiles.entrypoints import enrollments, imports, people, programs


def create_app(settings: ProfilesSettings | None = None) -> FastAPI:
    settings = settings or ProfilesSettings.load()
    process = bootstrap.build(settings, KafkaSettings())
    return process.create_app(
        title="Cairn profiles",
        routers=[people.router, programs.router, enrollments.router, imports.router],
        service_token_public_key=settings.service_token_public_key,
    )
