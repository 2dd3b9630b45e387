"""The background loops of the matching process (`ServiceProcess(workers=[...])`): match runs
taken from the database and solved in the process pool, and lapsing unanswered proposals."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from messaging.outbox import utcnow
from runtime.process import ServiceProcess

from matching.adapters.runs import waiting_run_ids
from matching.adapters.solver_pool import SolverPool
from matching.domain.model import CohortProblem, CohortSolution
from matching.domain.optimizer import solve_cohort
from matching.service_layer.expiry import expire_due
from matching.service_layer.runs import (
    RunSettings,
    Solver,
    execute_run,
    fail_abandoned_runs,
    take_run,
)

log = logging.getLogger(__name__)

Worker = Callable[[ServiceProcess], Coroutine[Any, Any, None]]


def pool_solver(pool: SolverPool) -> Solver:
    async def solve(problem: CohortProblem) -> CohortSolution:
        return await pool.run(solve_cohort, problem)

    return solve


def run_worker(solve: Solver, settings: RunSettings, poll_s: float, wake: asyncio.Event) -> Worker:
    """Takes waiting runs (any tenant) one at a time; woken at once when a run is asked for.
    Runs whose worker vanished (its process stopped) are failed first, so none stays
    RUNNING for ever."""

    async def run(process: ServiceProcess) -> None:
        while True:
            wake.clear()  # before looking: a run asked for meanwhile wakes the next wait
            try:
                abandoned = await fail_abandoned_runs(process.uow, utcnow(), settings.run_timeout)
                if abandoned:
                    log.warning("%d match run(s) abandoned by their worker failed", abandoned)
                async with process.uow() as uow:
                    waiting = await waiting_run_ids(uow.session, 10)
                for run_id in waiting:
                    tenant_id = await take_run(process.uow, run_id)
                    if tenant_id is not None:
                        await execute_run(process.uow, tenant_id, run_id, solve, settings)
            except Exception:
                log.exception("taking match runs failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=poll_s)

    return run


def expiry_worker(settings: RunSettings, poll_s: float) -> Worker:
    async def run(process: ServiceProcess) -> None:
        while True:
            try:
                lapsed = await expire_due(process.uow, utcnow(), settings.proposal_ttl)
                if lapsed:
                    log.info("%d proposal(s) lapsed", lapsed)
            except Exception:
                log.exception("lapsing proposals failed; trying again")
            await asyncio.sleep(poll_s)

    return run


def pool_keeper(pool: SolverPool) -> Worker:
    """Holds the solver pool for the life of the process; the lifespan's cancellation of
    the workers shuts it down."""

    async def run(_: ServiceProcess) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            pool.shutdown()

    return run
