"""The gateway's part of forgetting a person, on its real database: the SCIM user becomes a
tombstone naming nobody, the HRIS identity learned for them and the HRIS changes about them
still in the outbox go, another person's change naming them as manager is rewritten, and the
request is recorded with the gateway's confirmation; the services' confirmations, as the
consumer hands them over, complete it."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from contracts.people import PersonErased, PersonStatus, PersonView, erasure_confirmation
from devstack.leftovers import mentions
from devstack.pytest_plugin import DatabaseFactory
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisConnection, HrisIdentity, Tenant
from gateway.bootstrap import MIGRATIONS
from gateway.erasure.forgetting import erasure_status, forget_in_gateway
from gateway.erasure.handlers import erasure_handlers
from gateway.scim.tables import ProvisionedUser
from messaging.consumer import Received
from messaging.envelope import envelope_for
from messaging.outbox import UnitOfWorkFactory, utcnow
from persistence.database import create_engine, session_factory
from persistence.migrations import upgrade_async
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import topics

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = ("Zephyrine", "Quillfeather", "zq-7731@example-corp.com", "EXT-ZQ-7731", "zquill")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway_db(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[AsyncEngine, UnitOfWorkFactory]]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    engine = create_engine(url)
    yield engine, UnitOfWorkFactory(session_factory(engine), messaging, "/cairn/gateway")
    await engine.dispose()


def _scim_user(tenant: str, external_id: str, user_name: str) -> ProvisionedUser:
    now = utcnow()
    return ProvisionedUser(
        id=str(uuid.uuid4()),
        tenant_id=tenant,
        user_name=user_name,
        user_name_key=user_name.lower(),
        external_id=f"okta-{user_name}",
        person_external_id=external_id,
        active=True,
        version=1,
        representation={"userName": user_name, "name": {"familyName": "Quillfeather"}},
        employee={"externalId": external_id, "email": "zq-7731@example-corp.com"},
        created_at=now,
        last_modified=now,
    )


def _hris_change(tenant: str, key: str, employee: dict[str, str]) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "topic": topics.HRIS_CHANGES,
        "key": key,
        "event_type": "hris.change.received",
        "source": "/cairn/gateway",
        "tenant_id": tenant,
        "data": {"change": {"employee": employee}},
        "created_at": utcnow(),
    }


async def test_the_gateway_forgets_its_copies_and_gathers_confirmations(
    gateway_db: tuple[AsyncEngine, UnitOfWorkFactory],
) -> None:
    engine, uow = gateway_db
    tenant, connection = f"t-{uuid.uuid4().hex[:8]}", f"hc-{uuid.uuid4().hex[:8]}"
    now = utcnow()
    async with uow() as work:
        work.session.add(Tenant(id=tenant, name="Forgetful", created_at=now))
        await work.session.flush()
        work.session.add(HrisConnection(id=connection, tenant_id=tenant, created_at=now))
        await work.session.flush()
        work.session.add(
            HrisIdentity(
                connection_id=connection,
                provider_id="merge-1",
                external_id="EXT-ZQ-7731",
                learned_at=now,
            )
        )
        work.session.add(_scim_user(tenant, "EXT-ZQ-7731", "zquill"))
        work.session.add(_scim_user(tenant, "EXT-OTHER", "other"))
        await work.session.execute(
            insert(messaging.outbox).values(
                [
                    _hris_change(tenant, "EXT-ZQ-7731", {"displayName": "Zephyrine Q"}),
                    _hris_change(tenant, "EXT-R1", {"managerExternalId": "EXT-ZQ-7731"}),
                ]
            )
        )
        await work.commit()
    person = PersonView(
        id=str(uuid.uuid4()),
        external_id="EXT-ZQ-7731",
        email="zq-7731@example-corp.com",
        given_name="Zephyrine",
        family_name="Quillfeather",
        display_name="Zephyrine Quillfeather",
        user_name="zquill",
        time_zone="Europe/Berlin",
        status=PersonStatus.ACTIVE,
    )
    assert await mentions(engine, NAMES)

    async with uow() as work:
        status = await forget_in_gateway(work, tenant, person)
    assert status.confirmed_by == ["gateway"]
    assert await mentions(engine, NAMES) == []
    async with engine.connect() as conn:
        identities = (await conn.execute(select(HrisIdentity.external_id))).scalars().all()
        users = (
            await conn.execute(
                select(ProvisionedUser.person_external_id, ProvisionedUser.deleted_at).where(
                    ProvisionedUser.tenant_id == tenant
                )
            )
        ).all()
        keys = (
            await conn.execute(
                select(messaging.outbox.c.key, messaging.outbox.c.data).where(
                    messaging.outbox.c.tenant_id == tenant
                )
            )
        ).all()
    assert "EXT-ZQ-7731" not in identities
    assert sorted((u[0], u[1] is not None) for u in users) == [
        ("EXT-OTHER", False),
        (f"erased:{person.id}", True),
    ]
    # The person's own change is gone; the report's names an id that names nobody.
    assert [(k, d["change"]["employee"]) for k, d in keys] == [
        ("EXT-R1", {"managerExternalId": f"erased:{person.id}"})
    ]

    # The services confirm, as the gateway's consumer hands their events over (twice: once).
    handlers = erasure_handlers()
    events = [PersonErased(person_id=person.id, erased_at=datetime.now(UTC))]
    events += [erasure_confirmation(s, person.id, now) for s in ("matching", "sessions")]
    events += [erasure_confirmation("feedback", person.id, now)] * 2
    for event in events:
        envelope = envelope_for(event, tenant_id=tenant, source="/cairn/test")
        async with uow() as work:
            await handlers[event.event_type](work, Received(envelope=envelope, event=event))
            await work.commit()
    async with uow() as work:
        done = await erasure_status(work, tenant, person.id)
    assert done is not None and done.request_id == status.request_id
    assert done.confirmed_by == ["feedback", "gateway", "matching", "profiles", "sessions"]

    # Asking again answers the first request.
    async with uow() as work:
        again = await forget_in_gateway(work, tenant, person)
    assert again.request_id == status.request_id
