"""Match runs: asked for through the API (RUNNING), solved by a worker off the event loop,
then stored with their pairs and aggregates. A real run proposes each match (outbox); a dry
run proposes nothing, so policies can be compared before anyone is asked."""

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from contracts.internal.matching import MatchRunView
from contracts.matches import MatchOrigin, MatchRunCompleted, MatchRunSnapshot, MatchRunStatus
from contracts.problems import Code
from contracts.programs import MatchingPolicyTerms
from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from runtime.refusals import Refused, invalid, not_found

from matching.adapters.runs import MatchRun, RunPair, Runs, abandoned_runs, claim_run
from matching.domain.lifecycle import reason_snapshot
from matching.domain.model import CohortProblem, CohortSolution
from matching.service_layer.matches import propose
from matching.service_layer.pools import known_program, load_cohort, require_matchable
from matching.service_layer.run_summary import MINIMUM_GROUP_SIZE, RunSummary, summarize

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
    policy: MatchingPolicyTerms | None = None,
) -> MatchRun:
    """A new RUNNING run for a worker to take, under the program's policy or (dry runs) a
    policy to try. Refused when the program is not known here, closed, the policy unusable,
    or (real runs) another real run is still going."""
    if policy is not None and not dry_run:
        raise invalid(
            "policy",
            "only a dry run tries another policy; set it on the program to run it for real",
        )
    program = await known_program(uow, tenant_id, program_id)
    require_matchable(program)
    trial = None if policy is None else policy.snapshot()
    try:  # refuses an unusable policy now, not later
        await load_cohort(uow, tenant_id, program, trial)
    except Refused as refused:
        if trial is None:
            raise
        raise Refused(refused.code, "policy", refused.message) from refused
    runs = Runs(uow.session, tenant_id)
    if not dry_run and await runs.any_running(program_id, dry_run=False):
        raise Refused(Code.CONFLICT, "programId", "a match run of this program is still going")
    run = MatchRun(
        id=f"mr_{uuid.uuid4().hex}",
        tenant_id=tenant_id,
        program_id=program_id,
        dry_run=dry_run,
        status=MatchRunStatus.RUNNING,
        policy=trial or program.matching_policy,
        started_at=now,
    )
    runs.start(run)
    return run


def run_snapshot(run: MatchRun) -> MatchRunSnapshot:
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
        policy=None if run.policy is None else run.policy.model_dump(mode="json", by_alias=True),
        optimality=run.optimality,
        optimality_gap=run.optimality_gap,
    )


def run_view(run: MatchRun) -> MatchRunView:
    """A run as the API shows it: who was left unmatched and why; the per-group figures only
    once it completed."""
    fields = dict(run_snapshot(run))
    fields["by_group"] = run.by_group if run.status is MatchRunStatus.COMPLETED else None
    return MatchRunView(**fields, unmatched=list(run.unmatched))


def completed(run: MatchRun, summary: RunSummary, now: datetime) -> MatchRun:
    return replace(
        run,
        status=MatchRunStatus.COMPLETED,
        matched_mentees=summary.matched_mentees,
        unmatched_mentees=summary.unmatched_mentees,
        mean_score=summary.mean_score,
        by_group=summary.by_group,
        unmatched=summary.unmatched,
        optimality=summary.optimality,
        optimality_gap=summary.optimality_gap,
        finished_at=now,
    )


def failed(run: MatchRun, error: str, now: datetime) -> MatchRun:
    return replace(run, status=MatchRunStatus.FAILED, error=error[:2000], finished_at=now)


async def execute_run(
    uows: UnitOfWorkFactory, tenant_id: str, run_id: str, solve: Solver, settings: RunSettings
) -> MatchRun:
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
            if run.status is MatchRunStatus.RUNNING:
                run = await fail_run(uow, run, str(exc) or type(exc).__name__, utcnow())
            await uow.commit()
            return run


async def fail_run(uow: UnitOfWork, run: MatchRun, error: str, now: datetime) -> MatchRun:
    """FAILED, with why; `matchrun.completed` says so to whoever waits for the run."""
    done = failed(run, error, now)
    if await Runs(uow.session, run.tenant_id).finish(done):
        await uow.emit(MatchRunCompleted(run=run_snapshot(done)), tenant_id=run.tenant_id)
    return done


async def fail_abandoned_runs(uows: UnitOfWorkFactory, now: datetime, lease: timedelta) -> int:
    """Fails runs a worker took more than `lease` ago and never finished (its process
    stopped mid-solve); how many. Their program can be run again at once."""
    async with uows() as uow:
        stale = await abandoned_runs(uow.session, now - lease)
        for run in stale:
            await fail_run(uow, run, "interrupted: the worker stopped before finishing", now)
        await uow.commit()
    return len(stale)


async def _execute(
    uows: UnitOfWorkFactory, tenant_id: str, run_id: str, solve: Solver, settings: RunSettings
) -> MatchRun:
    async with uows() as uow:
        run = await Runs(uow.session, tenant_id).get(run_id)
        if run is None:
            raise not_found("match run")
        if run.status is not MatchRunStatus.RUNNING:
            return run
        program = await known_program(uow, tenant_id, run.program_id)
        # The policy as it was when the run was asked for (older runs kept none).
        cohort = await load_cohort(uow, tenant_id, program, run.policy)
    problem = cohort.problem()
    solution = await solve(problem)
    summary = summarize(problem, solution, settings.minimum_group_size)
    now = utcnow()
    async with uows() as uow:
        runs = Runs(uow.session, tenant_id)
        runs.add_pairs(
            run.id,
            [
                RunPair(
                    position,
                    pair.mentor_id,
                    tuple(pair.mentee_ids),
                    round(pair.score, 4),
                    tuple(reason_snapshot(r) for r in pair.reasons),
                )
                for position, pair in enumerate(summary.pairs, start=1)
            ],
        )
        if not run.dry_run:
            for pair in summary.pairs:
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
        done = completed(run, summary, now)
        if not await runs.finish(done):
            raise not_found("match run")  # finished by another worker meanwhile
        await uow.emit(MatchRunCompleted(run=run_snapshot(done)), tenant_id=tenant_id)
        await uow.commit()
        return done


async def take_run(uows: UnitOfWorkFactory, run_id: str) -> str | None:
    """Claims a waiting run; its tenant, or None when another worker has it."""
    async with uows() as uow:
        tenant_id = await claim_run(uow.session, run_id, utcnow())
        if tenant_id is not None:
            await uow.commit()
        return tenant_id
