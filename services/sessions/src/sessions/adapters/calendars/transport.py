"""One provider's HTTP API as the adapters use it: a bearer token that is refreshed once when
the provider answers 401, and every failure sorted into the three errors of `model`:
throttling, server errors and network failures are `ProviderUnavailable` (with Retry-After),
other refusals `ProviderRejected`, unreadable answers `ProviderGarbage`."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sessions.adapters.calendars.model import (
    ProviderGarbage,
    ProviderName,
    ProviderRejected,
    ProviderUnavailable,
)

M = TypeVar("M", bound=BaseModel)
# Google answers some throttling with 403 and one of these reasons instead of 429.
THROTTLED_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class Bearer(Protocol):
    async def bearer(self) -> str: ...

    async def refresh(self, stale: str | None = None) -> object: ...


def retry_after(response: httpx.Response, now: datetime | None = None) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - (now or datetime.now(UTC)))


class ProviderApi:
    def __init__(
        self,
        provider: ProviderName,
        http: httpx.AsyncClient,
        base_url: str,
        tokens: Bearer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.provider = provider
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.clock = clock

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200, 201, 202, 204),
    ) -> httpx.Response:
        """The answer when its status is in `accept`; otherwise the matching error."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        refreshed = False
        while True:
            sent = dict(headers or {})
            token = None
            if self.tokens is not None:
                token = await self.tokens.bearer()
                sent["Authorization"] = f"Bearer {token}"
            try:
                response = await self.http.request(
                    method, url, params=params, json=json_body, content=content, headers=sent
                )
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(
                    self.provider, f"{method} {path} failed: {type(exc).__name__}: {exc}"
                ) from exc
            if response.status_code == 401 and self.tokens is not None and not refreshed:
                await self.tokens.refresh(stale=token)
                refreshed = True
                continue
            break
        if response.status_code in accept:
            return response
        raise self.failure(method, path, response)

    def failure(
        self, method: str, path: str, response: httpx.Response
    ) -> ProviderUnavailable | ProviderRejected:
        status = response.status_code
        said = _said(response)
        where = f"{method} {path} answered {status}"
        if status == 429 or status >= 500 or (status == 403 and _throttled(response)):
            wait = retry_after(response, self.clock())
            return ProviderUnavailable(self.provider, f"{where}: {said}", wait)
        if status == 401:
            after = " even after refreshing the token" if self.tokens is not None else ""
            return ProviderRejected(
                self.provider, f"{where}{after}: reconnect the calendar ({said})", status
            )
        return ProviderRejected(self.provider, f"{where}: {said}", status)

    def read(self, response: httpx.Response, model: type[M], what: str) -> M:
        """The answer's JSON body as `model`, or `ProviderGarbage` saying what is wrong."""
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the body"
            raise ProviderGarbage(
                self.provider,
                f"{what}: {where}: {first['msg']} (answer starts {_start(response)})",
            ) from None


def _said(response: httpx.Response) -> str:
    """The provider's own error message, when its body has one."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _start(response)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            description = body.get("error_description")
            return f"{error}: {description}" if isinstance(description, str) else error
    return _start(response)


def _throttled(response: httpx.Response) -> bool:
    try:
        body = response.json()
        errors = body["error"]["errors"]
        return any(e.get("reason") in THROTTLED_REASONS for e in errors)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return False


def _start(response: httpx.Response) -> str:
    text = response.content[:120].decode("utf-8", errors="replace")
    return repr(text) if text else "empty"
