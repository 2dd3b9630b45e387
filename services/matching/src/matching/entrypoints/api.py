from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from messaging.settings import KafkaSettings
from roster.api import roster_router

from matching import bootstrap
from matching.adapters import tables
from matching.config import MatchingSettings
from matching.entrypoints.matches import router as matches_router
from matching.entrypoints.schemas import refusal
from matching.service_layer.refusals import Refused


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings.load()
    matching = bootstrap.build(settings, KafkaSettings())
    app = matching.process.create_app(
        title="Cairn matching",
        routers=[roster_router(tables.roster), matches_router],
        service_token_public_key=settings.service_token_public_key,
    )
    app.state.matching = matching
    # Every use case refuses the same way: problem+json naming the field (its transaction
    # was never committed).
    app.add_exception_handler(Refused, _refused)
    return app


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    return refusal(exc)
