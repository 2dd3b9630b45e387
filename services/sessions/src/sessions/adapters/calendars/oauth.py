"""OAuth bearer tokens for Google and Microsoft, refreshed through the token endpoint
(RFC 6749 §6) shortly before they expire, or once when the provider answers 401, and stored
encrypted at rest (`TokenCipher`, the key from the caller's settings)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import BaseModel, ValidationError

from sessions.adapters.calendars.model import (
    ProviderGarbage,
    ProviderName,
    ProviderRejected,
    ProviderUnavailable,
)
from sessions.adapters.calendars.transport import retry_after

EARLY = timedelta(seconds=60)  # refresh this long before the expiry, not at the last second


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat(),
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> OAuthTokens:
        raw = json.loads(data)
        return cls(
            raw["access_token"], raw["refresh_token"], datetime.fromisoformat(raw["expires_at"])
        )


@dataclass(frozen=True)
class OAuthClient:
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None  # Microsoft wants the scopes again on refresh


class _TokenAnswer(BaseModel):
    access_token: str
    expires_in: int
    refresh_token: str | None = None


class BearerTokens:
    """A connected account's live tokens. `on_refresh` receives every new pair, so the caller
    can store it (sealed) before it is used."""

    def __init__(
        self,
        provider: ProviderName,
        client: OAuthClient,
        tokens: OAuthTokens,
        http: httpx.AsyncClient,
        *,
        on_refresh: Callable[[OAuthTokens], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.client = client
        self.current = tokens
        self.http = http
        self.on_refresh = on_refresh
        self.clock = clock
        self.refreshes = 0
        self._lock = asyncio.Lock()

    async def bearer(self) -> str:
        if self.current.expires_at - EARLY <= self.clock():
            await self.refresh(stale=self.current.access_token)
        return self.current.access_token

    async def refresh(self, stale: str | None = None) -> OAuthTokens:
        """New tokens from the token endpoint. With `stale`, only if the current access token
        is still that one: concurrent callers that saw the same 401 refresh once."""
        async with self._lock:
            if stale is not None and self.current.access_token != stale:
                return self.current
            if not self.current.refresh_token:
                raise ProviderRejected(
                    self.provider,
                    "the access token expired and there is no refresh token: "
                    "reconnect the calendar",
                )
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.current.refresh_token,
                "client_id": self.client.client_id,
                "client_secret": self.client.client_secret,
            }
            if self.client.scope:
                form["scope"] = self.client.scope
            asked = self.clock()
            try:
                response = await self.http.post(self.client.token_url, data=form)
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(
                    self.provider, f"the token endpoint failed: {type(exc).__name__}: {exc}"
                ) from exc
            if response.status_code == 429 or response.status_code >= 500:
                raise ProviderUnavailable(
                    self.provider,
                    f"the token endpoint answered {response.status_code}",
                    retry_after(response, asked),
                )
            if response.status_code != 200:
                raise ProviderRejected(
                    self.provider,
                    f"the token endpoint refused the refresh token ({response.status_code}: "
                    f"{_error_of(response)}): reconnect the calendar",
                    response.status_code,
                )
            try:
                answer = _TokenAnswer.model_validate_json(response.content)
            except ValidationError as exc:
                raise ProviderGarbage(
                    self.provider,
                    f"the token endpoint's answer: {exc.errors()[0]['msg']} "
                    f"at {'.'.join(map(str, exc.errors()[0]['loc'])) or 'the body'}",
                ) from None
            self.current = OAuthTokens(
                answer.access_token,
                answer.refresh_token or self.current.refresh_token,  # not every refresh rotates
                asked + timedelta(seconds=answer.expires_in),
            )
            self.refreshes += 1
            if self.on_refresh is not None:
                await self.on_refresh(self.current)
            return self.current


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no readable body"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return "no error code"


class TokensUnreadable(Exception):
    """Sealed tokens that none of the keys opens: a wrong key, or altered data."""


class TokenCipher:
    """Seals OAuth tokens for storage (Fernet: AES-128-CBC with HMAC-SHA256). The first key
    seals; every key opens, so a key can be rotated by putting the new one first."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("the calendar token cipher needs at least one key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "a calendar token key must be 32 url-safe base64-encoded bytes "
                "(make one with TokenCipher.new_key())"
            ) from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, tokens: OAuthTokens) -> bytes:
        return self._fernet.encrypt(tokens.to_json())

    def open(self, sealed: bytes) -> OAuthTokens:
        try:
            return OAuthTokens.from_json(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise TokensUnreadable(
                "the stored calendar tokens do not open with the configured keys "
                "(a wrong key, or altered data): reconnect the calendar"
            ) from None
