"""POST /webhooks/hris/{connectionId}[/{provider}]: org changes pushed by an HRIS.

One loop for every provider: read the body (bounded) → verify it with the provider's scheme →
parse → normalize to canonical changes → publish to Kafka with acks=all → 202. Nothing is
published unless all of that holds; a broker (or an HRIS API) that cannot take part gets a
503 so the HRIS retries. Without `{provider}` the delivery is Cairn's canonical format.
"""

import logging
from typing import TypeVar

from contracts.hris import HrisChangeReceived
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from messaging.envelope import envelope_for
from messaging.outbox import utcnow
from messaging.publisher import BrokerUnavailable
from runtime.bodies import read_within
from runtime.problems import problem

from gateway.domain.hris_delivery import MAX_CHANGES, HrisDelivery, received_events
from gateway.hris import canonical
from gateway.hris.delivery import (
    DeliveryRejected,
    HrisProvider,
    NormalizeContext,
    SourceUnavailable,
    VerificationFailed,
)
from gateway.hris.registry import PROVIDERS, provider_named
from gateway.service_layer.tenants import active_connection

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

P = TypeVar("P")
_UNAUTHORIZED = "the webhook signature does not verify"
_RETRY_AFTER = {"Retry-After": "30"}


@router.post("/webhooks/hris/{connection_id}", status_code=202)
async def receive_hris_changes(connection_id: str, request: Request) -> JSONResponse:
    return await _receive(request, connection_id, canonical.PROVIDER)


@router.post("/webhooks/hris/{connection_id}/{provider}", status_code=202)
async def receive_provider_changes(
    connection_id: str, provider: str, request: Request
) -> JSONResponse:
    adapter = provider_named(provider)
    if adapter is None:
        # Says nothing about connections: the provider names are public.
        return problem(
            404,
            "Not Found",
            f"no HRIS provider named {provider!r}; known: {', '.join(sorted(PROVIDERS))}",
        )
    return await _receive(request, connection_id, adapter)


async def _receive(request: Request, connection_id: str, provider: HrisProvider[P]) -> JSONResponse:
    settings = request.app.state.settings
    process = request.app.state.process
    body = await read_within(request, settings.max_webhook_bytes)
    if body is None:
        return problem(
            413,
            "Payload too large",
            f"a delivery may be at most {settings.max_webhook_bytes} bytes",
        )

    async with process.uow() as uow:
        connection = await active_connection(uow, connection_id)
    # Unknown connection, another provider's connection and a bad signature look alike: no
    # oracle for connection ids.
    if connection is None or connection.provider != provider.name:
        log.warning("hris webhook for unknown %s connection %s", provider.name, connection_id)
        return problem(401, "Unauthorized", _UNAUTHORIZED)
    received_at = utcnow()
    try:
        verified = provider.verify(body, request.headers, connection, received_at)
    except VerificationFailed:
        log.warning("hris webhook rejected for connection %s", connection_id)
        return problem(401, "Unauthorized", _UNAUTHORIZED)

    context = NormalizeContext(
        connection, verified, received_at, process.uow, settings.hris_fetch_timeout_s
    )
    try:
        return await _accept(provider, body, request, context)
    finally:
        await context.close()


async def _accept(
    provider: HrisProvider[P], body: bytes, request: Request, context: NormalizeContext
) -> JSONResponse:
    connection = context.connection
    try:
        payload = provider.parse(body, request.headers)
        changes = await provider.normalize(payload, context)
    except DeliveryRejected as exc:
        unavailable = isinstance(exc, SourceUnavailable)
        if unavailable:
            log.error("hris webhook for %s not accepted: %s", connection.id, exc.detail)
        headers = _RETRY_AFTER if unavailable else None
        return problem(exc.status, exc.title, exc.detail, exc.errors, headers=headers)

    # A provider may derive more changes than one canonical delivery holds (Merge's manager
    # links); each batch becomes events the same way.
    events = [
        event
        for start in range(0, len(changes), MAX_CHANGES)
        for event in received_events(
            HrisDelivery(changes=changes[start : start + MAX_CHANGES]),
            connection.id,
            provider.channel,
            context.received_at,
        )
    ]
    envelopes = [
        envelope_for(
            event, tenant_id=connection.tenant_id, source="/cairn/gateway", event_id=event_id
        )
        for event_id, event in events
    ]
    try:
        await request.app.state.process.publisher.publish(
            envelopes, {e.id: HrisChangeReceived.topic for e in envelopes}
        )
    except BrokerUnavailable as exc:
        log.error("hris webhook for %s not accepted: %s", connection.id, exc)
        return problem(
            503,
            "Service Unavailable",
            "the event log is unavailable; retry later",
            headers=_RETRY_AFTER,
        )
    await context.accepted()
    return JSONResponse({"received": True, "changes": len(envelopes)}, status_code=202)
