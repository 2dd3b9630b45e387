"""End-user tokens: a JWT from an issuer the tenant registered names one person. Verified with
the issuer's key and only its pinned algorithms (so `alg: none` and HS256-signed-with-the-
public-key are refused), for its audience, within exp/nbf (a small leeway for clocks); then the
person claim is looked up in profiles (by email or HRIS external id). A person who left the
organization is refused."""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import jwt
from contracts.pages import Items
from contracts.people import PersonStatus, PersonView
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from messaging.outbox import UnitOfWork
from service_auth.tokens import Caller

from gateway.access.issuers import PersonMatch, issuers_named
from gateway.access.jwks import JwksCache, KeysUnavailable
from gateway.access.principal import Principal
from gateway.access.tables import TokenIssuer
from gateway.adapters.upstream import ServiceClient

log = logging.getLogger(__name__)

LEEWAY_S: Final = 30  # clocks of the issuer and the gateway disagree a little
PERSON_CACHE_S: Final = 60.0  # a person named by a claim is looked up again after this
PERSON_CACHE_SIZE: Final = 10_000

# (tenant id, how, the claim's value) → profiles' person id, or None: not found / has left.
PersonFinder = Callable[[str, PersonMatch, str], Awaitable[str | None]]


class TokenRefused(Exception):
    """Why a bearer token is not accepted; safe to tell the caller (names no secret)."""


def looks_like_jwt(presented: str) -> bool:
    return presented.count(".") == 2 and presented.startswith("eyJ")


@dataclass
class EndUsers:
    jwks: JwksCache
    find_person: PersonFinder
    leeway_s: float = LEEWAY_S
    clock: Callable[[], float] = time.monotonic
    _people: dict[tuple[str, PersonMatch, str], tuple[str | None, float]] = field(
        default_factory=dict
    )

    async def principal(self, uow: UnitOfWork, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenRefused("the token is not a well-formed JWT") from exc
        issuer = await self._issuer(uow, unverified)
        algorithm = header.get("alg")
        allowed = issuer.algorithms.split()
        if algorithm not in allowed:
            raise TokenRefused(f"the token's algorithm {algorithm!r} is not one of {allowed}")
        claims = self._verified(token, issuer, await self._key(issuer, header.get("kid")))
        value = claims.get(issuer.person_claim)
        if not isinstance(value, str) or not value.strip():
            raise TokenRefused(f"the token has no {issuer.person_claim!r} claim naming a person")
        person_id = await self._person(issuer.tenant_id, PersonMatch(issuer.person_match), value)
        if person_id is None:
            raise TokenRefused("the token names nobody active in this organization")
        return Principal(tenant_id=issuer.tenant_id, person_id=person_id, issuer_id=issuer.id)

    async def _issuer(self, uow: UnitOfWork, unverified: dict[str, Any]) -> TokenIssuer:
        iss = unverified.get("iss")
        if not isinstance(iss, str):
            raise TokenRefused("the token has no issuer (iss)")
        aud = unverified.get("aud")
        audiences = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
        for registered in await issuers_named(uow, iss):
            if registered.audience in audiences:
                return registered
        raise TokenRefused("no organization registered this token's issuer and audience")

    async def _key(self, issuer: TokenIssuer, kid: Any) -> Any:
        if issuer.public_key_pem is not None:
            return load_pem_public_key(issuer.public_key_pem.encode())
        assert issuer.jwks_url is not None  # registration requires one of the two
        try:
            return (await self.jwks.key(issuer.jwks_url, kid if isinstance(kid, str) else None)).key
        except KeysUnavailable as exc:
            log.warning("issuer %s: %s", issuer.id, exc)
            raise TokenRefused(f"the token's key could not be found: {exc}") from exc

    def _verified(self, token: str, issuer: TokenIssuer, key: Any) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=issuer.algorithms.split(),
                audience=issuer.audience,
                issuer=issuer.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iss", "aud"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenRefused("the token is not valid yet (nbf)") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid: {exc}") from exc
        return claims

    async def _person(self, tenant_id: str, how: PersonMatch, value: str) -> str | None:
        key = (tenant_id, how, value.strip().lower() if how is PersonMatch.EMAIL else value)
        now = self.clock()
        cached = self._people.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await self.find_person(tenant_id, how, key[2])
        if len(self._people) >= PERSON_CACHE_SIZE:
            self._people.clear()  # crude, bounded: a refill costs one lookup per person
        self._people[key] = (found, now + PERSON_CACHE_S)
        return found


def profiles_finder(profiles: ServiceClient) -> PersonFinder:
    """Looks the person up in profiles, as the tenant's system: exactly one person who has not
    left (an email two people share names nobody)."""

    async def find(tenant_id: str, how: PersonMatch, value: str) -> str | None:
        body = {"emails": [value]} if how is PersonMatch.EMAIL else {"externalIds": [value]}
        answer = await profiles.call(
            "POST",
            "/internal/people/batch",
            Caller(tenant_id=tenant_id, principal="system"),
            Items[PersonView],
            json=body,
        )
        people = [
            p for p in (answer.items if answer else []) if p.status is not PersonStatus.TERMINATED
        ]
        return people[0].id if len(people) == 1 else None

    return find
