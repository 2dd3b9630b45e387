"""The trusted documents each tenant registered (persisted operations, by sha256)."""

from datetime import datetime

from persistence.types import UtcDateTime
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class TrustedDocument(GatewayTable, table=True):
    __tablename__ = "trusted_document"
    __table_args__ = (UniqueConstraint("tenant_id", "document_id", name="uq_trusted_document_id"),)

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    document_id: str = Field(max_length=71)  # "sha256:" and 64 lower-case hex digits
    name: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_column=Column(Text(), nullable=False))  # the exact text hashed
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
