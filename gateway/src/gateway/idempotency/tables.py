"""The answers of creating mutations sent with an `Idempotency-Key`, kept 24 h."""

from datetime import datetime

from persistence.types import UtcDateTime
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class IdempotentRequest(GatewayTable, table=True):
    """One (tenant, caller, key): the unique constraint is what lets only one of two
    concurrent repeats run the mutation. `answer` is null while the first one runs."""

    __tablename__ = "idempotent_request"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "principal", "idempotency_key", name="uq_idempotent_request_key"
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(max_length=64)
    principal: str = Field(max_length=120)  # apikey:<id> or person:<id>: keys are per caller
    idempotency_key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)  # SHA-256 of operation, document and variables
    answer: str | None = Field(default=None, sa_column=Column(Text()))  # sealed JSON
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
