"""POST /webhooks/hris/{connectionId}: Standard Webhooks-signed canonical org changes.

Verified, validated, published to Kafka with acks=all, then 202. Nothing is published unless
all of that holds; a broker that cannot take it gets a 503 so the HRIS retries.
"""

import binascii
import json
import logging

from contracts.hris import HrisChangeReceived
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from messaging.envelope import envelope_for
from messaging.outbox import utcnow
from messaging.publisher import BrokerUnavailable
from pydantic import ValidationError
from runtime.problems import describe, field_errors, problem
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.domain.hris_delivery import HrisDelivery, received_events
from gateway.service_layer.tenants import active_connection

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

_UNAUTHORIZED = "the webhook signature does not verify"


@router.post("/webhooks/hris/{connection_id}", status_code=202)
async def receive_hris_changes(connection_id: str, request: Request) -> JSONResponse:
    settings = request.app.state.settings
    process = request.app.state.process
    body = await _read_limited(request, settings.max_webhook_bytes)
    if body is None:
        return problem(
            413,
            "Payload too large",
            f"a delivery may be at most {settings.max_webhook_bytes} bytes",
        )

    async with process.uow() as uow:
        connection = await active_connection(uow, connection_id)
    # Unknown connection and bad signature look alike: no oracle for connection ids.
    if connection is None or not _verified(connection.signing_secret, body, request):
        log.warning("hris webhook rejected for connection %s", connection_id)
        return problem(401, "Unauthorized", _UNAUTHORIZED)

    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return problem(400, "Malformed JSON", f"body: {exc}")
    try:
        delivery = HrisDelivery.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc)
        return problem(422, "Invalid org changes", describe(errors), errors)

    events = received_events(delivery, connection.id, "webhook", utcnow())
    envelopes = [
        envelope_for(
            event, tenant_id=connection.tenant_id, source="/cairn/gateway", event_id=event_id
        )
        for event_id, event in events
    ]
    try:
        await process.publisher.publish(
            envelopes, {e.id: HrisChangeReceived.topic for e in envelopes}
        )
    except BrokerUnavailable as exc:
        log.error("hris webhook for %s not accepted: %s", connection_id, exc)
        return problem(
            503,
            "Service Unavailable",
            "the event log is unavailable; retry later",
            headers={"Retry-After": "30"},
        )
    return JSONResponse({"received": True, "changes": len(envelopes)}, status_code=202)


def _verified(secret: str, body: bytes, request: Request) -> bool:
    headers = {
        name: request.headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return True


async def _read_limited(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
