"""What every service does last when it forgets a person: the copies of the person's
identifiers in its outbox (events written, sent or not) are replaced, and the confirmation
goes out in the same transaction as the erasure itself."""

from collections.abc import Mapping

from contracts.people import erasure_confirmation
from messaging.outbox import UnitOfWork, utcnow
from persistence.redaction import redact_table
from sqlalchemy import Table


async def confirm_erasure(
    uow: UnitOfWork,
    *,
    service: str,
    tenant_id: str,
    person_id: str,
    replacements: Mapping[str, str],
    outbox: Table,
) -> None:
    # Sent rows are kept for republishing after a broker loses its log: rewritten, not
    # deleted, so a republished event still says what happened, naming nobody.
    await redact_table(uow.session, outbox, tenant_id, replacements)
    await uow.emit(erasure_confirmation(service, person_id, utcnow()), tenant_id=tenant_id)
