"""Idempotency-Key on creating mutations, against the gateway's real database (Stripe's
rules): a repeat with the same key and request gets the first answer and creates nothing; with
another request it is refused (422, naming the header); concurrent repeats run it once; a key
is kept 24 h; answers are stored sealed; the key is ignored on queries; a malformed key is
refused."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.idempotency.tables import IdempotentRequest
from gateway.service_layer.tenants import create_tenant
from messaging.outbox import utcnow
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sqlmodel import col, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

SUBSCRIBE = """mutation($i: WebhookSubscriptionInput!) { subscribeWebhook(input: $i) {
  webhookSubscription { id url secret } userErrors { field message } } }"""
COUNT = "{ webhookSubscriptions(first: 100) { edges { node { id url } } } }"


class Gateway:
    def __init__(self, client: httpx.AsyncClient, key: str, app: Any) -> None:
        self.client, self.key, self.app = client, key, app

    async def post(self, body: dict[str, Any], idempotency_key: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return await self.client.post("/graphql", headers=headers, json=body)

    async def subscribe(self, url: str, idempotency_key: str | None) -> httpx.Response:
        body = {"query": SUBSCRIBE, "variables": {"i": {"url": url, "eventTypes": ["match.*"]}}}
        return await self.post(body, idempotency_key)

    async def subscriptions_to(self, url: str) -> int:
        answer = (await self.post({"query": COUNT}, None)).json()
        edges = answer["data"]["webhookSubscriptions"]["edges"]
        return sum(1 for e in edges if e["node"]["url"] == url)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(database_factory: DatabaseFactory) -> AsyncIterator[Gateway]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
            webhook_allow_loopback=True,
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Retrying Integrators Ltd", app.state.sealer)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            yield Gateway(client, tenant.api_key, app)


async def test_a_repeat_gets_the_first_answer_and_creates_nothing(gateway: Gateway) -> None:
    url = "http://127.0.0.1:9/once"
    first = await gateway.subscribe(url, "key-once")
    again = await gateway.subscribe(url, "key-once")
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["data"] == again.json()["data"]  # the replay spent no points
    assert first.json()["data"]["subscribeWebhook"]["webhookSubscription"]["secret"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await gateway.subscriptions_to(url) == 1
    # Without a key, or with another, it is a new request.
    assert (await gateway.subscribe(url, "key-other")).status_code == 200
    assert await gateway.subscriptions_to(url) == 2


async def test_the_stored_answer_is_sealed(gateway: Gateway) -> None:
    answer = (await gateway.subscribe("http://127.0.0.1:9/sealed", "key-sealed")).json()
    secret = answer["data"]["subscribeWebhook"]["webhookSubscription"]["secret"]
    async with gateway.app.state.process.uow() as uow:
        row = (
            await uow.session.exec(
                select(IdempotentRequest).where(
                    col(IdempotentRequest.idempotency_key) == "key-sealed"
                )
            )
        ).one()
    assert row.answer is not None and secret not in row.answer


async def test_the_same_key_for_another_request_is_refused_naming_the_header(
    gateway: Gateway,
) -> None:
    url = "http://127.0.0.1:9/reused"
    assert (await gateway.subscribe(url, "key-reused")).status_code == 200
    refused = await gateway.subscribe("http://127.0.0.1:9/elsewhere", "key-reused")
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["extensions"] == {"code": "IDEMPOTENCY_KEY_REUSED", "header": "Idempotency-Key"}
    assert "Idempotency-Key" in error["message"]
    assert await gateway.subscriptions_to("http://127.0.0.1:9/elsewhere") == 0


async def test_concurrent_repeats_run_it_once(gateway: Gateway) -> None:
    url = "http://127.0.0.1:9/concurrent"
    answers = await asyncio.gather(*(gateway.subscribe(url, "key-race") for _ in range(6)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert await gateway.subscriptions_to(url) == 1
    ran = {str(a.json()["data"]) for a in answers if a.status_code == 200}
    assert len(ran) == 1  # every 200 is the one answer


async def test_a_key_is_kept_for_24_hours(gateway: Gateway) -> None:
    url = "http://127.0.0.1:9/expiring"
    assert (await gateway.subscribe(url, "key-expiring")).status_code == 200
    async with gateway.app.state.process.uow() as uow:
        row = (
            await uow.session.exec(
                select(IdempotentRequest).where(
                    col(IdempotentRequest.idempotency_key) == "key-expiring"
                )
            )
        ).one()
        assert row.expires_at - row.created_at == timedelta(hours=24)
        row.expires_at = utcnow() - timedelta(seconds=1)
        uow.session.add(row)
        await uow.commit()
    again = await gateway.subscribe(url, "key-expiring")
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    assert await gateway.subscriptions_to(url) == 2


async def test_a_key_on_a_query_is_ignored_and_a_malformed_key_refused(
    gateway: Gateway,
) -> None:
    for _ in range(2):
        read = await gateway.post({"query": "{ __typename }"}, "key-query")
        assert read.status_code == 200 and "idempotent-replayed" not in read.headers
    refused = await gateway.subscribe("http://127.0.0.1:9/long", "k" * 256)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["header"] == "Idempotency-Key"
    assert await gateway.subscriptions_to("http://127.0.0.1:9/long") == 0
