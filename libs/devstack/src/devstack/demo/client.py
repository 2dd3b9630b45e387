"""The demo's GraphQL client: the queries it used are kept, so the demo can print them for a
reader to copy."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class DemoFailed(RuntimeError):
    """The journey could not go on; the message says where."""


@dataclass
class Client:
    gateway: str
    api_key: str
    used: dict[str, str] = field(default_factory=dict)  # name → query, in first-use order

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.gateway,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )

    def run(self, name: str, query: str, **variables: Any) -> dict[str, Any]:
        """The `data` of a query; a GraphQL error or a mutation's userErrors stop the demo."""
        self.used.setdefault(name, query.strip())
        body = self._http.post("/graphql", json={"query": query, "variables": variables}).json()
        if body.get("errors"):
            raise DemoFailed(f"{name}: {body['errors'][0]['message']}")
        data: dict[str, Any] = body["data"]
        for payload in data.values():
            if isinstance(payload, dict) and payload.get("userErrors"):
                raise DemoFailed(f"{name}: {payload['userErrors']}")
        return data

    def download(self, url: str) -> bytes:
        """A file the API links to (a chart, an export), with the API key."""
        response = self._http.get(url)
        if response.status_code != 200:
            raise DemoFailed(f"GET {url}: {response.status_code} {response.text[:200]}")
        return response.content

    def close(self) -> None:
        self._http.close()


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = 60) -> T:
    """The first truthy answer of `probe` (the system is eventually consistent)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise DemoFailed(f"gave up waiting for {what} after {timeout_s:.0f}s")
        time.sleep(0.2)
