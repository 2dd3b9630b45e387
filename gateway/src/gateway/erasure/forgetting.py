"""The gateway's part of forgetting a person, done in one transaction before profiles is asked
(so a failure there leaves the person findable and the request can be made again): the SCIM
user provisioning them becomes a tombstone naming nobody, what the gateway learned of their
HRIS identity goes, the HRIS changes about them still in the outbox (they carry the whole
employee) are deleted, and every other copy of their identifiers (a webhook body, another
person's change naming them as manager, a SCIM group) is replaced. The request is recorded
with the gateway's own confirmation; the services' come as events (`handlers`)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.people import PersonView, erased_external_id, erasure_replacements
from messaging.outbox import UnitOfWork, utcnow
from persistence.redaction import redact_table
from sqlalchemy import Table, delete, update
from sqlmodel import col, select

from contracts import topics
from gateway.adapters.metadata import messaging
from gateway.adapters.tables import HrisConnection, HrisIdentity, HrisPendingManager
from gateway.erasure.tables import ErasureConfirmation, PersonErasure
from gateway.scim.tables import ProvisionedGroup, ProvisionedUser
from gateway.webhooks.tables import WebhookDelivery

GATEWAY = "gateway"
_QUOTING: tuple[Table, ...] = (
    ProvisionedUser.__table__,  # type: ignore[attr-defined]
    ProvisionedGroup.__table__,  # type: ignore[attr-defined]
    WebhookDelivery.__table__,  # type: ignore[attr-defined]
    messaging.outbox,
)


@dataclass(frozen=True)
class ErasureStatus:
    request_id: str
    person_id: str
    requested_at: datetime
    confirmed_by: Sequence[str]


async def forget_in_gateway(uow: UnitOfWork, tenant_id: str, person: PersonView) -> ErasureStatus:
    """Commits the gateway's part; asking again for the same person answers the first
    request (and forgets again whatever arrived since)."""
    replacements = erasure_replacements(person)
    external_id = person.external_id
    if external_id:
        await _forget_hris_identity(uow, tenant_id, external_id)
        await uow.session.execute(
            update(ProvisionedUser)
            .where(
                col(ProvisionedUser.tenant_id) == tenant_id,
                col(ProvisionedUser.person_external_id) == external_id,
            )
            .values(
                user_name=erased_external_id(person.id),
                user_name_key=erased_external_id(person.id),
                external_id=None,
                person_external_id=erased_external_id(person.id),
                active=False,
                representation={},
                employee={},
                deleted_at=utcnow(),
            )
        )
    for table in _QUOTING:
        await redact_table(uow.session, table, tenant_id, replacements)
    request = await uow.session.get(PersonErasure, (tenant_id, person.id))
    if request is None:
        request = PersonErasure(
            tenant_id=tenant_id,
            person_id=person.id,
            request_id=uuid.uuid4().hex,
            requested_at=utcnow(),
        )
        uow.session.add(request)
    await confirm(uow, tenant_id, person.id, GATEWAY)
    status = ErasureStatus(
        request.request_id,
        person.id,
        request.requested_at,
        await _confirmed(uow, tenant_id, person.id),
    )
    await uow.commit()
    return status


async def _forget_hris_identity(uow: UnitOfWork, tenant_id: str, external_id: str) -> None:
    connections = select(HrisConnection.id).where(col(HrisConnection.tenant_id) == tenant_id)
    await uow.session.execute(
        delete(HrisIdentity).where(
            col(HrisIdentity.connection_id).in_(connections),
            col(HrisIdentity.external_id) == external_id,
        )
    )
    await uow.session.execute(
        delete(HrisPendingManager).where(
            col(HrisPendingManager.connection_id).in_(connections),
            col(HrisPendingManager.employee_external_id) == external_id,
        )
    )
    # The HRIS changes about the person (keyed by their HRIS id) carry the whole employee.
    outbox = messaging.outbox
    await uow.session.execute(
        delete(outbox).where(
            outbox.c.tenant_id == tenant_id,
            outbox.c.topic == topics.HRIS_CHANGES,
            outbox.c.key == external_id,
        )
    )


async def confirm(uow: UnitOfWork, tenant_id: str, person_id: str, service: str) -> None:
    """Records `service`'s confirmation once (a redelivery or a second request adds none)."""
    if await uow.session.get(ErasureConfirmation, (tenant_id, person_id, service)) is None:
        uow.session.add(
            ErasureConfirmation(
                tenant_id=tenant_id, person_id=person_id, service=service, confirmed_at=utcnow()
            )
        )
        await uow.session.flush()


async def erasure_status(uow: UnitOfWork, tenant_id: str, person_id: str) -> ErasureStatus | None:
    request = await uow.session.get(PersonErasure, (tenant_id, person_id))
    if request is None:
        return None
    return ErasureStatus(
        request.request_id,
        person_id,
        request.requested_at,
        await _confirmed(uow, tenant_id, person_id),
    )


async def _confirmed(uow: UnitOfWork, tenant_id: str, person_id: str) -> list[str]:
    rows = await uow.session.exec(
        select(ErasureConfirmation.service)
        .where(
            col(ErasureConfirmation.tenant_id) == tenant_id,
            col(ErasureConfirmation.person_id) == person_id,
        )
        .order_by(col(ErasureConfirmation.service))
    )
    return list(rows.all())
