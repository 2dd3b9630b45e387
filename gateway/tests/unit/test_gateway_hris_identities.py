"""Merge names managers by Merge ids: the identity map learned from deliveries, and manager
links that wait for an identity, written in the delivery's own transaction, against a real
database (SQLite, or PostgreSQL with TEST_DATABASE_URL) migrated as the gateway migrates
itself."""

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from contracts.hris import HrisChange, HrisChangeType
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisIdentity, HrisPendingManager
from gateway.bootstrap import MIGRATIONS
from gateway.hris import merge
from gateway.hris.delivery import (
    InvalidDelivery,
    NormalizeContext,
    UnsealedConnection,
    Verified,
    epoch_ms,
)
from gateway.service_layer.hris_connections import active_connection, create_hris_connection
from gateway.service_layer.tenants import create_tenant
from messaging.outbox import UnitOfWorkFactory
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from runtime.sealing import Sealer, new_key
from sqlmodel import col, func, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEALER = Sealer([new_key()])
MERGE_KEY = "merge-organization-signature-key"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def uow(database_factory: DatabaseFactory) -> AsyncIterator[UnitOfWorkFactory]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    yield UnitOfWorkFactory(session_factory(engine), messaging, "/test/gateway")
    await engine.dispose()


async def merge_connection(uow: UnitOfWorkFactory) -> UnsealedConnection:
    async with uow() as tx:
        tenant = await create_tenant(tx, "Identity Test", SEALER)
    async with uow() as tx:
        made = await create_hris_connection(tx, SEALER, tenant.tenant_id, "merge", secret=MERGE_KEY)
    async with uow() as tx:
        found = await active_connection(tx, made.hris_connection_id, SEALER)
    assert found is not None
    return found


def employee(
    merge_id: str,
    remote_id: str | None,
    *,
    manager: str | None = None,
    modified: str = "2026-11-01T10:00:00Z",
    **more: Any,
) -> dict[str, Any]:
    return {
        "id": merge_id,
        "remote_id": remote_id,
        "first_name": "Kendall",
        "last_name": remote_id or merge_id,
        "display_full_name": f"Kendall {remote_id or merge_id}",
        "work_email": f"{merge_id}@waystar.example",
        "manager": manager,
        "employment_status": "ACTIVE",
        "modified_at": modified,
        **more,
    }


async def normalize(
    uow: UnitOfWorkFactory,
    connection: UnsealedConnection,
    data: dict[str, Any],
    *,
    event: str = "Employee.changed",
    accept: bool = True,
    delivery_id: str | None = None,
) -> list[HrisChange]:
    delivery = merge.MergeDelivery.model_validate(
        {"hook": {"event": event}, "data": copy.deepcopy(data)}
    )
    verified = Verified(delivery_id or f"sig-{data['id']}-{data['modified_at']}")
    # As the webhook accepts it: one transaction, committed only for an accepted delivery.
    async with uow() as tx:
        changes = await merge.normalize(
            delivery, NormalizeContext(connection, verified, RECEIVED, tx)
        )
        if accept:
            await tx.commit()
    return changes


async def pending(uow: UnitOfWorkFactory, connection: UnsealedConnection) -> list[tuple[str, int]]:
    async with uow() as tx:
        rows = await tx.session.exec(
            select(HrisPendingManager).where(col(HrisPendingManager.connection_id) == connection.id)
        )
        return sorted((r.employee_external_id, r.source_version) for r in rows)


async def identities(uow: UnitOfWorkFactory, connection: UnsealedConnection) -> int:
    async with uow() as tx:
        counted = await tx.session.exec(
            select(func.count())
            .select_from(HrisIdentity)
            .where(col(HrisIdentity.connection_id) == connection.id)
        )
        return int(counted.one())


async def test_a_report_before_its_manager_is_linked_when_the_manager_arrives(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await merge_connection(uow)
    [report] = await normalize(uow, connection, employee("m-r", "R1", manager="m-boss"))
    assert "manager_external_id" not in report.employee.model_fields_set
    version = epoch_ms(datetime(2026, 11, 1, 10, tzinfo=UTC))
    assert await pending(uow, connection) == [("R1", version)]

    boss, link = await normalize(uow, connection, employee("m-boss", "B1"))
    assert boss.employee.external_id == "B1"
    assert link.type is HrisChangeType.UPDATED
    assert (link.employee.external_id, link.employee.manager_external_id) == ("R1", "B1")
    assert link.source_version == report.source_version  # the version that named the manager
    assert link.id == f"merge-manager:R1:{version}"
    assert await pending(uow, connection) == []

    # Once sent, the link is not sent again.
    assert len(await normalize(uow, connection, employee("m-boss", "B1"))) == 1


async def test_a_manager_already_known_is_named_at_once(uow: UnitOfWorkFactory) -> None:
    connection = await merge_connection(uow)
    await normalize(uow, connection, employee("m-boss", "B2"))
    [report] = await normalize(uow, connection, employee("m-r", "R2", manager="m-boss"))
    assert report.employee.manager_external_id == "B2"
    assert await pending(uow, connection) == []


async def test_links_stay_until_a_delivery_that_sends_them_is_accepted(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await merge_connection(uow)
    await normalize(uow, connection, employee("m-r", "R3", manager="m-boss"))
    # The manager's delivery could not be stored (503, rolled back): the HRIS sends it again.
    first = await normalize(uow, connection, employee("m-boss", "B3"), accept=False)
    assert len(first) == 2
    assert len(await pending(uow, connection)) == 1
    again = await normalize(uow, connection, employee("m-boss", "B3"))
    assert [c.id for c in again] == [c.id for c in first]
    assert await pending(uow, connection) == []


async def test_each_version_that_named_an_unknown_manager_gets_its_link(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await merge_connection(uow)
    await normalize(uow, connection, employee("m-r", "R4", manager="m-old"))
    later = "2026-11-01T11:00:00Z"
    await normalize(uow, connection, employee("m-r", "R4", manager="m-new", modified=later))
    [_, link] = await normalize(uow, connection, employee("m-old", "OLD"))
    [_, newer] = await normalize(uow, connection, employee("m-new", "NEW"))
    # Whatever order they arrive in downstream, the newer version names the newer manager.
    assert link.source_version < newer.source_version
    assert newer.employee.manager_external_id == "NEW"


async def test_a_removal_without_remote_id_uses_the_learned_identity(
    uow: UnitOfWorkFactory,
) -> None:
    connection = await merge_connection(uow)
    await normalize(uow, connection, employee("m-gone", "G1"))
    gone = employee("m-gone", None, modified="2026-11-03T10:00:00Z", remote_was_deleted=True)
    [change] = await normalize(uow, connection, gone, event="Employee.removed")
    assert (change.type, change.employee.external_id) == (HrisChangeType.TERMINATED, "G1")

    with pytest.raises(InvalidDelivery) as caught:
        await normalize(uow, connection, employee("m-never-seen", None))
    assert [e["field"] for e in caught.value.errors] == ["data.remote_id"]


async def test_an_invalid_delivery_teaches_nothing(uow: UnitOfWorkFactory) -> None:
    connection = await merge_connection(uow)
    hire = employee("m-x", "X1", manager="m-unknown", work_email=None)
    with pytest.raises(InvalidDelivery):
        await normalize(uow, connection, hire, event="Employee.added")
    assert await identities(uow, connection) == 0
    assert await pending(uow, connection) == []


async def test_identities_are_per_connection(uow: UnitOfWorkFactory) -> None:
    one, other = await merge_connection(uow), await merge_connection(uow)
    await normalize(uow, one, employee("m-shared", "S1"))
    [report] = await normalize(uow, other, employee("m-r", "R5", manager="m-shared"))
    assert "manager_external_id" not in report.employee.model_fields_set
