"""An erasure asked for, and each service's confirmation that it is done. Neither names the
person beyond their opaque id."""

from datetime import datetime

from persistence.types import UtcDateTime
from sqlalchemy import Column
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class PersonErasure(GatewayTable, table=True):
    """One per person: asking again answers the first request."""

    __tablename__ = "person_erasure"

    tenant_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(max_length=64, unique=True)
    requested_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ErasureConfirmation(GatewayTable, table=True):
    """A service (profiles by `person.erased`, the others by `person.erasure_confirmed`, the
    gateway itself when its part is done) has forgotten the person."""

    __tablename__ = "erasure_confirmation"

    tenant_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=64)
    service: str = Field(primary_key=True, max_length=32)
    confirmed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
