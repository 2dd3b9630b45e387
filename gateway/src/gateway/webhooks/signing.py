"""Standard Webhooks signatures: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
keyed with the secret's bytes (`whsec_` + base64, as
`gateway.domain.credentials.issue_webhook_secret` makes them), as `v1,<base64>`; several secrets (a
rotation's old and new) give several space-separated signatures, any one of which verifies."""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Final

SECRET_PREFIX: Final = "whsec_"  # noqa: S105  (a format prefix, not a secret)


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    message_id: str, timestamp: int, body: bytes, secrets_in_force: Sequence[str]
) -> str:
    """The `webhook-signature` value: one signature per secret in force, newest first."""
    if not secrets_in_force:
        raise ValueError("a delivery is signed with at least one secret")
    return " ".join(signature(message_id, timestamp, body, s) for s in secrets_in_force)


def headers(
    message_id: str, timestamp: int, body: bytes, secrets_in_force: Sequence[str]
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(message_id, timestamp, body, secrets_in_force),
    }
