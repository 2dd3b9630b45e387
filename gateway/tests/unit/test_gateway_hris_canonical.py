"""Cairn's canonical format behind the provider shape: Standard Webhooks verification and the
canonical delivery's parse errors (as the route has always answered them)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from gateway.hris import canonical
from gateway.hris.delivery import (
    DeliveryRejected,
    MalformedDelivery,
    UnsealedConnection,
    VerificationFailed,
)
from gateway.hris.registry import PROVIDERS
from starlette.datastructures import Headers

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
BODY = json.dumps(
    {
        "changes": [
            {
                "id": "chg-1",
                "type": "employee.hired",
                "effectiveAt": "2026-11-24T09:00:00Z",
                "sourceVersion": 1,
                "employee": {"externalId": "E1", "email": "e1@example.com", "displayName": "E"},
            }
        ]
    }
).encode()


def connection() -> UnsealedConnection:
    return UnsealedConnection(id="hc_c", tenant_id="t", provider="canonical", signing_secret=SECRET)


def signed(body: bytes, moment: datetime, message_id: str = "msg_1") -> Headers:
    """Standard Webhooks v1, from the spec: base64 HMAC-SHA256 of `id.timestamp.body`."""
    stamp = str(int(moment.timestamp()))
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return Headers(
        {
            "webhook-id": message_id,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }
    )


def test_a_signed_delivery_verifies_with_its_webhook_id() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    verified = canonical.verify(BODY, signed(BODY, now, "msg_42"), connection(), now)
    assert (verified.delivery_id, verified.sent_at) == ("msg_42", now)


@pytest.mark.parametrize(
    ("body", "age"),
    [
        (BODY + b" ", timedelta(0)),
        (BODY, timedelta(minutes=6)),
        (BODY, -timedelta(minutes=6)),
    ],
    ids=["tampered", "stale", "future"],
)
def test_a_tampered_or_untimely_delivery_is_refused(body: bytes, age: timedelta) -> None:
    now = datetime.now(UTC)
    with pytest.raises(VerificationFailed):
        canonical.verify(body, signed(BODY, now - age), connection(), now)


def test_missing_or_garbled_headers_are_refused() -> None:
    now = datetime.now(UTC)
    garbled = Headers(
        {"webhook-id": "m", "webhook-timestamp": "soon", "webhook-signature": "nocomma"}
    )
    for headers in (Headers({}), garbled):
        with pytest.raises(VerificationFailed):
            canonical.verify(BODY, headers, connection(), now)


def test_parse_errors_keep_the_canonical_routes_answers() -> None:
    with pytest.raises(MalformedDelivery) as malformed:
        canonical.parse(b'{"changes": [', Headers({}))
    assert (malformed.value.status, malformed.value.title) == (400, "Malformed JSON")
    assert malformed.value.detail.startswith("body:")
    with pytest.raises(DeliveryRejected) as invalid:
        canonical.parse(b'{"changes": []}', Headers({}))
    assert (invalid.value.status, invalid.value.title) == (422, "Invalid org changes")
    assert [e["field"] for e in invalid.value.errors] == ["changes"]
    assert [c.id for c in canonical.parse(BODY, Headers({})).changes] == ["chg-1"]


def test_the_registry_names_each_provider_by_its_path_segment() -> None:
    assert {name: p.name for name, p in PROVIDERS.items()} == {
        "canonical": "canonical",
        "merge": "merge",
        "bamboohr": "bamboohr",
    }
    # Only the canonical format is signed with a secret Cairn issues.
    assert [p.name for p in PROVIDERS.values() if p.issues_secret] == ["canonical"]
    assert PROVIDERS["canonical"].channel == "webhook"  # as the route has always published
