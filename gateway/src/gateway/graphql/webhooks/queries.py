"""Webhook subscriptions of the caller's organization (admin keys only)."""

import strawberry
from runtime.pages import encode_cursor
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id
from gateway.graphql.relay import Connection, Edge, PageInfo, page_size
from gateway.graphql.webhooks.access import admin
from gateway.graphql.webhooks.types import WebhookSubscription, after_key
from gateway.webhooks import subscriptions as use


@strawberry.type
class WebhooksQuery:
    @strawberry.field(description="The organization's webhook subscriptions, oldest first.")
    async def webhook_subscriptions(
        self, info: Info[CairnContext, None], first: int | None = None, after: str | None = None
    ) -> Connection[WebhookSubscription]:
        access = admin(info)
        size = page_size(first)
        async with access.uow() as uow:
            page = await use.subscriptions_page(uow, access.tenant_id, size, after_key(after))
        edges = [
            Edge(node=WebhookSubscription.of(s), cursor=encode_cursor(s.created_at, s.id))
            for s in page.items
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_more, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=page.total_count,
        )

    @strawberry.field(description="One webhook subscription of the organization.")
    async def webhook_subscription(
        self, info: Info[CairnContext, None], id: strawberry.ID
    ) -> WebhookSubscription | None:
        access = admin(info)
        key = decode_id("WebhookSubscription", id)
        if key is None:
            return None
        async with access.uow() as uow:
            found = await use.subscription(uow, access.tenant_id, key)
        return WebhookSubscription.of(found) if found else None
