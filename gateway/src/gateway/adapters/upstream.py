"""Calls to the services' internal REST APIs, each with a fresh short-lived service token."""

import logging
from typing import Any

import httpx
from service_auth.tokens import Caller, TokenMinter

log = logging.getLogger(__name__)


class UpstreamUnavailable(RuntimeError):
    """A service did not answer properly; GraphQL reports UNAVAILABLE."""


class UpstreamRejected(ValueError):
    """A service refused the input (4xx other than 404); the message names the field, and
    `problem` is the service's problem+json (mutations answer its `errors` as userErrors)."""

    def __init__(self, message: str, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.problem: dict[str, Any] = problem if problem is not None else {"detail": message}


class ServiceClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, audience: str, minter: TokenMinter
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._audience = audience
        self._minter = minter

    async def call(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any | None:
        """The JSON answer; None for 404 (not found, or not visible to this caller)."""
        token = self._minter.mint(caller, self._audience)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._http.request(
                method,
                f"{self._base_url}{path}",
                params=clean,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self._audience} unreachable: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if 400 <= response.status_code < 500:
            body = response.json() if response.content else {}
            problem = body if isinstance(body, dict) else {}
            raise UpstreamRejected(str(problem.get("detail", response.text)), problem)
        if response.status_code >= 500:
            log.error("%s answered %s: %s", self._audience, response.status_code, response.text)
            raise UpstreamUnavailable(f"{self._audience} answered {response.status_code}")
        return response.json()

    async def send(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        content: bytes,
        content_type: str,
        params: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        """A raw body (an upload), answered as it came: the caller maps the statuses."""
        token = self._minter.mint(caller, self._audience)
        try:
            return await self._http.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                content=content,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self._audience} unreachable: {exc!r}") from exc
