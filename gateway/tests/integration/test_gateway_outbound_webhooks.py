"""Outbound webhooks end to end: real events through the real broker into the gateway's one
consumer loop, deliveries POSTed to a real receiver on loopback (allowed explicitly here),
signed so that `standardwebhooks` verifies them; a 500 is retried, a 410 disables, a replay
re-delivers with the same webhook-id, a link-local target (directly or by redirect) is refused
and logged, and person payloads carry no self-identification."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from contracts.base import Event
from contracts.people import PersonSnapshot, PersonStatus, PersonUpdated
from devstack.pytest_plugin import DatabaseFactory, eventually
from fastapi import FastAPI, Request, Response
from gateway.adapters.tables import ApiKey
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.domain.credentials import issue_api_key
from gateway.entrypoints.api import create_app
from gateway.graphql.ids import decode_id
from gateway.service_layer.tenants import TenantCredentials, create_tenant
from gateway.webhooks import payloads, schedule
from gateway.webhooks.fanout import delivery_id
from gateway.webhooks.tables import WebhookDelivery
from messaging.broker import free_port
from messaging.envelope import Envelope, envelope_for
from messaging.outbox import utcnow
from messaging.publisher import Publisher
from messaging.testing import person_created
from persistence.migrations import upgrade_async
from runtime.process import ServiceProcess
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from standardwebhooks import Webhook

pytestmark = pytest.mark.asyncio(loop_scope="session")

METADATA_ENDPOINT = "http://169.254.169.254/latest/meta-data"


@dataclass
class Hit:
    name: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """An integrator's endpoint on loopback: records every request; answers from a script
    per path (then 200); `/hooks/redirect` sends the caller to the metadata endpoint."""

    port: int
    hits: list[Hit] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def of(self, name: str, event_id: str | None = None) -> list[Hit]:
        return [
            h
            for h in self.hits
            if h.name == name and (event_id is None or h.event["id"] == event_id)
        ]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/{name}")
        async def hook(name: str, request: Request) -> Response:
            self.hits.append(Hit(name, dict(request.headers), await request.body()))
            if name == "redirect":
                return Response(status_code=307, headers={"location": METADATA_ENDPOINT})
            codes = self.script.get(name)
            return Response(status_code=codes.pop(0) if codes else 200)

        return app


@dataclass
class Stack:
    graphql: httpx.AsyncClient
    receiver: Receiver
    tenant: TenantCredentials
    other_tenant: TenantCredentials
    read_only_key: str
    broker: str
    process: ServiceProcess

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, key: str | None = None
    ) -> dict[str, Any]:
        answer = await self.graphql.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key or self.tenant.api_key}"},
        )
        body: dict[str, Any] = answer.json()
        return body

    async def publish(self, event: Event, *, tenant_id: str | None = None) -> Envelope:
        envelope = envelope_for(
            event, tenant_id=tenant_id or self.tenant.tenant_id, source="/cairn/profiles"
        )
        await self.publish_envelope(envelope, event.topic)
        return envelope

    async def publish_envelope(self, envelope: Envelope, topic: str) -> None:
        publisher = Publisher(self.broker)
        try:
            await publisher.publish([envelope], {envelope.id: topic})
        finally:
            await publisher.close()

    async def subscribe(
        self, name: str, event_types: list[str], url: str | None = None
    ) -> dict[str, Any]:
        answer = await self.gql(
            SUBSCRIBE, {"input": {"url": url or self.receiver.url(name), "eventTypes": event_types}}
        )
        payload: dict[str, Any] = answer["data"]["subscribeWebhook"]
        assert payload["userErrors"] == [], payload
        subscription: dict[str, Any] = payload["webhookSubscription"]
        return subscription

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        answer = await self.gql(SUBSCRIPTION, {"id": subscription_id})
        found: dict[str, Any] = answer["data"]["webhookSubscription"]
        return found


SUBSCRIBE = """
mutation($input: WebhookSubscriptionInput!) {
  subscribeWebhook(input: $input) {
    webhookSubscription { id url eventTypes enabled secret }
    userErrors { field message code }
  }
}"""

SUBSCRIPTION = """
query($id: ID!) {
  webhookSubscription(id: $id) {
    id enabled disabledReason secret
    deliveries(first: 20) {
      totalCount
      edges { node {
        id webhookId eventId eventType status attempts deliveredAt lastStatusCode lastError
        attemptLog { statusCode error latencyMs url }
      } }
    }
  }
}"""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def stack(broker: str, database_factory: DatabaseFactory) -> AsyncIterator[Stack]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KAFKA_BOOTSTRAP_SERVERS", broker)
        app = create_app(
            GatewaySettings(
                database_url=url,
                service_token_private_key=private_key,
                sealing_keys=new_key(),
                # Retries in moments, not hours; loopback allowed for the receiver only.
                webhook_retry_schedule_s=(0, 0.3, 0.3, 0.3),
                webhook_retry_jitter=0,
                webhook_poll_s=0.1,
                webhook_timeout_s=3,
                webhook_allow_loopback=True,
            )
        )
    receiver = Receiver(free_port())
    server = uvicorn.Server(
        uvicorn.Config(receiver.app(), host="127.0.0.1", port=receiver.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Hooks Ltd", app.state.sealer)
        async with app.state.process.uow() as uow:
            other = await create_tenant(uow, "Elsewhere plc", app.state.sealer)
        read_only = issue_api_key()
        async with app.state.process.uow() as uow:
            uow.session.add(
                ApiKey(
                    id=read_only.key_id,
                    tenant_id=tenant.tenant_id,
                    secret_hash=read_only.secret_hash,
                    name="reader",
                    scopes="read",
                    created_at=utcnow(),
                )
            )
            await uow.commit()
        while not server.started:  # noqa: ASYNC110  (uvicorn offers only the flag)
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            yield Stack(
                client, receiver, tenant, other, read_only.plaintext, broker, app.state.process
            )
    server.should_exit = True
    await serving


def person_with_self_identification(person_id: str) -> PersonUpdated:
    return PersonUpdated(
        person=PersonSnapshot(
            id=person_id,
            email=f"{person_id}@example-hr.com",
            display_name="Ada Lovelace",
            time_zone="Europe/London",
            status=PersonStatus.ACTIVE,
            underrepresented=True,
            demographics={"gender": "woman", "ethnicity": "undisclosed"},
            source_version=2,
            revision=2,
            updated_at=datetime.now(UTC),
        ),
        changed_fields=["underrepresented", "demographics", "title"],
    )


async def test_a_500_is_retried_and_every_attempt_verifies_with_the_same_webhook_id(
    stack: Stack,
) -> None:
    subscription = await stack.subscribe("retried", ["person.*"])
    secret = subscription["secret"]
    assert secret.startswith("whsec_") and subscription["enabled"] is True
    stack.receiver.script["retried"] = [500]

    envelope = await stack.publish(person_created(str(uuid.uuid4())))

    hits = await eventually(seen(stack.receiver, "retried", envelope.id, 2), timeout_s=30)
    assert len({h.headers["webhook-id"] for h in hits}) == 1
    for hit in hits:
        verified = Webhook(secret).verify(hit.body, hit.headers)
        assert verified["type"] == "person.created" and verified["id"] == envelope.id
    assert hits[0].event["data"]["person"]["id"] == envelope.key

    async def delivered() -> dict[str, Any] | None:
        found = await stack.subscription(subscription["id"])
        nodes = [e["node"] for e in found["deliveries"]["edges"]]
        return nodes[0] if nodes and nodes[0]["status"] == "DELIVERED" else None

    delivery = await eventually(delivered)
    assert delivery["webhookId"] == hits[0].headers["webhook-id"]
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 200]
    assert delivery["attemptLog"][0]["error"] == "HTTP 500"
    assert delivery["attempts"] == 2 and delivery["deliveredAt"] is not None

    # A replay sends the same delivery again: same webhook-id, same body, still verifiable.
    replayed = await stack.gql(
        """mutation($input: ReplayWebhookDeliveriesInput!) {
             replayWebhookDeliveries(input: $input) { replayed userErrors { field code } } }""",
        {"input": {"subscriptionId": subscription["id"], "deliveryId": delivery["id"]}},
    )
    assert replayed["data"]["replayWebhookDeliveries"] == {"replayed": 1, "userErrors": []}
    hits = await eventually(seen(stack.receiver, "retried", envelope.id, 3), timeout_s=20)
    assert hits[2].headers["webhook-id"] == delivery["webhookId"]
    assert hits[2].body == hits[1].body
    assert Webhook(secret).verify(hits[2].body, hits[2].headers)["id"] == envelope.id

    # A time range replays every delivery made in it.
    since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    ranged = await stack.gql(
        """mutation($input: ReplayWebhookDeliveriesInput!) {
             replayWebhookDeliveries(input: $input) { replayed userErrors { field code } } }""",
        {"input": {"subscriptionId": subscription["id"], "from": since}},
    )
    assert ranged["data"]["replayWebhookDeliveries"] == {"replayed": 1, "userErrors": []}
    await eventually(seen(stack.receiver, "retried", envelope.id, 4), timeout_s=20)


async def test_a_redelivered_event_makes_one_delivery(stack: Stack) -> None:
    subscription = await stack.subscribe("once", ["person.created"])
    event = person_created(str(uuid.uuid4()))
    envelope = await stack.publish(event)
    await stack.publish_envelope(envelope, event.topic)  # the broker hands it over again
    marker = await stack.publish(person_created(str(uuid.uuid4())))  # after both, in order

    await eventually(seen(stack.receiver, "once", marker.id, 1))
    await asyncio.sleep(0.5)
    assert len(stack.receiver.of("once", envelope.id)) == 1
    found = await stack.subscription(subscription["id"])
    assert [e["node"]["eventId"] for e in found["deliveries"]["edges"]].count(envelope.id) == 1


async def test_deliveries_due_together_for_one_endpoint_all_go(stack: Stack) -> None:
    subscription = await stack.subscribe("together", ["person.created"])
    key = _key(subscription["id"])
    now = utcnow()
    event_ids = [str(uuid.uuid4()) for _ in range(3)]
    async with stack.process.uow() as uow:  # due at once: one pass of the worker takes all
        for event_id in event_ids:
            state = schedule.created(now)
            uow.session.add(
                WebhookDelivery(
                    id=delivery_id(key, event_id),
                    subscription_id=key,
                    tenant_id=stack.tenant.tenant_id,
                    event_id=event_id,
                    event_type="person.created",
                    body=payloads.body(
                        event_id=event_id,
                        event_type="person.created",
                        source="/cairn/profiles",
                        time=now,
                        subject=None,
                        data={},
                    ),
                    status=state.status.value,
                    attempts=state.attempts,
                    next_attempt_at=state.next_attempt_at,
                    created_at=now,
                )
            )
        await uow.commit()
    for event_id in event_ids:
        await eventually(seen(stack.receiver, "together", event_id, 1), timeout_s=10)


def _key(global_id: str) -> str:
    key = decode_id("WebhookSubscription", global_id)
    assert key is not None
    return key


async def test_person_payloads_carry_no_self_identification(stack: Stack) -> None:
    await stack.subscribe("people", ["person.updated"])
    envelope = await stack.publish(person_with_self_identification(str(uuid.uuid4())))

    [hit] = await eventually(seen(stack.receiver, "people", envelope.id, 1))
    assert b"underrepresented" not in hit.body and b"demographics" not in hit.body
    data = hit.event["data"]
    assert data["person"]["displayName"] == "Ada Lovelace"
    assert data["changedFields"] == ["title"]


async def test_a_410_disables_the_endpoint(stack: Stack) -> None:
    subscription = await stack.subscribe("gone", ["person.created"])
    stack.receiver.script["gone"] = [410]
    first = await stack.publish(person_created(str(uuid.uuid4())))

    async def disabled() -> dict[str, Any] | None:
        found = await stack.subscription(subscription["id"])
        return found if not found["enabled"] else None

    found = await eventually(disabled)
    assert "410" in found["disabledReason"]
    [delivery] = [e["node"] for e in found["deliveries"]["edges"]]
    assert (delivery["eventId"], delivery["status"]) == (first.id, "FAILED")
    assert len(stack.receiver.of("gone")) == 1  # never retried

    later = await stack.publish(person_created(str(uuid.uuid4())))
    marker_subscription = await stack.subscribe("after-gone", ["person.created"])
    marker = await stack.publish(person_created(str(uuid.uuid4())))
    await eventually(seen(stack.receiver, "after-gone", marker.id, 1))
    assert stack.receiver.of("gone", later.id) == []
    assert marker_subscription["enabled"]

    # A replay waits for the endpoint to be enabled again.
    refused = await stack.gql(
        """mutation($input: ReplayWebhookDeliveriesInput!) {
             replayWebhookDeliveries(input: $input) { replayed userErrors { field code } } }""",
        {"input": {"subscriptionId": subscription["id"], "deliveryId": delivery["id"]}},
    )
    assert refused["data"]["replayWebhookDeliveries"] == {
        "replayed": None,
        "userErrors": [{"field": ["input", "subscriptionId"], "code": "NOT_ALLOWED_IN_STATE"}],
    }


async def test_link_local_targets_are_refused_directly_and_after_a_redirect(
    stack: Stack,
) -> None:
    direct = await stack.subscribe("metadata", ["person.created"], url=METADATA_ENDPOINT)
    redirected = await stack.subscribe("redirect", ["person.created"])
    envelope = await stack.publish(person_created(str(uuid.uuid4())))

    for subscription in (direct, redirected):

        async def logged(sid: str = subscription["id"]) -> list[dict[str, Any]] | None:
            found = await stack.subscription(sid)
            nodes = [e["node"] for e in found["deliveries"]["edges"]]
            return nodes[0]["attemptLog"] if nodes and nodes[0]["attemptLog"] else None

        [attempt, *_] = await eventually(logged)
        assert attempt["statusCode"] is None
        assert "target refused" in attempt["error"] and "link-local" in attempt["error"]
    assert len(stack.receiver.of("redirect", envelope.id)) >= 1  # the first hop was public


async def test_rotation_signs_with_the_old_and_the_new_secret(stack: Stack) -> None:
    subscription = await stack.subscribe("rotated", ["person.created"])
    rotated = await stack.gql(
        """mutation($input: RotateWebhookSecretInput!) {
             rotateWebhookSecret(input: $input) {
               webhookSubscription { secret previousSecretValidUntil } userErrors { field } } }""",
        {"input": {"id": subscription["id"], "graceHours": 1}},
    )
    payload = rotated["data"]["rotateWebhookSecret"]
    new_secret = payload["webhookSubscription"]["secret"]
    assert new_secret.startswith("whsec_") and new_secret != subscription["secret"]
    assert payload["webhookSubscription"]["previousSecretValidUntil"] is not None

    envelope = await stack.publish(person_created(str(uuid.uuid4())))
    [hit] = await eventually(seen(stack.receiver, "rotated", envelope.id, 1))
    assert len(hit.headers["webhook-signature"].split()) == 2
    for secret in (subscription["secret"], new_secret):
        assert Webhook(secret).verify(hit.body, hit.headers)["id"] == envelope.id

    # The secret is never shown again.
    found = await stack.subscription(subscription["id"])
    assert found["secret"] is None


async def test_only_admin_keys_of_the_tenant_manage_webhooks(stack: Stack) -> None:
    subscription = await stack.subscribe("mine", ["match.*"])
    refused = await stack.gql("{ webhookSubscriptions { totalCount } }", key=stack.read_only_key)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] is None

    others = await stack.gql(
        "{ webhookSubscriptions { totalCount } }", key=stack.other_tenant.api_key
    )
    assert others["data"]["webhookSubscriptions"]["totalCount"] == 0
    theirs = await stack.gql(
        SUBSCRIPTION, {"id": subscription["id"]}, key=stack.other_tenant.api_key
    )
    assert theirs["data"]["webhookSubscription"] is None

    # Another tenant's event reaches none of this tenant's subscriptions.
    elsewhere = await stack.publish(
        person_created(str(uuid.uuid4())), tenant_id=stack.other_tenant.tenant_id
    )
    marker = await stack.publish(person_created(str(uuid.uuid4())))
    await eventually(seen(stack.receiver, "once", marker.id, 1))
    assert [h for h in stack.receiver.hits if h.event["id"] == elsewhere.id] == []


async def test_bad_input_is_refused_naming_the_field(stack: Stack) -> None:
    cases = [
        ({"url": "ftp://hooks.example.com", "eventTypes": ["match.*"]}, "url"),
        ({"url": "https://u:p@hooks.example.com", "eventTypes": ["match.*"]}, "url"),
        ({"url": "https://hooks.example.com", "eventTypes": []}, "eventTypes"),
        (
            {"url": "https://hooks.example.com", "eventTypes": ["hris.change.received"]},
            "eventTypes",
        ),
        ({"url": "https://hooks.example.com", "eventTypes": ["nothing.*"]}, "eventTypes"),
    ]
    for given, field_name in cases:
        answer = await stack.gql(SUBSCRIBE, {"input": given})
        payload = answer["data"]["subscribeWebhook"]
        assert payload["webhookSubscription"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", field_name], "INVALID")
        ], given
    subscription = await stack.subscribe("unchanged", ["match.*"])
    changes: list[tuple[dict[str, Any], str]] = [
        ({"url": None}, "url"),
        ({"url": "http://[::1"}, "url"),
        ({"eventTypes": ["match.nope"]}, "eventTypes"),
        ({"enabled": None}, "enabled"),
    ]
    for change, field_name in changes:
        answer = await stack.gql(
            """mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) {
                 webhookSubscription { id } userErrors { field code } } }""",
            {"input": {"id": subscription["id"], **change}},
        )
        assert answer["data"]["updateWebhook"] == {
            "webhookSubscription": None,
            "userErrors": [{"field": ["input", field_name], "code": "INVALID"}],
        }, change
    listed = await stack.gql("{ webhookSubscriptions(first: 100) { edges { node { url } } } }")
    urls = [e["node"]["url"] for e in listed["data"]["webhookSubscriptions"]["edges"]]
    assert not [u for u in urls if "hooks.example.com" in u]


def seen(
    receiver: Receiver, name: str, event_id: str, count: int
) -> Callable[[], Awaitable[list[Hit] | None]]:
    async def probe() -> list[Hit] | None:
        hits = receiver.of(name, event_id)
        return hits if len(hits) >= count else None

    return probe
