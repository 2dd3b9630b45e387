"""Webhook subscriptions, their deliveries (one per event and subscription) and the log of
every attempt."""

from datetime import datetime

from persistence.types import UtcDateTime
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from gateway.adapters.base import GatewayTable


class WebhookSubscription(GatewayTable, table=True):
    """An integrator's endpoint and the event types it wants. The signing secret is sealed
    (`runtime.sealing`): HMAC needs it as issued, so a hash would not do. During a rotation's
    grace period the previous secret signs too, until `previous_secret_until`."""

    __tablename__ = "webhook_subscription"

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenant.id", index=True, max_length=64)
    url: str = Field(max_length=2000)
    event_types: str = Field(sa_column=Column(Text(), nullable=False))  # space-separated
    description: str | None = Field(default=None, max_length=500)
    sealed_secret: str = Field(sa_column=Column(Text(), nullable=False))
    sealed_previous_secret: str | None = Field(default=None, sa_column=Column(Text()))
    previous_secret_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    disabled_reason: str | None = Field(default=None, max_length=500)


class WebhookDelivery(GatewayTable, table=True):
    """One event for one subscription. Its id is the `webhook-id` of every attempt and replay;
    its body is fixed when it is made (each attempt signs the same bytes)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_log", "subscription_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    subscription_id: str = Field(foreign_key="webhook_subscription.id", max_length=64)
    tenant_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    status: str = Field(max_length=16)  # schedule.DeliveryStatus
    attempts: int = 0  # since it was made or last replayed
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)


class WebhookAttempt(GatewayTable, table=True):
    """One try of a delivery: what answered (or why nothing did), and how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="webhook_delivery.id", max_length=64)
    attempted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    url: str = Field(max_length=2000)  # the hop that answered (after redirects)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    latency_ms: int
