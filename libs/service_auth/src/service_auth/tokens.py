"""Ed25519-signed JWTs: only the gateway holds the private key, so no service can mint one."""

import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "cairn-gateway"
ALGORITHM = "EdDSA"
LIFETIME_S = 60


class InvalidServiceToken(Exception):
    pass


@dataclass(frozen=True)
class Caller:
    """Who an internal request acts for: a tenant, and the principal inside it."""

    tenant_id: str
    principal: str  # "apikey:<id>", "person:<id>", "system"
    scopes: tuple[str, ...] = ()

    @property
    def is_tenant_admin(self) -> bool:
        """One of the tenant's admins: the system, or an integrator key with the ADMIN scope
        (or a key issued before scopes, "*"). End users never are."""
        if self.principal == "system":
            return True
        return self.principal.startswith("apikey:") and bool(ADMIN_SCOPES & set(self.scopes))


# Key scopes that make a caller one of the tenant's admins ("feedback:admin": a key that
# administers feedback alone: comments, flags, insights).
ADMIN_SCOPES = frozenset({"*", "admin", "feedback:admin"})


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM), for local runs and tests; production loads them from secrets."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class TokenMinter:
    def __init__(self, private_key_pem: str) -> None:
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)

    def mint(self, caller: Caller, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": caller.principal,
            "tid": caller.tenant_id,
            "scp": list(caller.scopes),
            "iat": now,
            "exp": now + LIFETIME_S,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)  # type: ignore[arg-type]


class TokenVerifier:
    def __init__(self, public_key_pem: str, audience: str) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._audience = audience

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "aud", "iss", "sub", "tid"]},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise InvalidServiceToken(str(exc)) from exc
        return Caller(
            tenant_id=str(claims["tid"]),
            principal=str(claims["sub"]),
            scopes=tuple(claims.get("scp", [])),
        )
