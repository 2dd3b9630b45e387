"""What the provider tests stand on: real HTTP servers on loopback. `serve(app)` runs a small
threaded HTTP server around `app(request) -> (status, headers, body)` and records every
request; `oauth` is a token endpoint that hands out access tokens for refresh tokens; the
Google and Graph fakes (in their folders) and Radicale (a real server) build on them."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    """JSON for dicts and lists, bytes as they are, nothing for None."""
    if body is None:
        return status, dict(headers or {}), b""
    if isinstance(body, bytes):
        return status, {"Content-Type": "text/plain", **(headers or {})}, body
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


@dataclass
class Served:
    url: str
    requests: list[Request] = field(default_factory=list)
    # Answers given before the app is asked, in order (a 429, a 503, garbage...).
    queued: list[Reply] = field(default_factory=list)
    answers: list[Reply] = field(default_factory=list)  # what it answered, in order

    def made(self, method: str, path_part: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]


def _handler(app: Callable[[Request], Reply], served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            served.requests.append(request)
            status, headers, body = served.queued.pop(0) if served.queued else app(request)
            served.answers.append((status, headers, body))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_REPORT = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[Request], Reply]], Served]]:
    servers: list[ThreadingHTTPServer] = []

    def start(app: Callable[[Request], Reply]) -> Served:
        served = Served("")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(app, served))
        served.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return served

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_reply() -> Callable[..., Reply]:
    """`reply`, for the fakes in the folders below (a conftest cannot import this one)."""
    return reply


@dataclass
class TokenEndpoint:
    """RFC 6749 §6 refresh: valid refresh tokens get a new access token each time."""

    served: Served
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-1"})
    access_tokens: set[str] = field(default_factory=set)
    expires_in: int = 3600

    @property
    def url(self) -> str:
        return f"{self.served.url}/token"

    def valid(self, authorization: str | None) -> bool:
        return authorization is not None and authorization.removeprefix("Bearer ") in (
            self.access_tokens
        )

    def revoke_all_access(self) -> None:
        self.access_tokens.clear()

    def __call__(self, request: Request) -> Reply:
        form = request.form()
        if request.path != "/token" or form.get("grant_type") != "refresh_token":
            return reply(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != "cairn" or form.get("client_secret") != "s3cret":
            return reply(401, {"error": "invalid_client"})
        if form.get("refresh_token") not in self.refresh_tokens:
            return reply(400, {"error": "invalid_grant", "error_description": "Token revoked"})
        token = f"access-{secrets.token_hex(4)}"
        self.access_tokens.add(token)
        return reply(
            200,
            {
                "access_token": token,
                "expires_in": self.expires_in,
                "token_type": "Bearer",
                "scope": "calendar",
            },
        )


@pytest.fixture
def oauth(serve: Callable[[Callable[[Request], Reply]], Served]) -> TokenEndpoint:
    endpoint = TokenEndpoint(Served(""))
    endpoint.served = serve(endpoint)
    endpoint.access_tokens.add("access-0")
    return endpoint


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client
