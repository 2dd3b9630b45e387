"""Cairn's own format: canonical org changes signed per Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`; 5-minute window)."""

import binascii
from datetime import UTC, datetime

from contracts.hris import HrisChange
from pydantic import ValidationError
from runtime.bodies import parse_json
from runtime.problems import describe, field_errors
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.domain.hris_delivery import HrisDelivery
from gateway.hris.delivery import (
    DeliveryRejected,
    Headers,
    HrisProvider,
    MalformedDelivery,
    NormalizeContext,
    UnsealedConnection,
    VerificationFailed,
    Verified,
    nothing_to_fetch,
)

_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(
    body: bytes, headers: Headers, connection: UnsealedConnection, now: datetime
) -> Verified:
    # The library checks the window against its own clock; `now` is for schemes that don't.
    signed = {name: headers.get(name, "") for name in _HEADERS}
    try:
        Webhook(connection.signing_secret).verify(body, signed, json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise VerificationFailed from exc
    sent_at = datetime.fromtimestamp(int(signed["webhook-timestamp"]), UTC)
    return Verified(delivery_id=signed["webhook-id"], sent_at=sent_at)


def parse(body: bytes, headers: Headers) -> HrisDelivery:
    try:
        payload = parse_json(body)
    except ValueError as exc:  # not JSON, or nested too deep to parse
        raise MalformedDelivery(f"body: {exc}") from exc
    try:
        return HrisDelivery.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise DeliveryRejected(describe(errors), errors) from exc


async def normalize(delivery: HrisDelivery, context: NormalizeContext) -> list[HrisChange]:
    return list(delivery.changes)


PROVIDER = HrisProvider(
    name="canonical",
    channel="webhook",
    signature_headers=_HEADERS,
    verify=verify,
    parse=parse,
    fetch=nothing_to_fetch,
    normalize=normalize,
    issues_secret=True,
)
