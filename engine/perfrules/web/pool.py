"""The service's worker processes: evaluation runs here, off the event loop, so one slow
upload does not stall other users (durable_rules holds the GIL and is not thread-safe).

A ProcessPoolExecutor of `workers` processes, started by spawn (never fork: the web process
runs threads), each warmed once by jobs.init. A job first takes one of `workers` slots and
only then is sent, so its `timeout` counts its own run, never its wait behind others. Two
things can go wrong in a worker that no `except` inside it catches, and both cost only the
request that caused them:
- a worker dies (durable_rules' C core can kill its process with a signal): the pool is
  broken, so it is replaced, and each request it held is tried once more in a process of
  its own (still within the slots); the one that dies again is answered with an internal
  error, the others as usual;
- a job runs past `timeout` seconds: its pool is killed and replaced, the request answered
  with an internal error, and the others it held tried again, each alone.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from . import jobs


class WorkerLost(Exception):
    """A job's worker died or ran out of time: an internal error, not the user's."""


class Evaluator:
    def __init__(self, folders: tuple[str, ...] = (), workers: int | None = None, timeout: float = 120.0):
        self.folders = folders
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._alone: set[ProcessPoolExecutor] = set()
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self.replaced = 0              # pools replaced since start (a dead or stuck worker)

    def start(self) -> None:
        """Start the workers now and wait until each has warmed up."""
        pool = self._current()
        for f in [pool.submit(os.getpid) for _ in range(self.workers)]:
            f.result()

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._new(self.workers)
            return self._pool

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=jobs.init, initargs=(self.folders,))

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not broken:
                return                 # another request replaced it already
            self._pool = None
            self.replaced += 1
        _kill(broken)

    def _semaphore(self) -> asyncio.Semaphore:
        """The slots, one per worker, for the running event loop (the service has one)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.workers))
        return self._slots[1]

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in a worker: its value; WorkerLost if its worker died or hung."""
        async with self._semaphore():
            pool = self._current()
            try:
                return await asyncio.wait_for(asyncio.wrap_future(pool.submit(fn, *args)), self.timeout)
            except BrokenProcessPool:
                self._replace(pool)
            except asyncio.TimeoutError:
                self._replace(pool)
                raise WorkerLost("timeout") from None
            return await self._run_alone(fn, *args)

    async def _run_alone(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A request whose pool broke under it, tried again in a process of its own: the one
        that broke it breaks only that, and every other is answered."""
        alone = self._new(1)
        with self._lock:
            self._alone.add(alone)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(alone.submit(fn, *args)), self.timeout)
        except BrokenProcessPool:
            raise WorkerLost("died") from None
        except asyncio.TimeoutError:
            raise WorkerLost("timeout") from None
        finally:
            with self._lock:
                self._alone.discard(alone)
            _kill(alone)

    def close(self) -> None:
        """Stop every worker now: a job still running is not waited for (the service is
        stopping; its request gets no answer, and nothing of it was stored)."""
        with self._lock:
            pools = [p for p in (self._pool, *self._alone) if p is not None]
            self._pool, self._alone = None, set()
        for pool in pools:
            _kill(pool)


def _kill(pool: ProcessPoolExecutor) -> None:
    """End a pool's processes now (shutdown alone would wait for a hung job)."""
    processes = getattr(pool, "_processes", None) or {}     # concurrent.futures keeps them here
    for proc in list(processes.values()):
        try:
            proc.kill()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
