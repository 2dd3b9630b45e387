"""An issuer's JWKS, from a local HTTP server: cached for the Cache-Control max-age (not
fetched again before), fetched again after it; no-store keeps keys only for the refetch floor;
an unknown key id is fetched at most once per floor; keys already fetched are kept when the
issuer stops answering; a slow issuer is given up on after the timeout."""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import ec
from gateway.access.jwks import JwksCache, KeysUnavailable

pytestmark = pytest.mark.asyncio(loop_scope="session")


def jwk(kid: str) -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    found: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    return found | {"kid": kid}


class Issuer(BaseHTTPRequestHandler):
    keys: list[dict[str, Any]] = [jwk("a")]
    cache_control = "max-age=600"
    status = 200
    delay_s = 0.0
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        time.sleep(self.delay_s)
        try:
            self.send_response(self.status)
            self.send_header("cache-control", self.cache_control)
            self.end_headers()
            self.wfile.write(json.dumps({"keys": self.keys}).encode())
        except BrokenPipeError:  # the slow case: the client gave up, as it should
            pass

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(loop_scope="session")
async def cache() -> AsyncIterator[tuple[JwksCache, Clock]]:
    Issuer.keys, Issuer.cache_control, Issuer.status, Issuer.delay_s = (
        [jwk("a")],
        "max-age=600",
        200,
        0.0,
    )
    clock = Clock()
    async with httpx.AsyncClient() as http:
        yield JwksCache(http, timeout_s=0.5, refetch_floor_s=30, clock=clock), clock


async def test_cached_for_max_age(cache: tuple[JwksCache, Clock], url: str) -> None:
    jwks, clock = cache
    await jwks.key(url, "a")
    await asyncio.gather(*(jwks.key(url, "a") for _ in range(5)))
    assert jwks.fetches == 1
    clock.now += 599
    await jwks.key(url, "a")
    assert jwks.fetches == 1
    clock.now += 2
    await jwks.key(url, "a")
    assert jwks.fetches == 2


async def test_no_store_keeps_keys_for_the_floor(cache: tuple[JwksCache, Clock], url: str) -> None:
    jwks, clock = cache
    Issuer.cache_control = "no-store"
    await jwks.key(url, "a")
    clock.now += 29
    await jwks.key(url, "a")
    clock.now += 2
    await jwks.key(url, "a")
    assert jwks.fetches == 2


async def test_an_unknown_kid_is_fetched_at_most_once_per_floor(
    cache: tuple[JwksCache, Clock], url: str
) -> None:
    jwks, clock = cache
    await jwks.key(url, "a")
    Issuer.keys = [jwk("a"), jwk("b")]
    clock.now += 31
    assert await jwks.key(url, "b") is not None  # rotated in: fetched
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            await jwks.key(url, "zzz")
    assert jwks.fetches == 2  # the unknown kid did not fetch again within the floor
    clock.now += 31
    with pytest.raises(KeysUnavailable):
        await jwks.key(url, "zzz")
    assert jwks.fetches == 3


async def test_keys_kept_when_the_issuer_fails_and_a_slow_one_times_out(
    cache: tuple[JwksCache, Clock], url: str
) -> None:
    jwks, clock = cache
    await jwks.key(url, "a")
    Issuer.status = 500
    clock.now += 700
    assert await jwks.key(url, "a") is not None  # stale, but the issuer is down
    Issuer.status, Issuer.delay_s = 200, 2.0
    fresh = JwksCache(jwks.http, timeout_s=0.3, clock=clock)
    started = time.monotonic()
    with pytest.raises(KeysUnavailable, match="could not be read"):
        await fresh.key(url, "a")
    assert time.monotonic() - started < 1.5
