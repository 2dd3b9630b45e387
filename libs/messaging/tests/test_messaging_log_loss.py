"""A broker that loses its log loses nothing: relays republish what it had acknowledged, and
consumers whose positions belong to the lost log read the new one from its start. Real broker
(the embedded Tansu forgets everything when it stops), real databases."""

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from contracts.people import PersonCreated
from devstack.pytest_plugin import eventually
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.broker_log import BrokerLog
from messaging.consumer import EventConsumer
from messaging.envelope import Envelope, envelope_for
from messaging.publisher import Publisher
from messaging.relay import OutboxRelay
from messaging.testing import MakeService, ServiceUnderTest, person_created, read_topic
from sqlalchemy import func, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE = "cairn.profiles.people"


def consumer_of(service: ServiceUnderTest, bootstrap: str, group: str) -> EventConsumer:
    return EventConsumer(
        group=group,
        topics=[PEOPLE],
        handlers={PersonCreated.event_type: service.record_effect()},
        uow=service.uow,
        publisher=Publisher(bootstrap),
        bootstrap_servers=bootstrap,
        position_check_every_s=0.5,
    )


def unique_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{uuid.uuid4().hex[:8]}" for _ in range(count)]


async def restart(broker: EmbeddedBroker) -> None:
    """A new broker on the same port: its log starts empty, as after a lost disk."""
    broker.stop()
    broker.start()
    await ensure_topics(broker.bootstrap_servers)


async def stop(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def applied_exactly(service: ServiceUnderTest, ids: list[str]) -> bool:
    return sorted(await service.applied()) == sorted(ids)


async def log_ids(bootstrap: str, topic: str = PEOPLE) -> list[str]:
    return [dict(r.headers)["ce_id"].decode() for r in await read_topic(bootstrap, topic)]


async def publish_directly(bootstrap: str, envelopes: list[Envelope]) -> None:
    publisher = Publisher(bootstrap)
    try:
        await publisher.publish(envelopes, {e.id: PEOPLE for e in envelopes})
    finally:
        await publisher.close()


def envelopes_for(ids: list[str], key: str) -> list[Envelope]:
    """Events for one partition (one key), as an owning service would publish them."""
    envelopes = []
    for person_id in ids:
        envelope = envelope_for(person_created(person_id), tenant_id="t1", source="/test")
        envelopes.append(
            Envelope(
                id=envelope.id,
                type=envelope.type,
                source=envelope.source,
                tenant_id=envelope.tenant_id,
                key=key,
                data=envelope.data,
            )
        )
    return envelopes


async def commit_for_group(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commits as a consumer of the lost log would, onto the new one (Tansu takes any offset)."""
    committer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await committer.start()
    try:
        committer.assign(list(offsets))
        await committer.commit(offsets)
    finally:
        await committer.stop()


async def test_after_a_broker_loses_its_log_every_event_arrives_and_is_applied_once(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    producer_side = await make_service("lossproducer")
    consumer_side = await make_service("lossconsumer")
    bootstrap = own_broker.bootstrap_servers
    publisher = Publisher(bootstrap, timeout_s=2)
    relay = OutboxRelay(
        producer_side.engine,
        producer_side.uow,
        publisher,
        max_backoff_s=0.5,
        log_check_every_s=0.5,
    )
    consumer = consumer_of(consumer_side, bootstrap, f"loss-{uuid.uuid4().hex[:6]}")
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        before = unique_ids("before", 40)
        await producer_side.emit(before)
        await eventually(lambda: applied_exactly(consumer_side, before), timeout_s=30)
        async with producer_side.engine.connect() as conn:
            outbox = producer_side.uow.tables.outbox
            unsent = (
                await conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
                )
            ).scalar_one()
        assert unsent == 0  # all marked sent: only the relay's retention can bring them back

        await restart(own_broker)
        after = unique_ids("after", 20)
        await producer_side.emit(after)

        # (a) the rows already marked sent went out again, with the new ones
        written = set(await producer_side.event_ids())
        assert len(written) == len(before + after)
        await eventually(lambda: _holds(bootstrap, written), timeout_s=30, every_s=0.5)
        assert relay.losses_detected >= 1
        assert relay.republished >= len(before)
        # (b) the consumer read the new log from its start: everything applied, (c) once
        await eventually(lambda: applied_exactly(consumer_side, before + after), timeout_s=30)
        await eventually(lambda: _duplicates(consumer, len(before)), timeout_s=30)
        assert consumer.positions.resets >= 1
        assert await applied_exactly(consumer_side, before + after)
    finally:
        await stop(tasks)
        await publisher.close()


async def _holds(bootstrap: str, event_ids: set[str]) -> bool:
    return event_ids <= set(await log_ids(bootstrap))


async def _duplicates(consumer: EventConsumer, count: int) -> bool:
    return consumer.duplicates >= count


async def test_a_relay_started_after_the_broker_lost_its_log_republishes_what_it_had_sent(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    service = await make_service("coldrelay")
    bootstrap = own_broker.bootstrap_servers
    ids = unique_ids("cold", 30)
    await service.emit(ids)
    publisher = Publisher(bootstrap, timeout_s=2)
    try:
        first = OutboxRelay(service.engine, service.uow, publisher, max_backoff_s=0.5)
        task = asyncio.create_task(first.run())
        await eventually(lambda: _published(first, len(ids)), timeout_s=20)
        await stop([task])

        # Restarted with the broker intact: nothing is sent again.
        second = OutboxRelay(service.engine, service.uow, publisher, max_backoff_s=0.5)
        task = asyncio.create_task(second.run())
        await eventually(lambda: _checked(second), timeout_s=20)
        await stop([task])
        assert second.republished == 0 and second.losses_detected == 0
        written = await service.event_ids()
        assert sorted(await log_ids(bootstrap)) == sorted(written)

        # Restarted after the broker lost its log while no relay ran.
        await restart(own_broker)
        third = OutboxRelay(service.engine, service.uow, publisher, max_backoff_s=0.5)
        task = asyncio.create_task(third.run())
        await eventually(lambda: _published(third, len(ids)), timeout_s=30)
        await stop([task])
        assert third.republished == len(ids)
        assert sorted(await log_ids(bootstrap)) == sorted(written)
    finally:
        await publisher.close()


async def _published(relay: OutboxRelay, count: int) -> bool:
    return relay.published >= count


async def _checked(relay: OutboxRelay) -> bool:
    return not relay.guard.needs_check()


async def test_a_consumer_whose_committed_offsets_lie_beyond_the_new_log_reads_it_all(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    service = await make_service("beyondend")
    bootstrap = own_broker.bootstrap_servers
    group = f"beyond-{uuid.uuid4().hex[:6]}"
    await restart(own_broker)
    ids = unique_ids("new", 12)
    await publish_directly(bootstrap, envelopes_for(ids, key=f"k-{uuid.uuid4().hex[:6]}"))
    # The group's offsets from the lost log, far beyond anything the new one holds.
    await commit_for_group(bootstrap, group, {TopicPartition(PEOPLE, p): 500 for p in range(3)})

    consumer = consumer_of(service, bootstrap, group)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: applied_exactly(service, ids), timeout_s=30)
        assert consumer.positions.resets == 3  # each partition, loudly
    finally:
        await stop([task])


async def test_a_committed_offset_standing_on_events_never_applied_is_not_trusted(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    """The new log grew past the group's old offset before the consumer came back: the offset
    is inside the log, but the event below it was never applied here."""
    service = await make_service("regrown")
    bootstrap = own_broker.bootstrap_servers
    group = f"regrown-{uuid.uuid4().hex[:6]}"
    await restart(own_broker)
    key = f"k-{uuid.uuid4().hex[:6]}"
    ids = unique_ids("regrown", 30)
    envelopes = envelopes_for(ids, key)
    await publish_directly(bootstrap, envelopes)
    partition = await _partition_of(bootstrap, envelopes[0].id)
    await commit_for_group(bootstrap, group, {TopicPartition(PEOPLE, partition): 20})

    consumer = consumer_of(service, bootstrap, group)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: applied_exactly(service, ids), timeout_s=30)
        assert consumer.positions.resets == 1
    finally:
        await stop([task])


async def test_a_consumer_restarted_on_an_intact_log_goes_on_where_it_committed(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    service = await make_service("intact")
    bootstrap = own_broker.bootstrap_servers
    group = f"intact-{uuid.uuid4().hex[:6]}"
    await restart(own_broker)
    key = f"k-{uuid.uuid4().hex[:6]}"
    first, later = unique_ids("first", 20), unique_ids("later", 10)
    await publish_directly(bootstrap, envelopes_for(first, key))

    consumer = consumer_of(service, bootstrap, group)
    task = asyncio.create_task(consumer.run())
    await eventually(lambda: applied_exactly(service, first), timeout_s=30)
    await eventually(lambda: _committed(bootstrap, group, key, len(first)), timeout_s=30)
    await stop([task])

    await publish_directly(bootstrap, envelopes_for(later, key))
    restarted = consumer_of(service, bootstrap, group)  # a new process: nothing remembered
    task = asyncio.create_task(restarted.run())
    try:
        await eventually(lambda: applied_exactly(service, first + later), timeout_s=30)
        assert restarted.positions.resets == 0
        assert restarted.duplicates == 0  # not a single event read twice
    finally:
        await stop([task])


async def test_a_consumer_that_remembers_its_last_record_sees_another_one_in_its_place(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    """Below the group's old offset, the new log holds events this consumer never applied,
    and at the offset itself an event it did apply (republished, so another record): only
    the remembered record tells the logs apart."""
    service = await make_service("remembers")
    bootstrap = own_broker.bootstrap_servers
    group = f"remembers-{uuid.uuid4().hex[:6]}"
    await restart(own_broker)
    key = f"k-{uuid.uuid4().hex[:6]}"
    old = envelopes_for(unique_ids("old", 10), key)
    await publish_directly(bootstrap, old)
    consumer = consumer_of(service, bootstrap, group)
    task = asyncio.create_task(consumer.run())
    old_ids = [e.data["person"]["id"] for e in old]
    await eventually(lambda: applied_exactly(service, old_ids), timeout_s=30)
    await stop([task])
    partition = await _partition_of(bootstrap, old[0].id)

    await restart(own_broker)
    fresh = envelopes_for(unique_ids("fresh", 5), key)
    await publish_directly(bootstrap, fresh)  # offsets 0-4: never applied
    await publish_directly(bootstrap, old[5:])  # offsets 5-9: applied before, republished
    await commit_for_group(bootstrap, group, {TopicPartition(PEOPLE, partition): 10})

    task = asyncio.create_task(consumer.run())  # the same process: it remembers offset 9
    try:
        fresh_ids = [e.data["person"]["id"] for e in fresh]
        await eventually(lambda: applied_exactly(service, old_ids + fresh_ids), timeout_s=30)
        assert consumer.positions.resets >= 1
    finally:
        await stop([task])


async def _committed(bootstrap: str, group: str, key: str, offset: int) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = [TopicPartition(PEOPLE, p) for p in range(3)]
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return any(meta.offset == offset for meta in committed.values())


async def _partition_of(bootstrap: str, event_id: str) -> int:
    for record in await read_topic(bootstrap, PEOPLE):
        if dict(record.headers)["ce_id"].decode() == event_id:
            return int(record.partition)
    raise AssertionError(f"{event_id} is not in the log")


async def test_the_log_end_is_read_where_tansu_reports_its_last_batch(
    own_broker: EmbeddedBroker,
) -> None:
    """Tansu answers ListOffsets(latest) with its last batch's base offset + 1: a position
    check trusting it would see every consumer beyond the end."""
    bootstrap = own_broker.bootstrap_servers
    await restart(own_broker)
    key = f"k-{uuid.uuid4().hex[:6]}"
    envelopes = envelopes_for(unique_ids("batched", 25), key)
    await publish_directly(bootstrap, envelopes)  # one batch
    partition = TopicPartition(PEOPLE, await _partition_of(bootstrap, envelopes[0].id))
    broker_log = BrokerLog(bootstrap)
    try:
        bounds = (await broker_log.bounds([partition]))[partition]
        assert (bounds.start, bounds.end) == (0, 25)
        last = (await broker_log.records_at({partition: 24}))[partition]
        assert last is not None and last.event_id == envelopes[-1].id
    finally:
        await broker_log.close()
