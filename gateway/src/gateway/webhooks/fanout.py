"""From Kafka to deliveries: every public event, in the consumer's transaction (the same one
as its inbox row), becomes one delivery per enabled subscription of its tenant that asked for
its type. A redelivered event is dropped by the inbox; a delivery's id derives from its event
and subscription, and (subscription, event) is unique, so nothing is delivered twice."""

import uuid
from typing import Final

from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork, utcnow
from sqlmodel import col, select

from gateway.webhooks import event_types, payloads, schedule
from gateway.webhooks.tables import WebhookDelivery, WebhookSubscription

_DELIVERY_IDS: Final = uuid.UUID("6d1b0c52-8a1e-4d0c-9a37-0f7c2f1de1a4")


def delivery_id(subscription_id: str, event_id: str) -> str:
    """The `webhook-id` of one event for one subscription: stable across attempts and replays."""
    return "msg_" + uuid.uuid5(_DELIVERY_IDS, f"{subscription_id}:{event_id}").hex


async def on_public_event(uow: UnitOfWork, received: Received) -> None:
    event, envelope = received.event, received.envelope
    subscriptions = (
        await uow.session.exec(
            select(WebhookSubscription).where(
                WebhookSubscription.tenant_id == received.tenant_id,
                col(WebhookSubscription.disabled_at).is_(None),
            )
        )
    ).all()
    wanted = [s for s in subscriptions if event_types.matches(s.event_types.split(), envelope.type)]
    if not wanted:
        return
    # The contract's reading of the data (fields it does not know are not published), as the
    # producer wrote it (absent stays absent).
    data = event.model_dump(mode="json", by_alias=True, exclude_unset=True)
    body = payloads.body(
        event_id=envelope.id,
        event_type=envelope.type,
        source=envelope.source,
        time=envelope.time,
        subject=envelope.subject,
        data=data,
    )
    now = utcnow()
    state = schedule.created(now)
    for subscription in wanted:
        uow.session.add(
            WebhookDelivery(
                id=delivery_id(subscription.id, envelope.id),
                subscription_id=subscription.id,
                tenant_id=received.tenant_id,
                event_id=envelope.id,
                event_type=envelope.type,
                body=body,
                status=state.status.value,
                attempts=state.attempts,
                next_attempt_at=state.next_attempt_at,
                created_at=now,
            )
        )
    await uow.session.flush()


def fanout_handlers(but: frozenset[str] = frozenset()) -> dict[str, Handler]:
    """`but`: types another handler takes, which fans them out itself (erasure's)."""
    return {name: on_public_event for name in sorted(event_types.PUBLIC_EVENT_TYPES - but)}
