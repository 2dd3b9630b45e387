"""Webhook subscriptions and their delivery log as GraphQL shows them, built from the use
cases' records (`gateway.webhooks.subscriptions`)."""

from datetime import datetime

import strawberry
from runtime.pages import decode_cursor, encode_cursor
from runtime.refusals import Refused
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import encode_id
from gateway.graphql.relay import Connection, Edge, PageInfo, page_size
from gateway.graphql.webhooks.access import admin
from gateway.webhooks import subscriptions as use
from gateway.webhooks.schedule import DeliveryStatus

strawberry.enum(
    DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING: waiting for its next attempt; DELIVERED: a 2xx came back; FAILED: "
    "the retries ran out, or the endpoint answered 410 Gone",
)


def after_key(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    try:
        moment, key = decode_cursor(after, datetime, str)
    except Refused as refused:
        raise BadUserInput(f"after {refused.message}", field="after") from refused
    return moment, key


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    attempted_at: datetime
    url: str = strawberry.field(description="The URL that answered (after redirects)")
    status_code: int | None = strawberry.field(description="Null when nothing answered")
    error: str | None = strawberry.field(description="Why it failed; null when delivered")
    latency_ms: int


@strawberry.type(description="One event for one subscription, and every attempt to send it.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str = strawberry.field(
        description="The `webhook-id` header of every attempt and replay (the receiver's "
        "idempotency key)"
    )
    event_id: str = strawberry.field(description="The CloudEvent's id (the body's `id`)")
    event_type: str
    status: DeliveryStatus
    attempts: int = strawberry.field(description="Attempts since it was made or last replayed")
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Every attempt, oldest first")

    @classmethod
    def of(cls, record: use.DeliveryRecord, attempts: list[use.AttemptRecord]) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(encode_id("WebhookDelivery", record.id)),
            webhook_id=record.id,
            event_id=record.event_id,
            event_type=record.event_type,
            status=record.status,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at,
            created_at=record.created_at,
            delivered_at=record.delivered_at,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            attempt_log=[
                WebhookAttempt(
                    attempted_at=a.attempted_at,
                    url=a.url,
                    status_code=a.status_code,
                    error=a.error,
                    latency_ms=a.latency_ms,
                )
                for a in attempts
            ],
        )


@strawberry.type(description="An endpoint receiving Cairn's events, signed per Standard Webhooks.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    event_types: list[str] = strawberry.field(
        description="Event types (`match.accepted`), families (`session.*`) or `*`"
    )
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="After a rotation: until when the previous secret signs too"
    )
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_…`): shown once, in the answer of "
        "subscribeWebhook or rotateWebhookSecret; null everywhere else"
    )
    key: strawberry.Private[str]

    @classmethod
    def of(cls, record: use.SubscriptionRecord) -> "WebhookSubscription":
        return cls(
            id=strawberry.ID(encode_id("WebhookSubscription", record.id)),
            url=record.url,
            event_types=list(record.event_types),
            description=record.description,
            enabled=record.disabled_at is None,
            disabled_reason=record.disabled_reason,
            created_at=record.created_at,
            previous_secret_valid_until=record.previous_secret_until,
            secret=record.secret,
            key=record.id,
        )

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(
        self,
        info: Info[CairnContext, None],
        first: int | None = None,
        after: str | None = None,
        status: DeliveryStatus | None = None,
    ) -> Connection[WebhookDelivery]:
        access = admin(info)
        size = page_size(first)
        async with access.uow() as uow:
            page = await use.deliveries_page(
                uow, access.tenant_id, self.key, size, after_key(after), status
            )
            attempts = await use.attempts_of(uow, [d.id for d in page.items])
        edges = [
            Edge(
                node=WebhookDelivery.of(d, attempts[d.id]),
                cursor=encode_cursor(d.created_at, d.id),
            )
            for d in page.items
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_more, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=page.total_count,
        )
