"""Who a GraphQL request acts for, once authenticated: an integrator key (with its scopes) or
one person signed in to a partner frontend (an end-user token)."""

from dataclasses import dataclass
from enum import StrEnum

from service_auth.tokens import Caller


class Scope(StrEnum):
    """What an integrator key may do: READ (queries), WRITE (mutations of people's own
    business: profiles, enrollments, matches), ADMIN (programs, match runs, keys, issuers)."""

    READ = "READ"
    WRITE = "WRITE"
    ADMIN = "ADMIN"


ALL_SCOPES = frozenset(Scope)


def parse_scopes(stored: str) -> frozenset[Scope]:
    """Scopes as the key table stores them (space-separated; "*" for keys issued before
    scopes existed, which could do everything)."""
    if stored.strip() == "*":
        return ALL_SCOPES
    return frozenset(
        Scope(word.upper()) for word in stored.split() if word.upper() in Scope.__members__
    )


def stored_scopes(scopes: frozenset[Scope] | set[Scope]) -> str:
    return " ".join(s.value for s in Scope if s in scopes)


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str | None = None  # an integrator key
    person_id: str | None = None  # an end-user token: profiles' id of the person
    issuer_id: str | None = None  # the issuer that signed the end-user token
    scopes: frozenset[Scope] = frozenset()

    @property
    def is_person(self) -> bool:
        return self.person_id is not None

    @property
    def budget_key(self) -> str:
        """Whose points a request spends: the key's, or the person's."""
        return f"person:{self.person_id}" if self.person_id else f"apikey:{self.key_id}"

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes

    def caller(self) -> Caller:
        """As the services see it (in the service token)."""
        if self.person_id is not None:
            return Caller(tenant_id=self.tenant_id, principal=f"person:{self.person_id}")
        return Caller(
            tenant_id=self.tenant_id,
            principal=f"apikey:{self.key_id}",
            scopes=tuple(s.value.lower() for s in Scope if s in self.scopes),
        )
