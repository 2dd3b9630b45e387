"""How long published events stay republishable and how long inboxes remember them: the
inbox must outlive the outbox, or a republished event would be applied twice."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from contracts.people import PersonCreated
from devstack.pytest_plugin import eventually
from messaging.broker import EmbeddedBroker, ensure_topics
from messaging.consumer import EventConsumer
from messaging.outbox import utcnow
from messaging.publisher import Publisher
from messaging.relay import OutboxRelay
from messaging.settings import RetentionSettings
from messaging.testing import MakeService, ServiceUnderTest
from sqlalchemy import func, insert, select, update


def test_an_inbox_kept_shorter_than_the_outbox_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MESSAGING_OUTBOX_RETENTION", "P7D")
    monkeypatch.setenv("MESSAGING_INBOX_RETENTION", "P2D")
    with pytest.raises(ValueError, match="MESSAGING_INBOX_RETENTION") as refused:
        RetentionSettings.load()
    assert "shorter than MESSAGING_OUTBOX_RETENTION" in str(refused.value)

    monkeypatch.setenv("MESSAGING_OUTBOX_RETENTION", "seven days")
    with pytest.raises(ValueError, match="MESSAGING_OUTBOX_RETENTION"):
        RetentionSettings.load()

    monkeypatch.setenv("MESSAGING_OUTBOX_RETENTION", "PT12H")
    monkeypatch.setenv("MESSAGING_INBOX_RETENTION", "P1D")
    loaded = RetentionSettings.load()
    assert (loaded.outbox_retention, loaded.inbox_retention) == (
        timedelta(hours=12),
        timedelta(days=1),
    )


def test_both_default_to_a_week(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESSAGING_OUTBOX_RETENTION", raising=False)
    monkeypatch.delenv("MESSAGING_INBOX_RETENTION", raising=False)
    loaded = RetentionSettings.load()
    assert loaded.outbox_retention == loaded.inbox_retention == timedelta(days=7)


async def _age(service: ServiceUnderTest, event_ids: list[str], by: timedelta) -> None:
    outbox = service.uow.tables.outbox
    async with service.engine.begin() as conn:
        await conn.execute(
            update(outbox).where(outbox.c.event_id.in_(event_ids)).values(created_at=utcnow() - by)
        )


async def _outbox_ids(service: ServiceUnderTest) -> set[str]:
    return set(await service.event_ids())


async def test_only_retained_rows_are_republished_and_older_sent_rows_are_pruned(
    own_broker: EmbeddedBroker, make_service: MakeService
) -> None:
    service = await make_service("retained")
    retention = RetentionSettings(outbox_retention=timedelta(days=7))
    await service.emit([f"p-{uuid.uuid4().hex[:6]}" for _ in range(10)])
    publisher = Publisher(own_broker.bootstrap_servers, timeout_s=2)
    try:
        relay = OutboxRelay(service.engine, service.uow, publisher, retention=retention)
        task = asyncio.create_task(relay.run())

        async def all_sent() -> bool:
            return relay.published >= 10

        await eventually(all_sent, timeout_s=20)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        written = await service.event_ids()
        old, young = written[:4], written[4:]
        await _age(service, old, timedelta(days=8))

        own_broker.stop()
        own_broker.start()
        await ensure_topics(own_broker.bootstrap_servers)
        restarted = OutboxRelay(service.engine, service.uow, publisher, retention=retention)
        task = asyncio.create_task(restarted.run())

        async def republished() -> bool:
            return restarted.published >= len(young)

        await eventually(republished, timeout_s=30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert restarted.republished == len(young)  # older than the retention: not again

        await restarted.forget_old()
        assert await _outbox_ids(service) == set(young)

        # A row never sent is never pruned, however old.
        await service.emit(["never-sent"])
        unsent = [i for i in await service.event_ids() if i not in young]
        await _age(service, unsent, timedelta(days=30))
        await restarted.forget_old()
        assert await _outbox_ids(service) == {*young, *unsent}
    finally:
        await publisher.close()


async def test_a_consumer_forgets_its_own_inbox_rows_past_the_inbox_retention(
    make_service: MakeService,
) -> None:
    service = await make_service("inboxes")
    inbox = service.uow.tables.inbox
    now = utcnow()
    async with service.engine.begin() as conn:
        await conn.execute(
            insert(inbox),
            [
                {
                    "consumer": group,
                    "event_id": f"{group}-{age}",
                    "event_type": "x",
                    "processed_at": now - timedelta(days=age),
                }
                for group in ("matching", "sessions")
                for age in (1, 6, 9)
            ],
        )
    consumer = EventConsumer(
        group="matching",
        topics=["cairn.profiles.people"],
        handlers={PersonCreated.event_type: service.record_effect()},
        uow=service.uow,
        publisher=Publisher("127.0.0.1:1"),
        bootstrap_servers="127.0.0.1:1",
        retention=RetentionSettings(
            outbox_retention=timedelta(days=5), inbox_retention=timedelta(days=8)
        ),
    )
    await consumer.forget_old()
    async with service.engine.connect() as conn:
        left = {r[0] for r in await conn.execute(select(inbox.c.event_id))}
        total = (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()
    assert left == {"matching-1", "matching-6", "sessions-1", "sessions-6", "sessions-9"}
    assert total == 5
