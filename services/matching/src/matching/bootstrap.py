"""The wiring: the only place that reads config and builds clients."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from messaging.consumer import subscriptions
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from matching.adapters import tables
from matching.adapters.solver_pool import SolverPool
from matching.config import MatchingSettings
from matching.service_layer.feedback_received import feedback_handlers
from matching.service_layer.org_reactions import org_handlers
from matching.service_layer.progress import progress_handlers
from matching.service_layer.replicas import replica_handlers
from matching.service_layer.runs import RunSettings, Solver
from matching.service_layer.workers import expiry_worker, pool_keeper, pool_solver, run_worker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Matching:
    """What the API needs beside the process: the run settings, and how to wake the run
    worker when a run is asked for."""

    process: ServiceProcess
    run_settings: RunSettings
    runs_waiting: asyncio.Event
    solve: Solver
    pool: SolverPool


def build(settings: MatchingSettings, kafka: KafkaSettings) -> Matching:
    pool = SolverPool(settings.solver_workers)
    run_settings = RunSettings(
        proposal_ttl=timedelta(seconds=settings.proposal_ttl_s),
        run_timeout=timedelta(seconds=settings.run_timeout_s),
    )
    wake = asyncio.Event()
    solve = pool_solver(pool)
    process = ServiceProcess(
        name="matching",
        database_url=settings.database_url_for("matching"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        # One handler per event type; two for one type stops the start-up.
        handlers=subscriptions(
            replica_handlers(),
            org_handlers(),
            progress_handlers(),
            feedback_handlers(run_settings.proposal_ttl),
        ),
        topics=[
            topics.PEOPLE,
            topics.PROGRAMS,
            topics.ENROLLMENTS,
            topics.SESSIONS,
            topics.FEEDBACK,
        ],
        run_workers=settings.run_workers,
        workers=[
            pool_keeper(pool),
            run_worker(solve, run_settings, settings.run_poll_s, wake),
            expiry_worker(run_settings, settings.expiry_poll_s),
        ],
    )
    return Matching(process, run_settings, wake, solve, pool)
