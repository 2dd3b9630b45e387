"""The use cases an admin key has over its tenant's webhooks: subscribe (the secret shown
once), change, delete, rotate the secret (old and new both sign for a grace period), read the
subscriptions and their delivery log, and replay deliveries. A refusal (`Refused`) names the
field and changes nothing; another tenant's subscription is simply not found."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.problems import Code
from messaging.outbox import UnitOfWork, utcnow
from persistence.pages import Page, keyset_page
from runtime.refusals import Refused, invalid, not_found
from runtime.sealing import Sealer
from sqlalchemy import delete, update
from sqlmodel import col, select

from gateway.domain.credentials import issue_webhook_secret
from gateway.webhooks import event_types, schedule, targets
from gateway.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookSubscription

MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class SubscriptionRecord:
    id: str
    url: str
    event_types: tuple[str, ...]
    description: str | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    previous_secret_until: datetime | None
    secret: str | None = None  # only in the answer that issued it

    @classmethod
    def of(cls, row: WebhookSubscription, secret: str | None = None) -> "SubscriptionRecord":
        return cls(
            id=row.id,
            url=row.url,
            event_types=tuple(row.event_types.split()),
            description=row.description,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            previous_secret_until=row.previous_secret_until,
            secret=secret,
        )


@dataclass(frozen=True)
class AttemptRecord:
    attempted_at: datetime
    url: str
    status_code: int | None
    error: str | None
    latency_ms: int


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: schedule.DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None

    @classmethod
    def of(cls, row: WebhookDelivery) -> "DeliveryRecord":
        return cls(
            id=row.id,
            subscription_id=row.subscription_id,
            event_id=row.event_id,
            event_type=row.event_type,
            status=schedule.DeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
        )


def checked_url(url: str) -> str:
    url = url.strip()
    problem = targets.url_problem(url)
    if problem is not None:
        raise invalid("url", f"url {problem}")
    return url


def checked_event_types(patterns: list[str]) -> str:
    cleaned = list(dict.fromkeys(p.strip() for p in patterns))
    if not cleaned:
        raise invalid("eventTypes", "eventTypes must name at least one event type")
    if len(cleaned) > event_types.MAX_PATTERNS:
        raise invalid("eventTypes", f"eventTypes may name at most {event_types.MAX_PATTERNS}")
    for pattern in cleaned:
        problem = event_types.pattern_problem(pattern)
        if problem is not None:
            raise invalid("eventTypes", problem)
    return " ".join(cleaned)


def checked_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise invalid("description", f"description must be at most {MAX_DESCRIPTION} characters")
    return description


async def _subscription(
    uow: UnitOfWork, tenant_id: str, subscription_id: str, field: str = "id"
) -> WebhookSubscription:
    row = (
        await uow.session.exec(
            select(WebhookSubscription).where(
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.tenant_id == tenant_id,
            )
        )
    ).first()
    if row is None:
        raise not_found("webhook subscription", field)
    return row


async def subscribe(
    uow: UnitOfWork,
    sealer: Sealer,
    tenant_id: str,
    url: str,
    patterns: list[str],
    description: str | None = None,
) -> SubscriptionRecord:
    row = WebhookSubscription(
        id=f"wh_{uuid.uuid4().hex}",
        tenant_id=tenant_id,
        url=checked_url(url),
        event_types=checked_event_types(patterns),
        description=checked_description(description),
        sealed_secret="",
        created_at=utcnow(),
    )
    secret = issue_webhook_secret()
    row.sealed_secret = sealer.seal(secret)
    uow.session.add(row)
    await uow.commit()
    return SubscriptionRecord.of(row, secret)


async def change(
    uow: UnitOfWork, tenant_id: str, subscription_id: str, changes: dict[str, Any]
) -> SubscriptionRecord:
    """`changes` holds what the caller sent: url, eventTypes, description, enabled."""
    row = await _subscription(uow, tenant_id, subscription_id)
    for name in ("url", "eventTypes", "enabled"):
        if name in changes and changes[name] is None:
            raise invalid(name, f"{name} cannot be null (leave it out to keep it)")
    if "url" in changes:
        row.url = checked_url(changes["url"])
    if "eventTypes" in changes:
        row.event_types = checked_event_types(changes["eventTypes"])
    if "description" in changes:
        row.description = checked_description(changes["description"])
    if "enabled" in changes:
        if changes["enabled"]:
            row.disabled_at, row.disabled_reason = None, None
        elif row.disabled_at is None:
            row.disabled_at, row.disabled_reason = utcnow(), "disabled by an admin"
    uow.session.add(row)
    await uow.commit()
    return SubscriptionRecord.of(row)


async def remove(uow: UnitOfWork, tenant_id: str, subscription_id: str) -> None:
    """The subscription and its delivery log: nothing more is sent to it."""
    row = await _subscription(uow, tenant_id, subscription_id)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == row.id)
    await uow.session.execute(
        delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries))
    )
    await uow.session.execute(
        delete(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == row.id)
    )
    await uow.session.delete(row)
    await uow.commit()


async def rotate_secret(
    uow: UnitOfWork, sealer: Sealer, tenant_id: str, subscription_id: str, grace: timedelta
) -> SubscriptionRecord:
    """A new secret (shown once); the one it replaces keeps signing beside it for `grace`."""
    if grace < timedelta(0) or grace > timedelta(days=7):
        raise invalid("graceHours", "graceHours must be between 0 and 168")
    row = await _subscription(uow, tenant_id, subscription_id)
    secret = issue_webhook_secret()
    row.sealed_previous_secret = row.sealed_secret if grace else None
    row.previous_secret_until = utcnow() + grace if grace else None
    row.sealed_secret = sealer.seal(secret)
    uow.session.add(row)
    await uow.commit()
    return SubscriptionRecord.of(row, secret)


def secrets_in_force(row: WebhookSubscription, sealer: Sealer, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    during its grace period."""
    opened = [sealer.open(row.sealed_secret)]
    if (
        row.sealed_previous_secret is not None
        and row.previous_secret_until is not None
        and now < row.previous_secret_until
    ):
        opened.append(sealer.open(row.sealed_previous_secret))
    return opened


async def subscription(
    uow: UnitOfWork, tenant_id: str, subscription_id: str
) -> SubscriptionRecord | None:
    try:
        return SubscriptionRecord.of(await _subscription(uow, tenant_id, subscription_id))
    except Refused:
        return None


async def subscriptions_page(
    uow: UnitOfWork, tenant_id: str, first: int, after: tuple[datetime, str] | None
) -> Page[SubscriptionRecord]:
    query = select(WebhookSubscription).where(WebhookSubscription.tenant_id == tenant_id)
    order = (col(WebhookSubscription.created_at), col(WebhookSubscription.id))
    page = await keyset_page(uow.session, query, order, first, after)
    return Page([SubscriptionRecord.of(r) for r in page.items], page.total_count, page.has_more)


async def deliveries_page(
    uow: UnitOfWork,
    tenant_id: str,
    subscription_id: str,
    first: int,
    after: tuple[datetime, str] | None,
    status: schedule.DeliveryStatus | None = None,
) -> Page[DeliveryRecord]:
    """The subscription's delivery log, newest first."""
    query = select(WebhookDelivery).where(
        WebhookDelivery.tenant_id == tenant_id,
        WebhookDelivery.subscription_id == subscription_id,
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    order = (col(WebhookDelivery.created_at), col(WebhookDelivery.id))
    page = await keyset_page(uow.session, query, order, first, after, descending=True)
    return Page([DeliveryRecord.of(r) for r in page.items], page.total_count, page.has_more)


async def attempts_of(uow: UnitOfWork, delivery_ids: list[str]) -> dict[str, list[AttemptRecord]]:
    """Each delivery's attempts, oldest first, in one query."""
    rows = (
        await uow.session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(WebhookAttempt.id))
        )
    ).all()
    found: dict[str, list[AttemptRecord]] = {d: [] for d in delivery_ids}
    for row in rows:
        found[row.delivery_id].append(
            AttemptRecord(row.attempted_at, row.url, row.status_code, row.error, row.latency_ms)
        )
    return found


async def replay(
    uow: UnitOfWork,
    tenant_id: str,
    subscription_id: str,
    *,
    delivery_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Send again, now and from the start of the schedule, one delivery or every delivery of
    the subscription made in [since, until); same webhook-id, same body. Returns how many."""
    row = await _subscription(uow, tenant_id, subscription_id, "subscriptionId")
    if row.disabled_at is not None:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "subscriptionId",
            f"the endpoint is disabled ({row.disabled_reason}); enable it with updateWebhook "
            "before replaying",
        )
    if delivery_id is None and since is None and until is None:
        raise invalid("deliveryId", "name a delivery, or a time range (from, to)")
    if delivery_id is not None and (since is not None or until is not None):
        raise invalid("deliveryId", "name a delivery or a time range, not both")
    if since is not None and until is not None and since >= until:
        raise invalid("to", "to must be after from")
    now = utcnow()
    state = schedule.replayed(schedule.created(now), now)
    query = update(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == row.id)
    if delivery_id is not None:
        query = query.where(col(WebhookDelivery.id) == delivery_id)
    if since is not None:
        query = query.where(col(WebhookDelivery.created_at) >= since)
    if until is not None:
        query = query.where(col(WebhookDelivery.created_at) < until)
    result = await uow.session.execute(
        query.values(
            status=state.status.value,
            attempts=state.attempts,
            next_attempt_at=state.next_attempt_at,
            delivered_at=None,
        )
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if delivery_id is not None and count == 0:
        raise not_found("webhook delivery", "deliveryId")
    await uow.commit()
    return count
