"""Managing webhook subscriptions (admin keys only). A refusal comes back as userErrors naming
the input field, and changes nothing."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import strawberry
from runtime.problems import refusal_problem
from runtime.refusals import Refused
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id
from gateway.graphql.user_errors import UserError, from_problem, not_found
from gateway.graphql.webhooks.access import admin
from gateway.graphql.webhooks.types import WebhookSubscription
from gateway.webhooks import subscriptions as use

T = TypeVar("T")

DEFAULT_GRACE_HOURS = 24.0


@strawberry.input(description="Where to send which events.")
class WebhookSubscriptionInput:
    url: str
    event_types: list[str] = strawberry.field(
        description="Event types (`match.accepted`), families (`session.*`) or `*`"
    )
    description: str | None = None


@strawberry.input(description="Absent fields stay as they are.")
class UpdateWebhookInput:
    id: strawberry.ID
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false stops deliveries; true resumes them (also after a 410 Gone)",
    )


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.input
class RotateWebhookSecretInput:
    id: strawberry.ID
    grace_hours: float = strawberry.field(
        default=DEFAULT_GRACE_HOURS,
        description="How long the previous secret keeps signing beside the new one (0 to 168)",
    )


@strawberry.input(description="One delivery, or every delivery made in [from, to).")
class ReplayWebhookDeliveriesInput:
    subscription_id: strawberry.ID
    delivery_id: strawberry.ID | None = None
    from_: datetime | None = strawberry.field(name="from", default=None)
    to: datetime | None = None


@strawberry.type
class WebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None
    user_errors: list[UserError]


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class ReplayWebhookDeliveriesPayload:
    replayed: int | None = strawberry.field(description="How many deliveries will be sent again")
    user_errors: list[UserError]


async def _refusals(work: Callable[[], Awaitable[T]]) -> T | list[UserError]:
    try:
        return await work()
    except Refused as refused:
        return from_problem(refusal_problem(refused))


def _given(input: Any, *names: str) -> dict[str, Any]:
    """The fields the caller sent, by their GraphQL names."""
    sent = {}
    for name in names:
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            camel = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
            sent[camel] = value
    return sent


def _payload(answer: use.SubscriptionRecord | list[UserError]) -> WebhookSubscriptionPayload:
    if isinstance(answer, list):
        return WebhookSubscriptionPayload(webhook_subscription=None, user_errors=answer)
    return WebhookSubscriptionPayload(
        webhook_subscription=WebhookSubscription.of(answer), user_errors=[]
    )


def _missing() -> WebhookSubscriptionPayload:
    return WebhookSubscriptionPayload(
        webhook_subscription=None, user_errors=not_found("webhook subscription", "id")
    )


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Send the chosen events to `url`, signed per Standard Webhooks; the "
        "answer shows the signing secret, once."
    )
    async def subscribe_webhook(
        self, info: Info[CairnContext, None], input: WebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        access = admin(info)

        async def work() -> use.SubscriptionRecord:
            async with access.uow() as uow:
                return await use.subscribe(
                    uow,
                    access.sealer,
                    access.tenant_id,
                    input.url,
                    input.event_types,
                    input.description,
                )

        return _payload(await _refusals(work))

    @strawberry.mutation(
        description="Change a subscription's URL, event types, description, or pause it."
    )
    async def update_webhook(
        self, info: Info[CairnContext, None], input: UpdateWebhookInput
    ) -> WebhookSubscriptionPayload:
        access = admin(info)
        key = decode_id("WebhookSubscription", input.id)
        if key is None:
            return _missing()
        changes = _given(input, "url", "event_types", "description", "enabled")

        async def work() -> use.SubscriptionRecord:
            async with access.uow() as uow:
                return await use.change(uow, access.tenant_id, key, changes)

        return _payload(await _refusals(work))

    @strawberry.mutation(description="Stop and forget a subscription, with its delivery log.")
    async def delete_webhook(
        self, info: Info[CairnContext, None], input: DeleteWebhookInput
    ) -> DeleteWebhookPayload:
        access = admin(info)
        key = decode_id("WebhookSubscription", input.id)
        if key is None:
            return DeleteWebhookPayload(
                deleted_id=None, user_errors=not_found("webhook subscription", "id")
            )

        async def work() -> None:
            async with access.uow() as uow:
                await use.remove(uow, access.tenant_id, key)

        answer = await _refusals(work)
        if isinstance(answer, list):
            return DeleteWebhookPayload(deleted_id=None, user_errors=answer)
        return DeleteWebhookPayload(deleted_id=input.id, user_errors=[])

    @strawberry.mutation(
        description="A new signing secret (shown once); the previous one keeps signing beside "
        "it for graceHours, so receivers can switch without losing a delivery."
    )
    async def rotate_webhook_secret(
        self, info: Info[CairnContext, None], input: RotateWebhookSecretInput
    ) -> WebhookSubscriptionPayload:
        access = admin(info)
        key = decode_id("WebhookSubscription", input.id)
        if key is None:
            return _missing()

        async def work() -> use.SubscriptionRecord:
            async with access.uow() as uow:
                return await use.rotate_secret(
                    uow,
                    access.sealer,
                    access.tenant_id,
                    key,
                    timedelta(hours=input.grace_hours),
                )

        return _payload(await _refusals(work))

    @strawberry.mutation(
        description="Send deliveries again now, from the start of the retry schedule, with "
        "the same webhook-id and body: one delivery, or those made in [from, to)."
    )
    async def replay_webhook_deliveries(
        self, info: Info[CairnContext, None], input: ReplayWebhookDeliveriesInput
    ) -> ReplayWebhookDeliveriesPayload:
        access = admin(info)
        key = decode_id("WebhookSubscription", input.subscription_id)
        if key is None:
            return ReplayWebhookDeliveriesPayload(
                replayed=None, user_errors=not_found("webhook subscription", "subscriptionId")
            )
        delivery = None
        if input.delivery_id is not None:
            delivery = decode_id("WebhookDelivery", input.delivery_id)
            if delivery is None:
                return ReplayWebhookDeliveriesPayload(
                    replayed=None, user_errors=not_found("webhook delivery", "deliveryId")
                )

        async def work() -> int:
            async with access.uow() as uow:
                return await use.replay(
                    uow,
                    access.tenant_id,
                    key,
                    delivery_id=delivery,
                    since=input.from_,
                    until=input.to,
                )

        answer = await _refusals(work)
        if isinstance(answer, list):
            return ReplayWebhookDeliveriesPayload(replayed=None, user_errors=answer)
        return ReplayWebhookDeliveriesPayload(replayed=answer, user_errors=[])
