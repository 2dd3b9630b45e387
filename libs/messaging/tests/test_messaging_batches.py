"""A fetched run of one partition's events is applied in one transaction (one inbox look-up,
one commit), and a failure inside the run costs nothing of the consumer's guarantees: every
good event applied exactly once, in order, an event repeated inside the run applied once, the
failing event given exactly its bounded attempts before the dead-letter topic."""

import asyncio
import dataclasses
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from contracts.people import PersonCreated
from devstack.pytest_plugin import eventually
from messaging.consumer import EventConsumer, Received
from messaging.envelope import envelope_for, to_record
from messaging.outbox import UnitOfWork
from messaging.publisher import Publisher
from messaging.testing import MakeService, person_created, read_topic
from sqlalchemy import insert, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE = "cairn.profiles.people"


async def test_a_run_is_applied_together_and_a_failure_inside_it_loses_nothing(
    broker: str, make_service: MakeService
) -> None:
    service = await make_service("batches")
    group = "feedback"  # its dead-letter topic exists in the catalog
    tag = uuid.uuid4().hex[:6]
    ids = [f"b{i}-{tag}" for i in range(60)]
    failing = ids[30]
    attempts: list[str] = []
    transactions: list[UnitOfWork] = []

    async def handle(uow: UnitOfWork, received: Received) -> None:
        assert isinstance(received.event, PersonCreated)
        person_id = received.event.person.id
        if uow not in transactions:
            transactions.append(uow)
        if person_id == failing:
            attempts.append(person_id)
            raise RuntimeError("handler bug")
        await uow.session.execute(insert(service.effects).values(person_id=person_id))

    key = f"one-partition-{tag}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for person_id in [*ids[:45], ids[10], *ids[45:]]:  # ids[10] delivered twice
            envelope = envelope_for(person_created(person_id), tenant_id="t", source="/test")
            if person_id == ids[10]:
                envelope = dataclasses.replace(envelope, id=f"event-{ids[10]}")
            _, value, headers = to_record(envelope)
            await producer.send_and_wait(PEOPLE, value, key=key, headers=headers)
    finally:
        await producer.stop()

    consumer = EventConsumer(
        group=group,
        topics=[PEOPLE],
        handlers={PersonCreated.event_type: handle},
        uow=service.uow,
        publisher=Publisher(broker),
        bootstrap_servers=broker,
        retry_backoff_s=0.01,
    )
    task = asyncio.create_task(consumer.run())
    good = [i for i in ids if i != failing]
    try:

        async def all_good_applied() -> bool:
            async with service.engine.connect() as conn:
                rows = [r[0] for r in await conn.execute(select(service.effects.c.person_id))]
            return set(good) <= set(rows)

        await eventually(all_good_applied, timeout_s=60)
        dead = await read_topic(
            broker, f"{group}.dlq", until=lambda rs: any(r.key == key for r in rs), timeout_s=20
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    async with service.engine.connect() as conn:
        rows = [r[0] for r in await conn.execute(select(service.effects.c.person_id))]
    assert sorted(r for r in rows if r.endswith(tag)) == sorted(good)  # each once, none lost
    assert attempts == [failing] * 3  # the run's try counts as the first of its three
    assert [r.key for r in dead if r.key == key] == [key]
    # Far fewer transactions than events: the run went in together (before and after the bug).
    assert len(transactions) <= 8, len(transactions)
