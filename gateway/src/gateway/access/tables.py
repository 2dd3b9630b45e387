"""The access tables: the token issuers tenants registered for end-user access. (Integrator
keys are `adapters.tables.ApiKey`, which predates this package.)"""

from datetime import datetime

from persistence.types import UtcDateTime
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class TokenIssuer(GatewayTable, table=True):
    """Who may sign end-user tokens for a tenant. (issuer, audience) names one tenant, so a
    token's own claims select the issuer, and with it the tenant and the keys that verify it."""

    __tablename__ = "token_issuer"
    __table_args__ = (UniqueConstraint("issuer", "audience", name="uq_token_issuer_iss_aud"),)

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    issuer: str = Field(max_length=500)
    audience: str = Field(max_length=500)
    # Exactly one of: where the issuer publishes its keys, or its one public key (PEM).
    jwks_url: str | None = Field(default=None, max_length=2000)
    public_key_pem: str | None = Field(default=None, sa_column=Column(Text()))
    # The algorithms its tokens may use, pinned (space-separated, e.g. "RS256"): a token
    # naming another (none, HS256 with the public key as secret, …) is refused.
    algorithms: str = Field(max_length=200)
    person_claim: str = Field(max_length=100)  # the claim naming the person
    person_match: str = Field(max_length=16)  # EMAIL or EXTERNAL_ID: how it is looked up
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
