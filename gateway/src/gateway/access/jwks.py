"""Issuers' published keys (JWKS), fetched with a timeout and cached per URL: for the
Cache-Control max-age the issuer sends (bounded; a default when it sends none), refetched at
most once per `refetch_floor_s` when a token names a key id the cache does not hold (the issuer
rotated its keys), and kept past their age when the issuer cannot be reached (a brief outage
at the issuer does not sign everyone out). One fetch per URL at a time."""

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import jwt

log = logging.getLogger(__name__)

MAX_JWKS_BYTES: Final = 256 * 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


class KeysUnavailable(Exception):
    """No key to verify with: the issuer cannot be reached, answers no usable JWKS, or does
    not publish the key id the token names."""


@dataclass
class _Keys:
    by_kid: dict[str | None, jwt.PyJWK]
    fetched_at: float
    fresh_until: float


@dataclass
class JwksCache:
    http: httpx.AsyncClient
    timeout_s: float = 3.0
    default_ttl_s: float = 300.0
    max_ttl_s: float = 24 * 3600.0
    refetch_floor_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, _Keys] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    fetches: int = 0  # for tests and the operator's curiosity

    async def key(self, url: str, kid: str | None) -> jwt.PyJWK:
        cached = self._keys.get(url)
        now = self.clock()
        if cached is not None and now < cached.fresh_until:
            hit = _pick(cached, kid)
            if hit is not None:
                return hit
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            cached = self._keys.get(url)  # another request may have fetched meanwhile
            now = self.clock()
            stale = cached is None or now >= cached.fresh_until
            unknown = cached is not None and _pick(cached, kid) is None
            may_refetch = cached is None or now - cached.fetched_at >= self.refetch_floor_s
            if (stale or unknown) and may_refetch:
                cached = await self._refresh(url, cached)
        found = _pick(cached, kid) if cached is not None else None
        if found is None:
            raise KeysUnavailable(f"the issuer publishes no key {kid!r}")
        return found

    async def _refresh(self, url: str, cached: _Keys | None) -> _Keys | None:
        try:
            fetched = await self._fetch(url)
        except KeysUnavailable as exc:
            if cached is None:
                raise
            log.warning("JWKS %s: %s; keeping the keys fetched before", url, exc)
            cached.fetched_at = self.clock()  # the floor applies to failures too
            return cached
        self._keys[url] = fetched
        return fetched

    async def _fetch(self, url: str) -> _Keys:
        self.fetches += 1
        try:
            async with self.http.stream(
                "GET", url, timeout=self.timeout_s, follow_redirects=False
            ) as answer:
                if answer.status_code != 200:
                    raise KeysUnavailable(f"the JWKS URL answered {answer.status_code}")
                body = b""
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise KeysUnavailable("the JWKS is larger than it may be")
                cache_control = answer.headers.get("cache-control", "")
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"the JWKS URL could not be read: {type(exc).__name__}") from exc
        keys = _parse(body)
        now = self.clock()
        return _Keys(by_kid=keys, fetched_at=now, fresh_until=now + self._ttl(cache_control))

    def _ttl(self, cache_control: str) -> float:
        lowered = cache_control.lower()
        if "no-store" in lowered or "no-cache" in lowered:
            return self.refetch_floor_s
        found = _MAX_AGE.search(cache_control)
        if found is None:
            return self.default_ttl_s
        return min(max(float(found.group(1)), self.refetch_floor_s), self.max_ttl_s)


def _pick(keys: _Keys, kid: str | None) -> jwt.PyJWK | None:
    """The key the token names; a token naming none may use the only key there is."""
    if kid is None and len(keys.by_kid) == 1:
        return next(iter(keys.by_kid.values()))
    return keys.by_kid.get(kid)


def _parse(body: bytes) -> dict[str | None, jwt.PyJWK]:
    try:
        document: Any = json.loads(body)
    except ValueError as exc:
        raise KeysUnavailable("the JWKS is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysUnavailable("the JWKS has no keys")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue  # a key type this gateway does not verify with: others may do
        keys[entry.get("kid")] = key
    if not keys:
        raise KeysUnavailable("the JWKS has no usable signing key")
    return keys
