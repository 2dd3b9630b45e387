"""The wiring: the only place that reads config and builds clients."""

from pathlib import Path

import httpx
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess
from service_auth.tokens import TokenMinter
from telemetry.tracing import instrument_httpx

from gateway.adapters import tables
from gateway.adapters.upstream import ServiceClient
from gateway.config import GatewaySettings
from gateway.graphql.context import Upstreams

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: GatewaySettings, kafka: KafkaSettings) -> ServiceProcess:
    return ServiceProcess(
        name="gateway",
        database_url=settings.database_url_for("gateway"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        run_workers=settings.run_workers,
    )


def upstreams(settings: GatewaySettings, http: httpx.AsyncClient) -> Upstreams:
    if not settings.service_token_private_key:
        raise ValueError(
            "GATEWAY_SERVICE_TOKEN_PRIVATE_KEY is not set: the gateway signs "
            "every internal call with it"
        )
    minter = TokenMinter(settings.service_token_private_key)
    return Upstreams(
        profiles=ServiceClient(http, settings.profiles_url, "profiles", minter),
        matching=ServiceClient(http, settings.matching_url, "matching", minter),
    )


def http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        timeout=settings.upstream_timeout_s, limits=httpx.Limits(max_connections=200)
    )
    instrument_httpx(client)
    return client
