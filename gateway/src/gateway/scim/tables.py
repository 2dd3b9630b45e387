"""SCIM protocol state, on the gateway's metadata: what each client provisioned, as it said it.

The person data itself belongs to profiles (it flows there as canonical org changes); these
rows only let SCIM answer synchronously: ids, uniqueness, versions, and the representation
the client last set, returned as it was given (attributes Cairn does not model included).
"""

from datetime import datetime
from typing import Any

from persistence.types import UtcDateTime
from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field

from gateway.adapters.base import GatewayTable

_LIVE = text("deleted_at IS NULL")


class ProvisionedUser(GatewayTable, table=True):
    """A SCIM User. Deleting one keeps the row as a tombstone (deleted_at): the person's
    sourceVersion must keep growing if the same person is provisioned again."""

    __tablename__ = "scim_user"
    __table_args__ = (
        # userName and the person's HRIS id are unique among a tenant's live users only.
        Index(
            "ux_scim_user_live_user_name",
            "tenant_id",
            "user_name_key",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index(
            "ux_scim_user_live_person",
            "tenant_id",
            "person_external_id",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index("ix_scim_user_external_id", "tenant_id", "external_id"),
        Index("ix_scim_user_created", "tenant_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=64)
    user_name: str = Field(max_length=512)
    # userName compared as RFC 7643 says (case-insensitive): the filter and uniqueness key.
    user_name_key: str = Field(max_length=512)
    external_id: str | None = Field(default=None, max_length=256)  # SCIM externalId, as set
    # The HRIS external id of the person in canonical changes; fixed when provisioned.
    person_external_id: str = Field(max_length=256)
    active: bool
    version: int  # grows with every write; the sourceVersion of the canonical changes
    representation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The canonical employee fields last sent for this user: the next write sends only what
    # differs from them (a merge patch).
    employee: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    last_modified: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class ProvisionedGroup(GatewayTable, table=True):
    """A SCIM Group. Cairn does not use groups beyond provisioning yet: they are kept so
    identity providers can manage them, and nothing else reads them."""

    __tablename__ = "scim_group"
    __table_args__ = (
        Index("ix_scim_group_display_name", "tenant_id", "display_name_key"),
        Index("ix_scim_group_external_id", "tenant_id", "external_id"),
        Index("ix_scim_group_created", "tenant_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=64)
    display_name: str = Field(max_length=512)
    display_name_key: str = Field(max_length=512)
    external_id: str | None = Field(default=None, max_length=256)
    version: int
    representation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    last_modified: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
