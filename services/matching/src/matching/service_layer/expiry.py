"""Proposals nobody answered in time lapse (DECLINED, "expired"), and the mentee is offered
the next best mentor, in the same transaction."""

from datetime import datetime, timedelta

from contracts.matches import MatchStatus
from messaging.outbox import UnitOfWorkFactory

from matching.adapters.repository import Matches, due_for_expiry_query
from matching.service_layer.matches import lapse
from matching.service_layer.self_serve import offer_next_best

BATCH = 100


async def expire_due(
    uows: UnitOfWorkFactory, now: datetime, expires_after: timedelta, *, batch: int = BATCH
) -> int:
    """Lapses every proposal due by `now`; how many lapsed."""
    async with uows() as uow:
        due = (await uow.session.execute(due_for_expiry_query(now, batch))).all()
    lapsed = 0
    for tenant_id, match_id in due:
        async with uows() as uow:
            row = await Matches(uow.session, tenant_id).get(match_id, lock=True)
            if row is None or row.status != MatchStatus.PROPOSED.value:
                continue  # answered meanwhile
            await lapse(uow, tenant_id, row, now)
            await uow.session.flush()  # the lapsed pair now counts as blocked
            await offer_next_best(
                uow,
                tenant_id,
                row.program_id,
                row.mentee_id,
                now=now,
                expires_after=expires_after,
            )
            await uow.commit()
            lapsed += 1
    return lapsed
