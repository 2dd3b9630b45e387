"""Per-request context: the caller, the upstream clients, and per-request DataLoaders (never
shared between requests, so one tenant's cache can never serve another)."""

from dataclasses import dataclass, field
from typing import Any

from service_auth.tokens import Caller
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.adapters.upstream import ServiceClient, UpstreamRejected, UpstreamUnavailable
from gateway.graphql.errors import BadUserInput, Unavailable

PersonData = dict[str, Any]


class Refused(Exception):
    """A service refused a mutation's input (4xx); `problem` is its problem+json, which the
    mutation answers as userErrors."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or "refused"))
        self.problem = problem


@dataclass
class Upstreams:
    profiles: ServiceClient
    matching: ServiceClient


@dataclass
class CairnContext(BaseContext):
    caller: Caller
    upstreams: Upstreams
    person_by_id: DataLoader[str, PersonData | None] = field(init=False)
    person_by_external_id: DataLoader[str, PersonData | None] = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.person_by_id = DataLoader(load_fn=self._people_by_id, max_batch_size=500)
        self.person_by_external_id = DataLoader(
            load_fn=self._people_by_external_id, max_batch_size=500
        )

    async def profiles(self, method: str, path: str, **kwargs: Any) -> Any | None:
        try:
            return await self.upstreams.profiles.call(method, path, self.caller, **kwargs)
        except UpstreamUnavailable as exc:
            raise Unavailable("profiles is unavailable; retry shortly") from exc
        except UpstreamRejected as exc:
            raise BadUserInput(str(exc)) from exc

    async def profiles_change(self, method: str, path: str, **kwargs: Any) -> Any | None:
        """Like `profiles`, for mutations: a refusal raises `Refused` with the problem."""
        try:
            return await self.upstreams.profiles.call(method, path, self.caller, **kwargs)
        except UpstreamUnavailable as exc:
            raise Unavailable("profiles is unavailable; retry shortly") from exc
        except UpstreamRejected as exc:
            raise Refused(exc.problem) from exc

    def remember(self, person: PersonData) -> PersonData:
        self.person_by_id.prime(person["id"], person)
        if person.get("externalId"):
            self.person_by_external_id.prime(person["externalId"], person)
        return person

    async def _batch(self, field_name: str, keys: list[str], key: str) -> list[PersonData | None]:
        answer = await self.profiles("POST", "/internal/people/batch", json={field_name: keys})
        found = {p[key]: p for p in (answer or {}).get("items", [])}
        for person in found.values():
            self.remember(person)
        return [found.get(k) for k in keys]

    async def _people_by_id(self, ids: list[str]) -> list[PersonData | None]:
        return await self._batch("ids", ids, "id")

    async def _people_by_external_id(self, ids: list[str]) -> list[PersonData | None]:
        return await self._batch("externalIds", ids, "externalId")
