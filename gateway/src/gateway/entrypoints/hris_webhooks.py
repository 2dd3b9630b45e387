"""POST /webhooks/hris/{connectionId}[/{provider}]: org changes pushed by an HRIS.

One loop for every provider: the connection named and the provider's signature headers present
(else 401, before a byte of the body is read) → read the body (bounded in size and time) →
verify it with the provider's scheme → answer a redelivery as before (one copy of a delivery
at a time) → parse (nesting bounded) → complete it from the HRIS's API where the provider needs
to (outside any transaction, within a deadline) → normalize and store the changes in the
gateway's outbox, with the delivery's receipt, in one transaction → 202 once that has
committed. The relay publishes; a broker that is down delays the changes, it does not refuse
them. Nothing is stored unless all of that holds; a 503 (retry) means the gateway's database,
or the HRIS's API, could not take part (the latter is kept on the connection as its last
error). Without `{provider}` the delivery is Cairn's canonical format.
"""

import logging
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from messaging.outbox import utcnow
from runtime.bodies import BodyTooSlow, read_within
from runtime.problems import problem
from runtime.sealing import SealedUnreadable

from gateway.adapters.database import DATABASE_UNAVAILABLE
from gateway.hris import canonical
from gateway.hris.delivery import (
    DeliveryRejected,
    FetchContext,
    HrisProvider,
    SourceUnavailable,
    UnsealedConnection,
    VerificationFailed,
    Verified,
    fetch_within,
)
from gateway.hris.registry import PROVIDERS, provider_named
from gateway.service_layer.hris_connections import active_connection, record_connection_error
from gateway.service_layer.hris_deliveries import accept_delivery, accepted_before

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

P = TypeVar("P")
F = TypeVar("F")
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


async def _receive(
    request: Request, connection_id: str, provider: HrisProvider[Any, Any]
) -> JSONResponse:
    settings = request.app.state.settings
    try:
        connection = await _claimed_connection(request, connection_id, provider)
        if connection is None:
            return _unauthorized()
        body = await read_within(
            request, settings.max_webhook_bytes, timeout_s=settings.body_read_timeout_s
        )
        if body is None:
            return problem(
                413,
                "Payload too large",
                f"a delivery may be at most {settings.max_webhook_bytes} bytes",
            )
        return await _verify_and_accept(request, connection, provider, body)
    except BodyTooSlow as exc:
        log.warning("hris webhook for %s: %s", connection_id, exc)
        return problem(408, "Request Timeout", str(exc))
    except SealedUnreadable:
        # Our side: the keys configured do not open what was sealed. Retrying helps once an
        # operator gives the gateway its keys back.
        log.error(
            "hris connection %s: its secrets do not open with GATEWAY_SEALING_KEYS", connection_id
        )
        return problem(
            503,
            "Service Unavailable",
            "the gateway cannot verify deliveries of this connection now; retry later",
            headers=_RETRY_AFTER,
        )
    except DATABASE_UNAVAILABLE:
        # Nothing was stored (the transaction did not commit): the HRIS sends it again.
        log.exception(
            "hris webhook for %s not accepted: the database is unavailable", connection_id
        )
        return problem(
            503,
            "Service Unavailable",
            "the gateway cannot store this delivery now; retry later",
            headers=_RETRY_AFTER,
        )


async def _claimed_connection(
    request: Request, connection_id: str, provider: HrisProvider[Any, Any]
) -> UnsealedConnection | None:
    """The connection a delivery names, when it is one of this provider's and the request
    carries the provider's signature headers: checked before a byte of the body is read.
    Unknown connection, another provider's connection and a missing signature all look
    alike (401, as a bad signature): no oracle for connection ids."""
    missing = [name for name in provider.signature_headers if not request.headers.get(name)]
    if missing:
        log.warning("hris webhook for %s without %s", connection_id, ", ".join(missing))
        return None
    async with request.app.state.process.uow() as uow:
        connection = await active_connection(uow, connection_id, request.app.state.sealer)
    if connection is None or connection.provider != provider.name:
        log.warning("hris webhook for unknown %s connection %s", provider.name, connection_id)
        return None
    return connection


async def _verify_and_accept(
    request: Request, connection: UnsealedConnection, provider: HrisProvider[P, F], body: bytes
) -> JSONResponse:
    received_at = utcnow()
    try:
        verified = provider.verify(body, request.headers, connection, received_at)
    except VerificationFailed:
        log.warning("hris webhook rejected for connection %s", connection.id)
        return _unauthorized()

    # The same delivery (a retry, a replay) is taken one at a time in this process: a copy
    # racing the first waits for its receipt instead of fetching as well.
    async with request.app.state.delivery_turns.turn(connection.id, verified.delivery_id):
        return await _accept(request, connection, provider, body, verified, received_at)


async def _accept(
    request: Request,
    connection: UnsealedConnection,
    provider: HrisProvider[P, F],
    body: bytes,
    verified: Verified,
    received_at: datetime,
) -> JSONResponse:
    process = request.app.state.process
    # Before any work: a settled redelivery is not parsed, fetched or stored again.
    earlier = await accepted_before(process.uow, connection.id, verified.delivery_id)
    if earlier is not None:
        return _accepted(earlier)
    try:
        payload = provider.parse(body, request.headers)
        fetched = await _fetched(request, provider, payload, connection, verified)
        changes = await accept_delivery(
            process.uow, provider, fetched, connection, verified, received_at
        )
    except VerificationFailed:  # the connection was disabled meanwhile
        return _unauthorized()
    except DeliveryRejected as exc:
        unavailable = isinstance(exc, SourceUnavailable)
        headers = _RETRY_AFTER if unavailable else None
        return problem(exc.status, exc.title, exc.detail, exc.errors, headers=headers)
    return _accepted(changes)


async def _fetched(
    request: Request,
    provider: HrisProvider[P, F],
    payload: P,
    connection: UnsealedConnection,
    verified: Verified,
) -> F:
    """The delivery completed from the HRIS's API within the deadline. A connection error
    (SourceUnavailable) changes nothing: it is logged and kept on the connection for the
    operator, and the HRIS is answered 503 to retry."""
    deadline_s = request.app.state.settings.hris_fetch_timeout_s
    context = FetchContext(connection, verified, deadline_s)
    try:
        return await fetch_within(provider, payload, context, deadline_s)
    except SourceUnavailable as exc:
        log.error("hris connection %s: delivery not accepted: %s", connection.id, exc.detail)
        await record_connection_error(
            request.app.state.process.uow, connection.id, exc.detail, utcnow()
        )
        raise


def _unauthorized() -> JSONResponse:
    return problem(401, "Unauthorized", _UNAUTHORIZED)


def _accepted(changes: int) -> JSONResponse:
    return JSONResponse({"received": True, "changes": changes}, status_code=202)
