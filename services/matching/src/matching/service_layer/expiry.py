"""Proposals nobody answered in time lapse (DECLINED, "expired"), and the mentee is offered
the next best mentor, in the same transaction."""

from datetime import datetime, timedelta

from contracts.matches import MatchStatus
from messaging.outbox import UnitOfWorkFactory

from matching.adapters.matches import Matches, proposals_due
from matching.domain import lifecycle
from matching.domain.lifecycle import SYSTEM
from matching.service_layer.matches import record
from matching.service_layer.self_serve import offer_next_best

BATCH = 100


async def expire_due(
    uows: UnitOfWorkFactory, now: datetime, expires_after: timedelta, *, batch: int = BATCH
) -> int:
    """Lapses every proposal due by `now`; how many lapsed."""
    async with uows() as uow:
        due = await proposals_due(uow.session, now, batch)
    lapsed = 0
    for tenant_id, match_id in due:
        async with uows() as uow:
            match = await Matches(uow.session, tenant_id).get(match_id, lock=True)
            if match is None or match.status is not MatchStatus.PROPOSED:
                continue  # answered meanwhile
            # Written at once: the lapsed pair now counts as blocked.
            await record(uow, tenant_id, lifecycle.expire(match, SYSTEM, now))
            await offer_next_best(
                uow,
                tenant_id,
                match.program_id,
                match.mentee_id,
                now=now,
                expires_after=expires_after,
            )
            await uow.commit()
            lapsed += 1
    return lapsed
