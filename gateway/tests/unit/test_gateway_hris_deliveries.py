"""Accepting HRIS deliveries into the gateway's outbox (service layer), against a real database
(SQLite, or PostgreSQL with TEST_DATABASE_URL) migrated as the gateway migrates itself: one
transaction holds the changes, the receipt and what the provider learned; a redelivery
changes nothing; deliveries of one connection are accepted one at a time."""

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisConnection, HrisDeliveryReceipt, HrisPendingManager
from gateway.bootstrap import MIGRATIONS
from gateway.domain.hris_delivery import RECEIPT_RETENTION, HrisDelivery, change_event_id
from gateway.hris import bamboohr, canonical, merge
from gateway.hris.delivery import (
    InvalidDelivery,
    UnsealedConnection,
    VerificationFailed,
    Verified,
)
from gateway.service_layer.hris_connections import active_connection, create_hris_connection
from gateway.service_layer.hris_deliveries import (
    accept_delivery,
    accepted_before,
    forget_old_receipts,
)
from gateway.service_layer.tenants import create_tenant
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from runtime.sealing import Sealer, new_key
from sqlmodel import col, func, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEALER = Sealer([new_key()])
PROVIDER_KEY = "the-key-the-provider-shows"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def uow(database_factory: DatabaseFactory) -> AsyncIterator[UnitOfWorkFactory]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    yield UnitOfWorkFactory(session_factory(engine), messaging, "/test/gateway")
    await engine.dispose()


async def connection_of(
    uow: UnitOfWorkFactory, provider: str, settings: dict[str, Any] | None = None
) -> UnsealedConnection:
    async with uow() as tx:
        tenant = await create_tenant(tx, "Deliveries AG", SEALER)
    if provider == "canonical":
        connection_id = tenant.hris_connection_id
    else:
        async with uow() as tx:
            made = await create_hris_connection(
                tx, SEALER, tenant.tenant_id, provider, secret=PROVIDER_KEY, settings=settings
            )
        connection_id = made.hris_connection_id
    async with uow() as tx:
        found = await active_connection(tx, connection_id, SEALER)
    assert found is not None
    return found


def hire(change_id: str, external_id: str) -> dict[str, Any]:
    return {
        "id": change_id,
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id.lower()}@example.com",
            "displayName": external_id,
        },
    }


def canonical_delivery(*changes: dict[str, Any]) -> HrisDelivery:
    return HrisDelivery.model_validate({"changes": list(changes)})


async def accept_canonical(
    uow: UnitOfWorkFactory, connection: UnsealedConnection, delivery_id: str, delivery: HrisDelivery
) -> int:
    return await accept_delivery(
        uow, canonical.PROVIDER, delivery, connection, Verified(delivery_id), RECEIVED
    )


async def stored_events(uow: UnitOfWorkFactory, connection: UnsealedConnection) -> list[Any]:
    """The outbox's hris.change.received rows of this connection, in write order."""
    outbox = messaging.outbox
    async with uow() as tx:
        rows = await tx.session.execute(
            select(outbox.c.event_id, outbox.c.data)
            .where(outbox.c.tenant_id == connection.tenant_id)
            .order_by(outbox.c.id)
        )
        return [row for row in rows if row.data["connectionId"] == connection.id]


async def receipts(uow: UnitOfWorkFactory, connection: UnsealedConnection) -> int:
    async with uow() as tx:
        counted = await tx.session.exec(
            select(func.count())
            .select_from(HrisDeliveryReceipt)
            .where(col(HrisDeliveryReceipt.connection_id) == connection.id)
        )
        return int(counted.one())


async def test_a_delivery_is_stored_with_its_receipt_and_a_redelivery_changes_nothing(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await connection_of(uow, "canonical")
    delivery = canonical_delivery(hire("chg-1", "E1"), hire("chg-2", "E2"))
    assert await accepted_before(uow, connection.id, "msg_1") is None

    assert await accept_canonical(uow, connection, "msg_1", delivery) == 2
    events = await stored_events(uow, connection)
    assert [e.event_id for e in events] == [
        change_event_id(connection.id, "chg-1"),
        change_event_id(connection.id, "chg-2"),
    ]
    assert [e.data["channel"] for e in events] == ["webhook", "webhook"]
    assert await accepted_before(uow, connection.id, "msg_1") == 2

    # Sent again under the same delivery id (even with other content): answered as before.
    other = canonical_delivery(hire("chg-3", "E3"))
    assert await accept_canonical(uow, connection, "msg_1", other) == 2
    assert len(await stored_events(uow, connection)) == 2
    assert await receipts(uow, connection) == 1


async def test_changes_sent_again_under_a_new_delivery_id_are_stored_once(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await connection_of(uow, "canonical")
    await accept_canonical(uow, connection, "msg_a", canonical_delivery(hire("chg-1", "E1")))
    again = canonical_delivery(hire("chg-1", "E1"), hire("chg-2", "E2"), hire("chg-2", "E2"))
    # Three changes accepted; only chg-2 is new, and it is stored once.
    assert await accept_canonical(uow, connection, "msg_b", again) == 3
    assert [e.event_id for e in await stored_events(uow, connection)] == [
        change_event_id(connection.id, "chg-1"),
        change_event_id(connection.id, "chg-2"),
    ]
    assert await receipts(uow, connection) == 2


async def test_receipts_are_per_connection(uow: UnitOfWorkFactory) -> None:
    one, other = await connection_of(uow, "canonical"), await connection_of(uow, "canonical")
    await accept_canonical(uow, one, "msg_same", canonical_delivery(hire("chg-1", "E1")))
    assert await accepted_before(uow, other.id, "msg_same") is None
    assert await accept_canonical(uow, other, "msg_same", canonical_delivery(hire("c", "E"))) == 1
    assert len(await stored_events(uow, other)) == 1


async def test_a_disabled_connection_accepts_nothing(uow: UnitOfWorkFactory) -> None:
    connection = await connection_of(uow, "canonical")
    async with uow() as tx:
        found = await tx.session.get(HrisConnection, connection.id)
        assert found is not None
        found.disabled_at = RECEIVED
        await tx.commit()
    with pytest.raises(VerificationFailed):
        await accept_canonical(uow, connection, "msg_1", canonical_delivery(hire("c", "E")))
    assert await stored_events(uow, connection) == []
    assert await receipts(uow, connection) == 0


# --- Merge: identities in the delivery's transaction ---------------------------------------


def merge_employee(merge_id: str, remote_id: str | None, manager: str | None = None) -> Any:
    return merge.MergeDelivery.model_validate(
        {
            "hook": {"event": "Employee.changed"},
            "data": copy.deepcopy(
                {
                    "id": merge_id,
                    "remote_id": remote_id,
                    "display_full_name": f"Kendall {remote_id}",
                    "work_email": f"{merge_id}@waystar.example",
                    "manager": manager,
                    "employment_status": "ACTIVE",
                    "modified_at": "2026-11-01T10:00:00Z",
                }
            ),
        }
    )


async def accept_merge(
    uow: UnitOfWorkFactory, connection: UnsealedConnection, delivery: merge.MergeDelivery
) -> int:
    signature = f"sig-{delivery.data.id}"
    return await accept_delivery(
        uow, merge.PROVIDER, delivery, connection, Verified(signature), RECEIVED
    )


async def pending(uow: UnitOfWorkFactory, connection: UnsealedConnection) -> int:
    async with uow() as tx:
        counted = await tx.session.exec(
            select(func.count())
            .select_from(HrisPendingManager)
            .where(col(HrisPendingManager.connection_id) == connection.id)
        )
        return int(counted.one())


async def test_an_invalid_merge_delivery_stores_nothing_at_all(uow: UnitOfWorkFactory) -> None:
    connection = await connection_of(uow, "merge")
    with pytest.raises(InvalidDelivery):
        await accept_merge(uow, connection, merge_employee("m-x", None, manager="m-boss"))
    assert await stored_events(uow, connection) == []
    assert await receipts(uow, connection) == 0
    assert await pending(uow, connection) == 0


@pytest.mark.parametrize("round_", range(5))
async def test_a_report_and_its_manager_racing_link_them_exactly_once(
    uow: UnitOfWorkFactory, round_: int
) -> None:
    connection = await connection_of(uow, "merge")
    report = merge_employee("m-r", "R1", manager="m-boss")
    boss = merge_employee("m-boss", "B1")
    deliveries = [report, boss] if round_ % 2 == 0 else [boss, report]
    await asyncio.gather(*(accept_merge(uow, connection, d) for d in deliveries))

    changes = [e.data["change"] for e in await stored_events(uow, connection)]
    naming_the_manager = [
        c
        for c in changes
        if c["employee"]["externalId"] == "R1" and c["employee"].get("managerExternalId") == "B1"
    ]
    # Whichever came second saw the first: the report names the manager, or the manager's
    # delivery sends the link; never neither, never both.
    assert len(naming_the_manager) == 1, changes
    assert await pending(uow, connection) == 0
    assert await receipts(uow, connection) == 2


# --- BambooHR: the same bytes may stand for a later change, within a second ---------------


async def test_a_notification_is_taken_again_until_a_fetch_settles_it(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await connection_of(
        uow,
        "bamboohr",
        {"api_base": "https://bamboo.example/api/gateway.php/acme", "api_key": PROVIDER_KEY},
    )
    notice = bamboohr.BambooHREvent.model_validate(
        {"type": "employee.updated", "data": {"employeeId": "101"}}
    )
    verified = Verified("signature-digest", sent_at=RECEIVED)

    def read_at(after: timedelta, title: str) -> bamboohr.Fetched:
        record = {"firstName": "Ada", "lastName": "Obi", "jobTitle": title, "status": "Active"}
        return bamboohr.Fetched(notice, RECEIVED + after, record)

    async def accept(fetched: bamboohr.Fetched) -> int:
        return await accept_delivery(
            uow, bamboohr.PROVIDER, fetched, connection, verified, RECEIVED
        )

    # Read within the second it was signed in: a second change of that second may be missing.
    assert await accept(read_at(timedelta(milliseconds=300), "Engineer")) == 1
    assert await accepted_before(uow, connection.id, "signature-digest") is None
    # The same bytes again, read a second later: that read saw everything, and settles them.
    assert await accept(read_at(timedelta(seconds=2), "Staff Engineer")) == 1
    assert await accepted_before(uow, connection.id, "signature-digest") == 1
    assert await accept(read_at(timedelta(seconds=3), "never stored")) == 1

    titles = [e.data["change"]["employee"]["title"] for e in await stored_events(uow, connection)]
    assert titles == ["Engineer", "Staff Engineer"]
    assert await receipts(uow, connection) == 1


# --- the retention ------------------------------------------------------------------------


async def test_receipts_past_the_retention_are_forgotten(uow: UnitOfWorkFactory) -> None:
    connection = await connection_of(uow, "canonical")
    await accept_canonical(uow, connection, "msg_old", canonical_delivery(hire("c1", "E1")))
    later = RECEIVED + timedelta(days=1)
    await accept_delivery(
        uow,
        canonical.PROVIDER,
        canonical_delivery(hire("c2", "E2")),
        connection,
        Verified("msg_new"),
        later,
    )
    assert await forget_old_receipts(uow, RECEIVED + RECEIPT_RETENTION) == 0
    forgotten = await forget_old_receipts(uow, RECEIVED + RECEIPT_RETENTION + timedelta(hours=1))
    assert forgotten >= 1  # other tests' receipts share the moment
    assert await accepted_before(uow, connection.id, "msg_old") is None
    assert await accepted_before(uow, connection.id, "msg_new") == 1
