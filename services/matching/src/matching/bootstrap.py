"""The wiring: the only place that reads config and builds clients."""

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from contracts.enrollments import EnrollmentWithdrawn
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from matching.adapters import tables
from matching.config import MatchingSettings
from matching.service_layer.org_reactions import on_enrollment_withdrawn, person_handlers
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
    pool: ProcessPoolExecutor


def build(settings: MatchingSettings, kafka: KafkaSettings) -> Matching:
    # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
    pool = ProcessPoolExecutor(
        max_workers=settings.solver_workers, mp_context=multiprocessing.get_context("spawn")
    )
    run_settings = RunSettings(proposal_ttl=timedelta(seconds=settings.proposal_ttl_s))
    wake = asyncio.Event()
    solve = pool_solver(pool)
    process = ServiceProcess(
        name="matching",
        database_url=settings.database_url_for("matching"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        handlers={
            **person_handlers(),
            **replica_handlers(),
            EnrollmentWithdrawn.event_type: on_enrollment_withdrawn,
        },
        topics=[topics.PEOPLE, topics.PROGRAMS, topics.ENROLLMENTS],
        run_workers=settings.run_workers,
        workers=[
            pool_keeper(pool),
            run_worker(solve, run_settings, settings.run_poll_s, wake),
            expiry_worker(run_settings, settings.expiry_poll_s),
        ],
    )
    return Matching(process, run_settings, wake, solve, pool)
