"""The outbox, relay and consumer loop against the real broker and a real database:
at-least-once delivery, each event applied once, poison messages dead-lettered."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from contracts.people import PersonCreated
from devstack.pytest_plugin import eventually
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.consumer import EventConsumer, Received
from messaging.envelope import envelope_for, to_record
from messaging.outbox import UnitOfWork
from messaging.publisher import Publisher
from messaging.relay import OutboxRelay
from messaging.testing import (
    MakeService,
    ServiceUnderTest,
    person_created,
    read_topic,
)
from sqlalchemy import select, update

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE = "cairn.profiles.people"


async def run_until_cancelled(*coroutines):  # type: ignore[no-untyped-def]
    return [asyncio.create_task(c) for c in coroutines]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_writes_succeed_while_the_broker_is_down_and_arrive_once_it_is_back(
    own_broker: EmbeddedBroker,
    make_service: MakeService,
) -> None:
    producer_side = await make_service("producer")
    consumer_side = await make_service("consumer")
    publisher = Publisher(own_broker.bootstrap_servers, timeout_s=2)
    relay = OutboxRelay(producer_side.engine, producer_side.uow, publisher, max_backoff_s=0.5)
    consumer = EventConsumer(
        group="matching",
        topics=[PEOPLE],
        handlers={PersonCreated.event_type: consumer_side.record_effect()},
        uow=consumer_side.uow,
        publisher=Publisher(own_broker.bootstrap_servers),
        bootstrap_servers=own_broker.bootstrap_servers,
    )
    tasks = await run_until_cancelled(relay.run(), consumer.run())
    try:
        own_broker.stop()
        ids = [f"p-{uuid.uuid4().hex[:8]}" for _ in range(40)]
        await producer_side.emit(ids)  # every write commits although Kafka is gone
        await asyncio.sleep(1.5)  # the relay tries, fails, backs off
        assert relay.published == 0

        own_broker.start()  # memory storage: a broker that lost everything
        await ensure_topics(own_broker.bootstrap_servers)
        await eventually(lambda: _at_least(consumer_side, len(ids)), timeout_s=60)
        assert relay.published == len(ids)

        # The relay crashes after publishing but before marking: everything goes out again.
        async with producer_side.engine.begin() as conn:
            await conn.execute(update(producer_side.uow.tables.outbox).values(sent_at=None))
        await eventually(lambda: _published(relay, 2 * len(ids)), timeout_s=30)
        await eventually(lambda: _processed(consumer, 2 * len(ids)), timeout_s=30)
        assert await consumer_side.effect_count() == len(ids)  # none applied twice
        async with consumer_side.engine.connect() as conn:
            applied = {r[0] for r in await conn.execute(select(consumer_side.effects.c.person_id))}
        assert applied == set(ids)  # none lost
    finally:
        await stop(tasks)


async def _at_least(service: ServiceUnderTest, count: int) -> bool:
    return await service.effect_count() >= count


async def _published(relay: OutboxRelay, count: int) -> bool:
    return relay.published >= count


async def _processed(consumer: EventConsumer, count: int) -> bool:
    # Duplicates are "processed" as skips: the inbox recognised them.
    return consumer.processed >= count


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing(
    broker: str,
    make_service: MakeService,
) -> None:
    service = await make_service("poison")
    group = "feedback"  # its DLQ topic exists in the catalog
    failing_id = f"fail-{uuid.uuid4().hex[:6]}"
    attempts: list[str] = []

    async def handle(uow: UnitOfWork, received: Received) -> None:
        assert isinstance(received.event, PersonCreated)
        if received.event.person.id == failing_id:
            attempts.append(failing_id)
            raise RuntimeError("handler bug")
        await service.record_effect()(uow, received)

    consumer = EventConsumer(
        group=group,
        topics=[PEOPLE],
        handlers={PersonCreated.event_type: handle},
        uow=service.uow,
        publisher=Publisher(broker),
        bootstrap_servers=broker,
        retry_backoff_s=0.01,
    )
    key = f"same-key-{uuid.uuid4().hex[:6]}".encode()  # one partition: order is observable
    good_before, good_after = f"ok1-{uuid.uuid4().hex[:6]}", f"ok2-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:

        def envelope_of(person_id: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
            return to_record(envelope_for(person_created(person_id), tenant_id="t", source="/test"))

        _, value, headers = envelope_of(good_before)
        await producer.send_and_wait(PEOPLE, value, key=key, headers=headers)
        await producer.send_and_wait(PEOPLE, b"\x00not a cloudevent", key=key, headers=[])
        _, _, headers = envelope_of("contract-breaker")
        await producer.send_and_wait(PEOPLE, b'{"person": {"id": 42}}', key=key, headers=headers)
        _, value, headers = envelope_of(failing_id)
        await producer.send_and_wait(PEOPLE, value, key=key, headers=headers)
        _, value, headers = envelope_of(good_after)
        await producer.send_and_wait(PEOPLE, value, key=key, headers=headers)
    finally:
        await producer.stop()

    tasks = await run_until_cancelled(consumer.run())
    try:

        async def both_good_applied() -> bool:
            async with service.engine.connect() as conn:
                rows = {r[0] for r in await conn.execute(select(service.effects.c.person_id))}
            return {good_before, good_after} <= rows

        await eventually(both_good_applied, timeout_s=60)
        dead = await read_topic(
            broker,
            f"{group}.dlq",
            until=lambda records: sum(1 for r in records if r.key == key) >= 3,
            timeout_s=20,
        )
    finally:
        await stop(tasks)
    ours = [dict(r.headers) for r in dead if r.key == key]
    assert len(ours) == 3
    errors = [h["dlq_error"].decode() for h in ours]
    assert "missing header ce_id" in errors[0]
    assert "person.created breaks its contract" in errors[1]
    assert "handler bug" in errors[2]
    assert len(attempts) == 3  # bounded retries, then dead-lettered
    assert all(h["dlq_original_topic"] == PEOPLE.encode() for h in ours)
    assert all(h["dlq_consumer_group"] == group.encode() for h in ours)
