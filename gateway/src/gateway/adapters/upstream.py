"""Calls to the services' internal REST APIs, each with a fresh short-lived service token.

Answers are parsed here, once, into the contract models the caller names; a refusal (a 4xx
other than 404) into `contracts.problems.Problem`. Paths are built here, once, from a template
and the keys put in it, each quoted as one path segment."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from contracts.problems import Problem
from pydantic import BaseModel, ValidationError
from service_auth.tokens import Caller, TokenMinter

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def path(template: str, *keys: str) -> str:
    """`template` with each `{}` replaced by a key, quoted as one path segment (dots too: a key
    `..` must not climb out of the path, as a dot-segment would)."""
    return template.format(*(quote(key, safe="").replace(".", "%2E") for key in keys))


class UpstreamUnavailable(RuntimeError):
    """A service did not answer properly; GraphQL reports UNAVAILABLE."""


class UpstreamRejected(ValueError):
    """A service refused the input (4xx other than 404); `problem` says why, naming the
    fields (mutations answer its `errors` as userErrors)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail or problem.title)
        self.problem = problem


class UpstreamAnswerUnreadable(RuntimeError):
    """A service answered 2xx with something its contract does not allow: a fault, not the
    caller's (GraphQL reports it as INTERNAL and the log keeps the detail)."""


class ServiceClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, audience: str, minter: TokenMinter
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._audience = audience
        self._minter = minter

    @property
    def name(self) -> str:
        """The service's name (also its tokens' audience)."""
        return self._audience

    async def call(
        self,
        method: str,
        template: str,
        caller: Caller,
        answer: type[M],
        *,
        keys: Sequence[str] = (),
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> M | None:
        """The answer as `answer`; None for 404 (not found, or not visible to this caller).
        The path is `template` with `keys` put in it (see `path`)."""
        token = self._minter.mint(caller, self._audience)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        built = path(template, *keys)
        try:
            response = await self._http.request(
                method,
                f"{self._base_url}{built}",
                params=clean,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self._audience} unreachable: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if 400 <= response.status_code < 500:
            raise UpstreamRejected(problem_of(response))
        if response.status_code >= 500:
            log.error("%s answered %s: %s", self._audience, response.status_code, response.text)
            raise UpstreamUnavailable(f"{self._audience} answered {response.status_code}")
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamAnswerUnreadable(
                f"{self._audience} answered {method} {built} with no {answer.__name__}: {exc}"
            ) from exc

    async def fetch(
        self,
        method: str,
        template: str,
        caller: Caller,
        *,
        keys: Sequence[str] = (),
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """The answer as it came (a file: a chart, an export, a calendar feed; or no body):
        the caller maps the statuses."""
        token = self._minter.mint(caller, self._audience)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            return await self._http.request(
                method,
                f"{self._base_url}{path(template, *keys)}",
                params=clean,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self._audience} unreachable: {exc!r}") from exc

    async def send(
        self,
        method: str,
        template: str,
        caller: Caller,
        *,
        keys: Sequence[str] = (),
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
                f"{self._base_url}{path(template, *keys)}",
                params=params,
                content=content,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self._audience} unreachable: {exc!r}") from exc


@dataclass(frozen=True)
class Upstreams:
    """The services the gateway calls, for the app's life (`app.state.upstreams`)."""

    profiles: ServiceClient
    matching: ServiceClient
    sessions: ServiceClient
    feedback: ServiceClient


def problem_of(response: httpx.Response) -> Problem:
    """The refusal's problem+json; a body that is none (a proxy's page, say) as a bare one."""
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return Problem(
            title=response.reason_phrase or "Refused",
            status=response.status_code,
            detail=response.text[:500] or None,
        )
