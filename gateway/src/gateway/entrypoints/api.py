from fastapi import FastAPI
from messaging.settings import KafkaSettings
from runtime.settings import DocsSettings

from gateway import bootstrap
from gateway.config import GatewaySettings
from gateway.entrypoints import calendar_feeds, hris_webhooks, imports, insights_files
from gateway.entrypoints.authentication import AuthenticationUnavailable
from gateway.entrypoints.graphiql import GraphiQLPage
from gateway.entrypoints.graphql_route import (
    Unauthenticated,
    graphql_router,
    unauthenticated_response,
    unavailable_response,
)
from gateway.scim import routes as scim_routes
from gateway.service_layer.hris_deliveries import DeliveryTurns


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings.load()
    # Refuses to start beside a configured database without GATEWAY_SEALING_KEYS.
    sealer = settings.sealer("gateway")
    process = bootstrap.build(settings, KafkaSettings(), sealer)
    app = process.create_app(
        title="Cairn gateway",
        routers=[
            hris_webhooks.router,
            imports.router,
            insights_files.router,
            graphql_router(),
            scim_routes.router,
            calendar_feeds.router,
        ],
    )
    app.state.settings = settings
    app.state.sealer = sealer
    app.state.delivery_turns = DeliveryTurns()
    app.add_exception_handler(Unauthenticated, unauthenticated_response)
    app.add_exception_handler(AuthenticationUnavailable, unavailable_response)
    if DocsSettings.load().api_docs:  # off in production, with every process's /docs
        app.add_middleware(GraphiQLPage)
    return app
