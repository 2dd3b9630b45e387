"""Calls to the services' internal REST APIs, each with a fresh short-lived service token."""

import logging
from typing import Any

import httpx
from service_auth.tokens import Caller, TokenMinter

log = logging.getLogger(__name__)


class UpstreamUnavailable(RuntimeError):
    """A service did not answer properly; GraphQL reports UNAVAILABLE."""


class UpstreamRejected(ValueError):
    """A service refused the input (4xx other than 404); the message names the field."""


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
            detail = response.json().get("detail", response.text) if response.content else ""
            raise UpstreamRejected(str(detail))
        if response.status_code >= 500:
            log.error("%s answered %s: %s", self._audience, response.status_code, response.text)
            raise UpstreamUnavailable(f"{self._audience} answered {response.status_code}")
        return response.json()
