"""The secret in a person's feed URL (`/calendar/{token}.ics`): 256 random bits, unguessable.
Only its SHA-256 digest is stored, so a leaked database does not leak feeds; a feed is found
by the digest of the token presented, and revoked by replacing the stored digest. Plain
SHA-256 is enough: the token is random, there is nothing to guess slowly."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from runtime.refusals import Refused, invalid, not_found

TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, url-safe base64 without padding


@dataclass(frozen=True)
class IssuedToken:
    token: str  # give it to the person once (in their feed URL); never store it
    digest: str  # store this


def issue_feed_token() -> IssuedToken:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedToken(token, feed_token_digest(token))


def feed_token_digest(token: str) -> str:
    """The digest to look a presented token up by; a malformed token is refused (422)."""
    if not _TOKEN.match(token):
        raise invalid("token", "is not a calendar feed token")
    return hashlib.sha256(token.encode()).hexdigest()


def check_feed_token(token: str, stored_digest: str) -> None:
    """Whether `token` opens the feed whose digest is stored, compared in constant time. Any
    other token, another person's included, is answered as an unknown feed (404): which
    feeds exist never leaks."""
    try:
        presented = feed_token_digest(token)
    except Refused:
        raise not_found("calendar feed") from None
    if not hmac.compare_digest(presented, stored_digest):
        raise not_found("calendar feed")
