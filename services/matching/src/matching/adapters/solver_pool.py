"""The worker processes that solve match runs, off the service's event loop.

A worker that dies mid-solve (killed, out of memory) breaks a ProcessPoolExecutor for good:
every later submit fails at once. The pool is replaced then, so one crashed solve fails one
run rather than every run until the service restarts."""

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")


class SolverCrashed(RuntimeError):
    """The solving process stopped before it answered."""


class SolverPool:
    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool = self._start()
        self.replaced = 0  # how many times a broken pool was replaced

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
        return ProcessPoolExecutor(
            max_workers=self._workers, mp_context=multiprocessing.get_context("spawn")
        )

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool as exc:
            if self._pool is pool:  # the first to notice replaces it
                self._pool = self._start()
                self.replaced += 1
                pool.shutdown(wait=False, cancel_futures=True)
            raise SolverCrashed(
                "the solver process stopped before finishing (killed or out of memory)"
            ) from exc

    def shutdown(self, *, wait: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
