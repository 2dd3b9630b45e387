"""The delivery worker: takes due deliveries of enabled subscriptions, sends each (signed with
the secrets in force, through the guarded client of its tenant's target policy), logs the
attempt and moves the delivery on (`schedule.after_attempt`); a 410 disables the endpoint.

A delivery is taken by moving its next attempt past the attempt's longest possible duration,
only if nobody moved it first: two gateway replicas never send the same attempt at once, and
one that stops mid-attempt leaves the delivery due again soon after."""

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from messaging.outbox import UnitOfWorkFactory, utcnow
from runtime.process import ServiceProcess
from runtime.sealing import Sealer
from sqlalchemy import update
from sqlmodel import col, select

from gateway.webhooks import schedule, sending, signing
from gateway.webhooks.schedule import RetrySchedule
from gateway.webhooks.subscriptions import secrets_in_force
from gateway.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gateway.webhooks.targets import TargetPolicy

log = logging.getLogger(__name__)

_BATCH = 50


@dataclass(frozen=True)
class DeliverySettings:
    retries: RetrySchedule = field(default_factory=RetrySchedule)
    timeout_s: float = 15.0
    poll_s: float = 1.0
    concurrency: int = 8
    private_target_tenants: frozenset[str] = frozenset()
    allow_loopback: bool = False

    def policy(self, tenant_id: str) -> TargetPolicy:
        return TargetPolicy(
            allow_private=tenant_id in self.private_target_tenants,
            allow_loopback=self.allow_loopback,
        )

    @property
    def lease(self) -> timedelta:
        # Every hop may take the whole timeout.
        return timedelta(seconds=self.timeout_s * (sending.MAX_REDIRECTS + 1) + 30)


@dataclass
class _Due:
    delivery: WebhookDelivery
    subscription: WebhookSubscription
    taken_until: datetime


class DeliveryWorker:
    def __init__(self, uow: UnitOfWorkFactory, sealer: Sealer, settings: DeliverySettings) -> None:
        self._uow = uow
        self._sealer = sealer
        self._settings = settings
        self._clients: dict[TargetPolicy, httpx.AsyncClient] = {}
        self._random = random.SystemRandom()

    def _client(self, policy: TargetPolicy) -> httpx.AsyncClient:
        if policy not in self._clients:
            self._clients[policy] = sending.guarded_client(policy, self._settings.timeout_s)
        return self._clients[policy]

    async def run(self) -> None:
        try:
            while True:
                try:
                    sent = await self.deliver_due()
                except Exception:
                    log.exception("webhook deliveries: a pass failed; trying again")
                    sent = 0
                if sent < _BATCH:
                    await asyncio.sleep(self._settings.poll_s)
        finally:
            for client in self._clients.values():
                await client.aclose()

    async def deliver_due(self) -> int:
        """One pass: every delivery due now (up to a batch), sent side by side."""
        taken = await self._take_due(utcnow())
        gate = asyncio.Semaphore(self._settings.concurrency)

        async def one(due: _Due) -> None:
            async with gate:
                await self._attempt(due)

        await asyncio.gather(*(one(due) for due in taken))
        return len(taken)

    async def _take_due(self, now: datetime) -> list[_Due]:
        async with self._uow() as uow:
            rows = (
                await uow.session.exec(
                    select(WebhookDelivery, WebhookSubscription)
                    .join(
                        WebhookSubscription,
                        col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
                    )
                    .where(
                        WebhookDelivery.status == schedule.DeliveryStatus.PENDING.value,
                        col(WebhookDelivery.next_attempt_at) <= now,
                        col(WebhookSubscription.disabled_at).is_(None),
                    )
                    .order_by(col(WebhookDelivery.next_attempt_at))
                    .limit(_BATCH)
                )
            ).all()
            taken: list[_Due] = []
            until = now + self._settings.lease
            for delivery, subscription in rows:
                moved = await uow.session.execute(
                    update(WebhookDelivery)
                    .where(
                        col(WebhookDelivery.id) == delivery.id,
                        col(WebhookDelivery.next_attempt_at) == delivery.next_attempt_at,
                        col(WebhookDelivery.status) == schedule.DeliveryStatus.PENDING.value,
                    )
                    .values(next_attempt_at=until)
                )
                if getattr(moved, "rowcount", 0) == 1:
                    taken.append(_Due(delivery, subscription, until))
            await uow.commit()
            # Detached for the attempts (several deliveries may share one subscription row).
            uow.session.expunge_all()
            return taken

    async def _attempt(self, due: _Due) -> None:
        delivery, subscription = due.delivery, due.subscription
        now = utcnow()
        body = delivery.body.encode()
        headers = signing.headers(
            delivery.id,
            int(now.timestamp()),
            body,
            secrets_in_force(subscription, self._sealer, now),
        )
        policy = self._settings.policy(delivery.tenant_id)
        answer = await sending.post(self._client(policy), subscription.url, body, headers)
        if answer.error is not None:
            log.info(
                "webhook %s to %s: attempt %d failed: %s",
                delivery.id,
                subscription.id,
                delivery.attempts + 1,
                answer.error,
            )
        await self._record(due, answer)

    async def _record(self, due: _Due, answer: sending.Answer) -> None:
        delivery = due.delivery
        now = utcnow()
        state = schedule.DeliveryState(
            schedule.DeliveryStatus(delivery.status), delivery.attempts, now
        )
        transition = schedule.after_attempt(
            state,
            answer.status_code,
            now,
            self._settings.retries,
            self._random.random(),
            answer.retry_after_s,
        )
        async with self._uow() as uow:
            # Only if still ours: a replay meanwhile starts the delivery over, and wins.
            moved = await uow.session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == delivery.id,
                    col(WebhookDelivery.next_attempt_at) == due.taken_until,
                )
                .values(
                    status=transition.state.status.value,
                    attempts=transition.state.attempts,
                    next_attempt_at=transition.state.next_attempt_at,
                    delivered_at=now
                    if transition.state.status is schedule.DeliveryStatus.DELIVERED
                    else None,
                    last_status_code=answer.status_code,
                    last_error=answer.error,
                )
            )
            uow.session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempted_at=now,
                    url=answer.url[:2000],
                    status_code=answer.status_code,
                    error=answer.error[:500] if answer.error else None,
                    latency_ms=answer.latency_ms,
                )
            )
            if transition.disable_endpoint and getattr(moved, "rowcount", 0) == 1:
                await uow.session.execute(
                    update(WebhookSubscription)
                    .where(col(WebhookSubscription.id) == delivery.subscription_id)
                    .values(
                        disabled_at=now,
                        disabled_reason=f"the endpoint answered 410 Gone at {now.isoformat()}",
                    )
                )
                log.warning("webhook subscription %s disabled: 410 Gone", delivery.subscription_id)
            await uow.commit()


def delivery_worker(
    sealer: Sealer, settings: DeliverySettings
) -> Callable[[ServiceProcess], Coroutine[Any, Any, None]]:
    async def run(process: ServiceProcess) -> None:
        await DeliveryWorker(process.uow, sealer, settings).run()

    return run
