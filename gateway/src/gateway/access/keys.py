"""Integrator keys: created with scopes, listed, rotated (the old key stays valid for a grace
period beside its successor), revoked; and recognised on each request, which records when the
key was last used. Plaintext is in the answer of create and rotate only; a key is stored as
the SHA-256 of its secret (`domain.credentials`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from contracts.problems import Code
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import Refused, invalid, not_found
from sqlmodel import col, select

from gateway.access.principal import Principal, Scope, parse_scopes, stored_scopes
from gateway.adapters.tables import ApiKey
from gateway.domain.credentials import issue_api_key, parse_api_key, secret_matches

MAX_GRACE: Final = timedelta(days=30)
DEFAULT_GRACE: Final = timedelta(hours=24)
# last_used_at is written at most this often per key: attributable without a write per call.
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class KeySummary:
    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeySummary":
        return cls(
            id=key.id,
            name=key.name,
            scopes=parse_scopes(key.scopes),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )

    def as_json(self) -> dict[str, object]:
        def moment(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {
            "id": self.id,
            "name": self.name,
            "scopes": sorted(s.value for s in self.scopes),
            "createdAt": self.created_at.isoformat(),
            "expiresAt": moment(self.expires_at),
            "revokedAt": moment(self.revoked_at),
            "lastUsedAt": moment(self.last_used_at),
        }


@dataclass(frozen=True)
class IssuedKey:
    key: KeySummary
    plaintext: str  # shown once


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise invalid("name", "must be 1 to 200 characters")
    return name


def _scopes(scopes: set[Scope] | frozenset[Scope]) -> frozenset[Scope]:
    if not scopes:
        raise invalid("scopes", "give at least one of READ, WRITE, ADMIN")
    return frozenset(scopes)


async def create_key(
    uow: UnitOfWork, tenant_id: str, name: str, scopes: set[Scope] | frozenset[Scope]
) -> IssuedKey:
    row = _new_key(tenant_id, _name(name), _scopes(scopes))
    uow.session.add(row[0])
    await uow.commit()
    return IssuedKey(KeySummary.of(row[0]), row[1])


def _new_key(tenant_id: str, name: str, scopes: frozenset[Scope]) -> tuple[ApiKey, str]:
    issued = issue_api_key()
    key = ApiKey(
        id=issued.key_id,
        tenant_id=tenant_id,
        secret_hash=issued.secret_hash,
        name=name,
        scopes=stored_scopes(scopes),
        created_at=utcnow(),
    )
    return key, issued.plaintext


async def list_keys(uow: UnitOfWork, tenant_id: str) -> list[KeySummary]:
    rows = await uow.session.exec(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(col(ApiKey.created_at))
    )
    return [KeySummary.of(key) for key in rows.all()]


async def _live_key(uow: UnitOfWork, tenant_id: str, key_id: str) -> ApiKey:
    key = (
        await uow.session.exec(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id)
        )
    ).first()
    if key is None:
        raise not_found("API key", "id")
    if key.revoked_at is not None or _expired(key, utcnow()):
        raise Refused(Code.NOT_ALLOWED_IN_STATE, "id", "the key is revoked or expired")
    return key


async def rotate_key(
    uow: UnitOfWork, tenant_id: str, key_id: str, grace: timedelta = DEFAULT_GRACE
) -> IssuedKey:
    """A successor with the same name and scopes; the old key keeps working for `grace`."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise invalid("graceSeconds", f"must be 0 to {int(MAX_GRACE.total_seconds())}")
    old = await _live_key(uow, tenant_id, key_id)
    new, plaintext = _new_key(tenant_id, old.name, parse_scopes(old.scopes))
    ends = utcnow() + grace
    old.expires_at = min(old.expires_at, ends) if old.expires_at else ends
    uow.session.add(old)
    uow.session.add(new)
    await uow.commit()
    return IssuedKey(KeySummary.of(new), plaintext)


async def revoke_key(uow: UnitOfWork, tenant_id: str, key_id: str) -> KeySummary:
    key = await _live_key(uow, tenant_id, key_id)
    key.revoked_at = utcnow()
    uow.session.add(key)
    await uow.commit()
    return KeySummary.of(key)


def _expired(key: ApiKey, now: datetime) -> bool:
    return key.expires_at is not None and key.expires_at <= now


async def authenticate_key(uow: UnitOfWork, presented: str) -> Principal | None:
    """The key's principal, or None (malformed, unknown, wrong secret, revoked, expired)."""
    parsed = parse_api_key(presented)
    if parsed is None:
        return None
    key_id, secret = parsed
    key = (await uow.session.exec(select(ApiKey).where(ApiKey.id == key_id))).first()
    now = utcnow()
    if (
        key is None
        or key.revoked_at is not None
        or _expired(key, now)
        or not secret_matches(secret, key.secret_hash)
    ):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        uow.session.add(key)
        await uow.commit()
    return Principal(tenant_id=key.tenant_id, key_id=key.id, scopes=parse_scopes(key.scopes))
