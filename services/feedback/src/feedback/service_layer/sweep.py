"""What time alone brings, checked by a periodic sweep (any tenant): requests that expire,
relationship pulses that fall due, and matches that went silent."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from contracts.matches import MatchStatus
from messaging.outbox import UnitOfWork, utcnow
from runtime.process import ServiceProcess
from sqlmodel import col, select

from feedback.adapters.tables import KnownMatch, KnownProgram
from feedback.domain.periods import utc
from feedback.domain.request_schedule import RequestRules, pulses_due
from feedback.service_layer.relationships import timeline
from feedback.service_layer.requests import expire_due, issue, people_statuses
from feedback.service_layer.warnings import evaluate, program_thresholds, thresholds_of

log = logging.getLogger(__name__)

Worker = Callable[[ServiceProcess], Coroutine[Any, Any, None]]
_OPEN = [MatchStatus.ACCEPTED.value, MatchStatus.ACTIVE.value]


async def _open_matches(uow: UnitOfWork) -> list[tuple[str, str]]:
    rows = await uow.session.exec(
        select(KnownMatch.tenant_id, KnownMatch.match_id).where(col(KnownMatch.status).in_(_OPEN))
    )
    return [(t, m) for t, m in rows]


async def send_pulses(
    uow: UnitOfWork, tenant_id: str, match_id: str, now: datetime, rules: RequestRules
) -> int:
    match = await uow.session.get(KnownMatch, (tenant_id, match_id))
    if match is None or match.status not in _OPEN:
        return 0
    line = timeline(match)
    if line.started_at is None or utc(now) - utc(line.started_at) < rules.first_pulse_after:
        return 0
    people = await people_statuses(uow, tenant_id, line.participant_ids)
    planned = pulses_due(line, match.pulses_sent, people, now, rules)
    if not planned:
        return 0
    number = int(planned[0].key.split(":")[2])  # "pulse:<match>:<number>:<person>"
    match.pulses_sent = [*match.pulses_sent, number]
    return len(await issue(uow, tenant_id, planned, now))


async def _silent(uow: UnitOfWork, tenant_id: str, match_id: str, now: datetime) -> bool:
    """A cheap look before the full assessment: has the match been quiet past its program's
    silence threshold?"""
    match = await uow.session.get(KnownMatch, (tenant_id, match_id))
    if match is None:
        return False
    since = match.last_held_at or match.accepted_at
    if since is None:
        return False
    program = await uow.session.get(KnownProgram, (tenant_id, match.program_id))
    silence: timedelta = thresholds_of(program_thresholds(program)).silence
    return utc(now) - utc(since) >= silence


async def sweep(process: ServiceProcess, rules: RequestRules, now: datetime) -> dict[str, int]:
    done = {"expired": 0, "pulses": 0, "flags": 0}
    async with process.uow() as uow:
        done["expired"] = await expire_due(uow, now)
        await uow.commit()
        matches = await _open_matches(uow)
    for tenant_id, match_id in matches:
        # One match per transaction: a failure costs one match, and no lock is held long.
        async with process.uow() as uow:
            done["pulses"] += await send_pulses(uow, tenant_id, match_id, now, rules)
            if await _silent(uow, tenant_id, match_id, now):
                done["flags"] += await evaluate(uow, tenant_id, match_id, now)
            await uow.commit()
    return done


def sweep_worker(rules: RequestRules, poll_s: float) -> Worker:
    async def run(process: ServiceProcess) -> None:
        while True:
            try:
                done = await sweep(process, rules, utcnow())
                if any(done.values()):
                    log.info("feedback sweep: %s", done)
            except Exception:
                log.exception("the feedback sweep failed; trying again")
            await asyncio.sleep(poll_s)

    return run
