"""Sending one delivery over HTTP, only ever to addresses the target rules allow.

The check sits where the connection is made (an httpcore network backend): the host is
resolved there, every address it resolves to is judged (`targets.address_refusal`), and the
connection goes to a judged address, never to a name resolved again later (no DNS rebinding
between check and connect). Redirects are not followed blindly: only 307/308 (which keep the
method and body), a few hops, each hop's connection judged the same way; other 3xx fail the
attempt. Proxies from the environment are ignored (a proxy would resolve for us)."""

import asyncio
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

import httpcore
import httpx

from gateway.webhooks.targets import SCHEMES, TargetPolicy, address_refusal

MAX_REDIRECTS: Final = 3
_FOLLOWED: Final = (307, 308)


class TargetRefused(Exception):
    """The target resolves to an address the policy refuses: nothing was sent."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: TargetPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                found = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:  # one refused address refuses the host: it may be chosen
            refusal = address_refusal(address, self._policy)
            if refusal is not None:
                raise TargetRefused(f"{host} resolves to {refusal}")
        error: Exception = httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: TargetPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to name the network backend: built again here.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=50,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the last hop's URL, its status (None: no answer), why it failed
    (None when a 2xx came), Retry-After in seconds if the receiver asked, and the time taken."""

    url: str
    status_code: int | None
    error: str | None
    retry_after_s: float | None
    latency_ms: int


def guarded_client(policy: TargetPolicy, timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": "Cairn-Webhooks/1"},
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


async def post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` (and 307/308 redirects), never raising: the answer says it all."""
    started = time.monotonic()

    def answer(status: int | None, error: str | None, retry_after: float | None = None) -> Answer:
        return Answer(url, status, error, retry_after, int((time.monotonic() - started) * 1000))

    for _hop in range(MAX_REDIRECTS + 1):
        try:
            # Streamed and closed unread: a receiver's body is not ours to download.
            async with client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
                location = response.headers.get("location")
                retry_after = _retry_after(response)
        except TargetRefused as refused:
            return answer(None, f"target refused: {refused}")
        except httpx.TimeoutException:
            return answer(None, "timed out")
        except httpx.HTTPError as exc:
            return answer(None, f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= status < 300:
            return answer(status, None)
        if status in _FOLLOWED and location:
            next_url = urljoin(url, location)
            if httpx.URL(next_url).scheme not in SCHEMES:
                return answer(status, f"redirect to a non-http URL refused: {next_url[:200]}")
            url = next_url
            continue
        if 300 <= status < 400:
            return answer(status, f"redirect ({status}) not followed: only 307/308 are")
        return answer(status, f"HTTP {status}", retry_after)
    return answer(None, f"more than {MAX_REDIRECTS} redirects")
