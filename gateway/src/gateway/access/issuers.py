"""Token issuers a tenant registers for end-user access: where their keys are (a JWKS URL or
one PEM public key), the issuer and audience their tokens carry, the algorithms they may use
(asymmetric only, pinned), and the claim naming the person (an email or an HRIS external id)."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from contracts.problems import Code
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import Refused, invalid, not_found
from sqlmodel import col, select

from gateway.access.tables import TokenIssuer

LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
# Public-key algorithms only: an HMAC algorithm would let anyone holding the issuer's public
# key (which is public) sign tokens, and `none` signs nothing.
KEY_ALGORITHMS: Final[dict[str, type | tuple[type, ...]]] = {
    "RS256": rsa.RSAPublicKey,
    "RS384": rsa.RSAPublicKey,
    "RS512": rsa.RSAPublicKey,
    "PS256": rsa.RSAPublicKey,
    "PS384": rsa.RSAPublicKey,
    "PS512": rsa.RSAPublicKey,
    "ES256": ec.EllipticCurvePublicKey,
    "ES384": ec.EllipticCurvePublicKey,
    "ES512": ec.EllipticCurvePublicKey,
    "EdDSA": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}


class PersonMatch(StrEnum):
    """How the person claim finds the person in profiles."""

    EMAIL = "EMAIL"
    EXTERNAL_ID = "EXTERNAL_ID"


DEFAULT_CLAIM: Final = {PersonMatch.EMAIL: "email", PersonMatch.EXTERNAL_ID: "sub"}


@dataclass(frozen=True)
class IssuerRegistration:
    issuer: str
    audience: str
    person_match: PersonMatch
    jwks_url: str | None = None
    public_key_pem: str | None = None
    algorithms: tuple[str, ...] = ("RS256",)
    person_claim: str | None = None


@dataclass(frozen=True)
class IssuerSummary:
    id: str
    issuer: str
    audience: str
    jwks_url: str | None
    has_public_key: bool
    algorithms: tuple[str, ...]
    person_claim: str
    person_match: PersonMatch
    created_at: datetime

    @classmethod
    def of(cls, row: TokenIssuer) -> "IssuerSummary":
        return cls(
            id=row.id,
            issuer=row.issuer,
            audience=row.audience,
            jwks_url=row.jwks_url,
            has_public_key=row.public_key_pem is not None,
            algorithms=tuple(row.algorithms.split()),
            person_claim=row.person_claim,
            person_match=PersonMatch(row.person_match),
            created_at=row.created_at,
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "audience": self.audience,
            "jwksUrl": self.jwks_url,
            "hasPublicKey": self.has_public_key,
            "algorithms": list(self.algorithms),
            "personClaim": self.person_claim,
            "personMatch": self.person_match.value,
            "createdAt": self.created_at.isoformat(),
        }


def _text(value: str, field: str, most: int) -> str:
    value = value.strip()
    if not value or len(value) > most:
        raise invalid(field, f"must be 1 to {most} characters")
    return value


def checked_jwks_url(url: str, allow_http_loopback: bool) -> str:
    """https only (a tenant's keys must not be swapped on the way); http to this machine only
    when the operator allows it (local runs and tests)."""
    url = _text(url, "jwksUrl", 2000)
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and allow_http_loopback and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise invalid("jwksUrl", "must be an https URL")


def _checked_pem(pem: str, algorithms: tuple[str, ...]) -> str:
    try:
        key = load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError) as exc:
        raise invalid("publicKeyPem", "is not a PEM public key") from exc
    for algorithm in algorithms:
        if not isinstance(key, KEY_ALGORITHMS[algorithm]):
            raise invalid("algorithms", f"{algorithm} does not use this kind of key")
    return pem.strip()


def _algorithms(algorithms: tuple[str, ...]) -> tuple[str, ...]:
    if not algorithms:
        raise invalid("algorithms", "give at least one")
    for algorithm in algorithms:
        if algorithm not in KEY_ALGORITHMS:
            raise invalid(
                "algorithms",
                f"{algorithm!r} is not allowed: one of {', '.join(KEY_ALGORITHMS)}",
            )
    return tuple(dict.fromkeys(algorithms))


async def register_issuer(
    uow: UnitOfWork,
    tenant_id: str,
    registration: IssuerRegistration,
    allow_http_loopback: bool = False,
) -> IssuerSummary:
    issuer = _text(registration.issuer, "issuer", 500)
    audience = _text(registration.audience, "audience", 500)
    algorithms = _algorithms(registration.algorithms)
    if (registration.jwks_url is None) == (registration.public_key_pem is None):
        raise invalid("jwksUrl", "give exactly one of jwksUrl and publicKeyPem")
    jwks_url = (
        checked_jwks_url(registration.jwks_url, allow_http_loopback)
        if registration.jwks_url is not None
        else None
    )
    pem = (
        _checked_pem(registration.public_key_pem, algorithms)
        if registration.public_key_pem is not None
        else None
    )
    claim = _text(
        registration.person_claim or DEFAULT_CLAIM[registration.person_match], "personClaim", 100
    )
    taken = await uow.session.exec(
        select(TokenIssuer).where(TokenIssuer.issuer == issuer, TokenIssuer.audience == audience)
    )
    if taken.first() is not None:
        raise Refused(Code.CONFLICT, "issuer", "this issuer and audience are registered already")
    row = TokenIssuer(
        id="ti_" + secrets.token_hex(8),
        tenant_id=tenant_id,
        issuer=issuer,
        audience=audience,
        jwks_url=jwks_url,
        public_key_pem=pem,
        algorithms=" ".join(algorithms),
        person_claim=claim,
        person_match=registration.person_match.value,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.commit()
    return IssuerSummary.of(row)


async def list_issuers(uow: UnitOfWork, tenant_id: str) -> list[IssuerSummary]:
    rows = await uow.session.exec(
        select(TokenIssuer)
        .where(TokenIssuer.tenant_id == tenant_id)
        .order_by(col(TokenIssuer.created_at))
    )
    return [IssuerSummary.of(row) for row in rows.all()]


async def remove_issuer(uow: UnitOfWork, tenant_id: str, issuer_id: str) -> IssuerSummary:
    """Its tokens stop working at once."""
    row = (
        await uow.session.exec(
            select(TokenIssuer).where(
                TokenIssuer.id == issuer_id, TokenIssuer.tenant_id == tenant_id
            )
        )
    ).first()
    if row is None:
        raise not_found("token issuer", "id")
    summary = IssuerSummary.of(row)
    await uow.session.delete(row)
    await uow.commit()
    return summary


async def issuers_named(uow: UnitOfWork, issuer: str) -> list[TokenIssuer]:
    """Every registration of `iss` (one per audience)."""
    rows = await uow.session.exec(select(TokenIssuer).where(TokenIssuer.issuer == issuer))
    return list(rows.all())
