"""The wiring: the only place that reads config and builds clients."""

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI
from messaging.consumer import subscriptions
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess
from runtime.sealing import Sealer
from service_auth.tokens import TokenMinter
from telemetry.tracing import instrument_httpx

from gateway.access.budgets import Budgets
from gateway.access.jwks import JwksCache
from gateway.access.tokens import EndUsers, profiles_finder
from gateway.adapters import metadata
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.config import GatewaySettings, GatewayStoreSettings
from gateway.erasure.handlers import ERASURE_EVENT_TYPES, erasure_handlers
from gateway.live.feed import live_program_events
from gateway.service_layer.hris_connections import seal_plaintext_connections
from gateway.service_layer.hris_deliveries import keep_receipts_bounded
from gateway.webhooks.event_types import PUBLIC_TOPICS
from gateway.webhooks.fanout import fanout_handlers
from gateway.webhooks.worker import delivery_worker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: GatewayStoreSettings, kafka: KafkaSettings, sealer: Sealer) -> ServiceProcess:
    """The gateway's process: its database, outbox relay, the keeper of HRIS delivery receipts
    and outbound webhooks' consumer, and (when serving) its clients, the live feed of program
    events for subscriptions and the webhook delivery worker; secrets stored before they were
    sealed are sealed on start, before any request."""
    serving = (
        [
            upstream_clients(settings),
            live_program_events(kafka.bootstrap_servers, settings.graphql_subscription_queue),
        ]
        if isinstance(settings, GatewaySettings)
        else []
    )
    webhooks = (
        [delivery_worker(sealer, settings.webhook_delivery())]
        if isinstance(settings, GatewaySettings)
        else []
    )
    return ServiceProcess(
        name="gateway",
        database_url=settings.database_url_for("gateway"),
        migrations_dir=MIGRATIONS,
        tables=metadata.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        # Outbound webhooks: every public event in (a delivery per matching subscription).
        handlers=subscriptions(fanout_handlers(but=ERASURE_EVENT_TYPES), erasure_handlers()),
        topics=PUBLIC_TOPICS,
        run_workers=settings.run_workers,
        workers=[
            keep_receipts_bounded,
            *webhooks,
        ],
        resources=[plaintext_sealed(sealer), *serving],
    )


def plaintext_sealed(sealer: Sealer) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def sealed(app: FastAPI) -> AsyncIterator[None]:
        await seal_plaintext_connections(app.state.process.uow, sealer)
        yield

    return sealed


def upstream_clients(
    settings: GatewaySettings,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """For the app's life: one pooled HTTP client, and a client per service on it
    (`app.state.upstreams`), each call signed with a fresh service token."""
    minter = TokenMinter(settings.service_token_private_key)

    @contextlib.asynccontextmanager
    async def clients(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            timeout=settings.upstream_timeout_s, limits=httpx.Limits(max_connections=200)
        ) as http:
            instrument_httpx(http)
            app.state.upstreams = Upstreams(
                profiles=ServiceClient(http, settings.profiles_url, "profiles", minter),
                matching=ServiceClient(http, settings.matching_url, "matching", minter),
                sessions=ServiceClient(http, settings.sessions_url, "sessions", minter),
                feedback=ServiceClient(http, settings.feedback_url, "feedback", minter),
            )
            app.state.end_users = EndUsers(
                jwks=JwksCache(
                    http,
                    timeout_s=settings.jwks_timeout_s,
                    default_ttl_s=settings.jwks_default_ttl_s,
                    refetch_floor_s=settings.jwks_refetch_floor_s,
                ),
                find_person=profiles_finder(app.state.upstreams.profiles),
            )
            app.state.budgets = Budgets()
            yield

    return clients
