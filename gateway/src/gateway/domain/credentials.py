"""Credentials we issue: API keys and webhook signing secrets. Pure, apart from randomness."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

API_KEY_PREFIX = "cairn"


@dataclass(frozen=True)
class IssuedApiKey:
    key_id: str
    secret_hash: str
    plaintext: str  # shown once, never stored


def issue_api_key() -> IssuedApiKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedApiKey(key_id, hash_secret(secret), f"{API_KEY_PREFIX}_{key_id}_{secret}")


def parse_api_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def issue_webhook_secret() -> str:
    """Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def issue_connection_id() -> str:
    return "hc_" + secrets.token_urlsafe(18)
