from fastapi import FastAPI
from messaging.settings import KafkaSettings
from roster.api import roster_router

from feedback import bootstrap
from feedback.adapters import tables
from feedback.config import FeedbackSettings
from feedback.entrypoints.answers import router as answers_router
from feedback.entrypoints.insights import router as insights_router


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    """The service's app; a refused use case answers problem+json (installed by the runtime)
    and its transaction is never committed."""
    settings = settings or FeedbackSettings.load()
    feedback = bootstrap.build(settings, KafkaSettings())
    app = feedback.process.create_app(
        title="Cairn feedback",
        routers=[roster_router(tables.roster), answers_router, insights_router],
        service_token_public_key=settings.service_token_public_key,
    )
    app.state.feedback = feedback
    return app
