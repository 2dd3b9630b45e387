"""What every HRIS provider module shares: its shape, its errors, and what it is given to
turn a verified delivery into canonical org changes."""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx
from contracts.hris import HrisChange
from messaging.outbox import UnitOfWork
from pydantic import BaseModel, ValidationError

from gateway.domain.hris_delivery import HrisDelivery

P = TypeVar("P")  # a delivery as parsed
F = TypeVar("F")  # a delivery as completed from the HRIS's API (often the parsed one itself)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Headers = Mapping[str, str]  # case-insensitive in the route (Starlette's Headers)


class VerificationFailed(Exception):
    """Not proven to come from the connection's HRIS. Answered 401 with no detail, so the
    answer is no oracle for secrets or connection ids."""


class DeliveryRejected(Exception):
    """The delivery cannot be accepted as it is; nothing is stored."""

    status = 422
    title = "Invalid org changes"

    def __init__(self, detail: str, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [dict(e) for e in errors]


class MalformedDelivery(DeliveryRejected):
    status = 400
    title = "Malformed JSON"


class UnsupportedMediaType(DeliveryRejected):
    status = 415
    title = "Unsupported Media Type"


class InvalidDelivery(DeliveryRejected):
    """422, naming each bad field in the provider's own terms (`data.work_email`)."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(describe_errors(errors), errors)


class SourceUnavailable(DeliveryRejected):
    """What we need from the HRIS (or our side of the connection) is not there right now: 503,
    so the HRIS retries the delivery later."""

    status = 503
    title = "Service Unavailable"


@dataclass(frozen=True)
class UnsealedConnection:
    """An HRIS connection with its secrets opened, for the request at hand: what providers
    verify and fetch with. Made by `gateway.service_layer.hris_connections`; never stored."""

    id: str
    tenant_id: str
    provider: str
    signing_secret: str = field(repr=False)
    settings: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Verified:
    delivery_id: str  # the sender's id of this delivery (or a digest standing for one)
    sent_at: datetime | None = None  # the signed timestamp, where the scheme has one


@dataclass
class FetchContext:
    """What a provider may use to complete a verified delivery from the HRIS's own API
    (BambooHR's employee), before the delivery's transaction opens: nothing waits on the
    network while the database is held. Leave it with `close()` (`fetch_within` does)."""

    connection: UnsealedConnection
    verified: Verified
    http_timeout_s: float = 10.0
    _http: httpx.AsyncClient | None = None

    def http(self) -> httpx.AsyncClient:
        """A client for calls to the HRIS's API, made on first use (most providers need none)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.http_timeout_s)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()


@dataclass(frozen=True)
class NormalizeContext:
    """What a provider may use to turn a delivery into canonical changes, inside the one
    transaction that stores them: the connection is locked for it (one delivery of a
    connection at a time), and what it writes (Merge's identities) commits with the changes,
    or not at all."""

    connection: UnsealedConnection
    verified: Verified
    received_at: datetime
    uow: UnitOfWork


async def fetch_within(
    provider: "HrisProvider[P, F]", payload: P, context: FetchContext, deadline_s: float
) -> F:
    """The provider's fetch, all of it within `deadline_s` however slowly the HRIS answers
    (httpx's timeouts are per phase: a server sending a byte now and then never trips them);
    past it, SourceUnavailable saying so."""
    try:
        async with asyncio.timeout(deadline_s):
            return await provider.fetch(payload, context)
    except TimeoutError:
        raise SourceUnavailable(
            f"the {provider.name} API did not answer within {deadline_s:g} s"
        ) from None
    finally:
        await context.close()


async def nothing_to_fetch(payload: P, context: FetchContext) -> P:
    """For providers whose deliveries carry all they say."""
    return payload


def always_settles(verified: Verified, fetched: object) -> bool:
    """For providers whose deliveries carry all they say: the same delivery id, the same
    changes."""
    return True


@dataclass(frozen=True)
class HrisProvider(Generic[P, F]):
    """One HRIS scheme: how its deliveries are verified, parsed, completed and normalized.

    `verify` raises VerificationFailed; `parse`, `fetch` and `normalize` raise
    DeliveryRejected. `fetch` runs before the delivery's transaction, `normalize` inside it."""

    name: str  # the path segment: /webhooks/hris/{connectionId}/{name}
    channel: str  # HrisChangeReceived.channel
    # Headers without which no delivery can verify: checked before the body is read.
    signature_headers: tuple[str, ...]
    verify: Callable[[bytes, Headers, UnsealedConnection, datetime], Verified]
    parse: Callable[[bytes, Headers], P]
    fetch: Callable[[P, FetchContext], Awaitable[F]]
    normalize: Callable[[F, NormalizeContext], Awaitable[list[HrisChange]]]
    # Whether a delivery accepted as fetched settles its delivery id: a redelivery could bring
    # nothing new, so it is answered from the receipt without any work. False only where the
    # same bytes may stand for a later change than the one fetched (BambooHR, within a second).
    settles: Callable[[Verified, F], bool] = always_settles
    # The connection's extra settings (None: it has none), validated when it is created; the
    # secret ones (API keys) are never shown back.
    settings: type[BaseModel] | None = None
    secret_settings: tuple[str, ...] = ()
    # True: Cairn issues the signing secret; False: the provider shows one to store.
    issues_secret: bool = False


def describe_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{e['field']}: {e['message']}" if e.get("field") else str(e["message"])
        for e in errors[:10]
    )


def pydantic_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """[{"field": "data.work_email", "message": ...}] from a provider model's validation."""
    out = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        name = f"{prefix}.{path}" if prefix and path else prefix or path
        out.append({"field": name or None, "message": error.get("msg", "invalid")})
    return out


def validated_changes(
    raw: list[dict[str, Any]], provider_fields: Mapping[str, str]
) -> list[HrisChange]:
    """Canonical changes from camelCase dicts (absent keys stay absent: merge patches).

    A value the canonical model refuses is reported under the provider's own field name
    (`provider_fields` maps `employee.email` to e.g. `data.work_email`)."""
    try:
        return HrisDelivery.model_validate({"changes": raw}).changes
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            canonical = ".".join(str(p) for p in error.get("loc", ())[2:])
            errors.append(
                {
                    "field": provider_fields.get(canonical, canonical or None),
                    "message": error.get("msg", "invalid"),
                }
            )
        raise InvalidDelivery(errors) from exc


def epoch_ms(moment: datetime) -> int:
    """A sourceVersion from a moment; naive moments are taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(milliseconds=1)  # exact: no float rounding


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
