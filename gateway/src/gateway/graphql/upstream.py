"""The services as a GraphQL request calls them, and what their failures become.

A service that does not answer is UNAVAILABLE; a refusal is BAD_USER_INPUT for a query
(`read`), or the `Problem` itself for a mutation (`change`), which answers it as userErrors.
Every key is put in its path by the service client (`adapters.upstream.path`), quoted, so a key
can only ever name one resource."""

import dataclasses
import logging
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry
from contracts.problems import Problem
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from service_auth.tokens import Caller

from gateway.adapters.upstream import (
    ServiceClient,
    UpstreamRejected,
    UpstreamUnavailable,
    problem_of,
)
from gateway.graphql.errors import BadUserInput, Unavailable

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class Service:
    """One service, called for one request's caller."""

    def __init__(self, client: ServiceClient, caller: Caller) -> None:
        self._client = client
        self._caller = caller

    async def read(
        self,
        answer: type[M],
        template: str,
        *keys: str,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> M | None:
        """For queries (and batch lookups): the answer, None when not found."""
        try:
            return await self._call(method, answer, template, keys, params, json)
        except UpstreamRejected as exc:
            raise BadUserInput(_describe(exc.problem), **_field_of(exc.problem)) from exc

    async def change(
        self, answer: type[M], method: str, template: str, *keys: str, json: Any = None
    ) -> M | Problem | None:
        """For mutations: the answer, the service's refusal, or None when not found."""
        try:
            return await self._call(method, answer, template, keys, None, json)
        except UpstreamRejected as exc:
            return exc.problem

    async def remove(self, template: str, *keys: str) -> Problem | bool:
        """For mutations that delete (answered 204): True when done, False when not found,
        or the service's refusal."""
        try:
            response = await self._client.fetch("DELETE", template, self._caller, keys=keys)
        except UpstreamUnavailable as exc:
            raise Unavailable(f"{self._client.name} is unavailable; retry shortly") from exc
        if response.status_code == 404:
            return False
        if 400 <= response.status_code < 500:
            return problem_of(response)
        if response.status_code >= 300:
            log.error("%s answered %s: %s", self._client.name, response.status_code, response.text)
            raise Unavailable(f"{self._client.name} is unavailable; retry shortly")
        return True

    async def _call(
        self,
        method: str,
        answer: type[M],
        template: str,
        keys: tuple[str, ...],
        params: dict[str, Any] | None,
        json: Any,
    ) -> M | None:
        try:
            return await self._client.call(
                method, template, self._caller, answer, keys=keys, params=params, json=json
            )
        except UpstreamUnavailable as exc:
            raise Unavailable(f"{self._client.name} is unavailable; retry shortly") from exc


def _describe(problem: Problem) -> str:
    return problem.detail or problem.title


def _field_of(problem: Problem) -> dict[str, str]:
    """The `field` extension when the refusal names exactly one field."""
    fields = {e.field for e in problem.errors if e.field}
    return {"field": fields.pop()} if len(fields) == 1 else {}


def request_body(value: Any, skip: Sequence[str] = ()) -> Any:
    """A GraphQL input as a service's JSON body: camelCase members, absent (UNSET) ones left
    out, enums as their values, dates and moments in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel(f.name): request_body(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in skip and getattr(value, f.name) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [request_body(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
