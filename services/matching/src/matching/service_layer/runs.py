"""Match runs: asked for through the API (RUNNING), solved by a worker off the event loop,
then stored with their pairs and aggregates. A real run proposes each match (outbox); a dry
run proposes nothing, so policies can be compared before anyone is asked."""

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.matches import MatchOrigin, MatchRunCompleted, MatchRunSnapshot
from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow

from matching.adapters.repository import Runs, abandoned_runs_query, claim_run
from matching.adapters.tables import MatchRunPair, MatchRunRow
from matching.domain.model import CohortProblem, CohortSolution
from matching.service_layer.matches import propose, reasons_json
from matching.service_layer.pools import MATCHABLE, known_program, load_cohort
from matching.service_layer.refusals import Code, Refused, not_found
from matching.service_layer.run_summary import MINIMUM_GROUP_SIZE, summarize

log = logging.getLogger(__name__)

Solver = Callable[[CohortProblem], Awaitable[CohortSolution]]


@dataclass(frozen=True)
class RunSettings:
    proposal_ttl: timedelta
    minimum_group_size: int = MINIMUM_GROUP_SIZE
    run_timeout: timedelta = timedelta(minutes=30)


async def start_run(
    uow: UnitOfWork,
    tenant_id: str,
    program_id: str,
    *,
    dry_run: bool,
    now: datetime,
    policy: Mapping[str, Any] | None = None,
) -> MatchRunRow:
    """A new RUNNING run for a worker to take, under the program's policy or (dry runs) a
    policy to try. Refused when the program is not known here, closed, the policy unusable,
    or (real runs) another real run is still going."""
    if policy is not None and not dry_run:
        raise Refused(
            Code.INVALID,
            "policy",
            "only a dry run tries another policy; set it on the program to run it for real",
        )
    program = await known_program(uow, tenant_id, program_id)
    if program.status not in MATCHABLE:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE, "programId", f"a {program.status} program is not matched"
        )
    try:  # refuses an unusable policy now, not later
        await load_cohort(uow, tenant_id, program, policy)
    except Refused as refused:
        if policy is None:
            raise
        raise Refused(refused.code, "policy", refused.message) from refused
    runs = Runs(uow.session, tenant_id)
    if not dry_run and await runs.running(program_id, dry_run=False) is not None:
        raise Refused(Code.CONFLICT, "programId", "a match run of this program is still going")
    run = MatchRunRow(
        id=f"mr_{uuid.uuid4().hex}",
        tenant_id=tenant_id,
        program_id=program_id,
        dry_run=dry_run,
        status="RUNNING",
        policy=dict(policy if policy is not None else program.snapshot.get("matchingPolicy") or {}),
        started_at=now,
    )
    uow.session.add(run)
    return run


def run_snapshot(run: MatchRunRow) -> MatchRunSnapshot:
    return MatchRunSnapshot(
        id=run.id,
        program_id=run.program_id,
        dry_run=run.dry_run,
        status=run.status,
        matched_mentees=run.matched_mentees,
        unmatched_mentees=run.unmatched_mentees,
        mean_score=run.mean_score,
        by_group=run.by_group,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        policy=run.policy,
    )


async def execute_run(
    uows: UnitOfWorkFactory, tenant_id: str, run_id: str, solve: Solver, settings: RunSettings
) -> MatchRunRow:
    """Solves a RUNNING run and stores its outcome in one transaction (with its events); a
    run that fails is marked FAILED with the error, nothing else written."""
    try:
        return await _execute(uows, tenant_id, run_id, solve, settings)
    except Exception as exc:
        log.exception("match run %s failed", run_id)
        async with uows() as uow:
            run = await Runs(uow.session, tenant_id).get(run_id)
            if run is None:
                raise
            if run.status == "RUNNING":
                await fail_run(uow, run, str(exc) or type(exc).__name__, utcnow())
            await uow.commit()
            return run


async def fail_run(uow: UnitOfWork, run: MatchRunRow, error: str, now: datetime) -> None:
    """FAILED, with why; `matchrun.completed` says so to whoever waits for the run."""
    run.status = "FAILED"
    run.error = error[:2000]
    run.finished_at = now
    await uow.emit(MatchRunCompleted(run=run_snapshot(run)), tenant_id=run.tenant_id)


async def fail_abandoned_runs(uows: UnitOfWorkFactory, now: datetime, lease: timedelta) -> int:
    """Fails runs a worker took more than `lease` ago and never finished (its process
    stopped mid-solve); how many. Their program can be run again at once."""
    async with uows() as uow:
        stale = (await uow.session.execute(abandoned_runs_query(now - lease))).scalars().all()
        for run in stale:
            await fail_run(uow, run, "interrupted: the worker stopped before finishing", now)
        await uow.commit()
    return len(stale)


async def _execute(
    uows: UnitOfWorkFactory, tenant_id: str, run_id: str, solve: Solver, settings: RunSettings
) -> MatchRunRow:
    async with uows() as uow:
        run = await Runs(uow.session, tenant_id).get(run_id)
        if run is None:
            raise not_found("match run")
        if run.status != "RUNNING":
            return run
        program = await known_program(uow, tenant_id, run.program_id)
        # The policy as it was when the run was asked for (older runs kept none).
        cohort = await load_cohort(uow, tenant_id, program, run.policy or None)
    problem = cohort.problem()
    solution = await solve(problem)
    summary = summarize(problem, solution, settings.minimum_group_size)
    now = utcnow()
    async with uows() as uow:
        run = await Runs(uow.session, tenant_id).get(run_id)
        if run is None or run.status != "RUNNING":
            raise not_found("match run")  # removed or finished by another worker meanwhile
        for position, pair in enumerate(summary.pairs, start=1):
            uow.session.add(
                MatchRunPair(
                    run_id=run.id,
                    position=position,
                    mentor_id=pair.mentor_id,
                    mentee_ids=list(pair.mentee_ids),
                    score=round(pair.score, 4),
                    reasons=reasons_json(pair.reasons),
                )
            )
            if run.dry_run:
                continue
            for mentee_id in pair.mentee_ids:
                await propose(
                    uow,
                    tenant_id,
                    program_id=run.program_id,
                    kind=program.kind,
                    mentor_id=pair.mentor_id,
                    mentee_id=mentee_id,
                    score=pair.score,
                    reasons=pair.reasons,
                    origin=MatchOrigin.RUN,
                    now=now,
                    expires_after=settings.proposal_ttl,
                    run_id=run.id,
                    consent_needed=cohort.rules.consent_needed,
                )
        run.status = "COMPLETED"
        run.matched_mentees = summary.matched_mentees
        run.unmatched_mentees = summary.unmatched_mentees
        run.mean_score = summary.mean_score
        run.by_group = summary.by_group
        run.unmatched = list(summary.unmatched)
        run.finished_at = now
        await uow.emit(MatchRunCompleted(run=run_snapshot(run)), tenant_id=tenant_id)
        await uow.commit()
        return run


async def take_run(uows: UnitOfWorkFactory, run_id: str) -> str | None:
    """Claims a waiting run; its tenant, or None when another worker has it."""
    async with uows() as uow:
        run = await uow.session.get(MatchRunRow, run_id)
        if run is None or not await claim_run(uow.session, run_id, utcnow()):
            return None
        tenant_id = run.tenant_id
        await uow.commit()
        return tenant_id
