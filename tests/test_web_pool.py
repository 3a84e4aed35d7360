"""The service's worker pool: a worker that dies (as durable_rules' C core can kill one) or
hangs costs only the request that caused it; the pool is replaced and the others go on."""
from __future__ import annotations

import asyncio
import os
import time

import pytest

from perfrules.web.pool import Evaluator, WorkerLost


@pytest.fixture(scope="module")
def evaluator():
    ev = Evaluator(workers=2, timeout=3)
    ev.start()
    yield ev
    ev.close()


def test_a_dead_worker_costs_only_its_request(evaluator):
    async def both():
        return await asyncio.gather(evaluator.run(os.abort), evaluator.run(time.sleep, 0.5), return_exceptions=True)
    before = evaluator.replaced
    crashed, slept = asyncio.run(both())
    assert isinstance(crashed, WorkerLost) and str(crashed) == "died"
    assert slept is None                           # its pool broke under it: tried again, answered
    assert evaluator.replaced > before
    assert asyncio.run(evaluator.run(os.getpid)) != os.getpid()


def test_a_stuck_worker_is_replaced(evaluator):
    before = evaluator.replaced
    with pytest.raises(WorkerLost, match="timeout"):
        asyncio.run(evaluator.run(time.sleep, 30))
    assert evaluator.replaced == before + 1
    started = time.monotonic()
    assert asyncio.run(evaluator.run(pow, 2, 10)) == 1024
    assert time.monotonic() - started < 25          # the stuck job is not waited for


def test_a_queued_job_is_timed_from_its_start_not_its_wait():
    """One worker, a 2-second timeout, three 0.8-second jobs sent at once: each runs within
    its time, though the last waits 1.6 seconds for the worker."""
    ev = Evaluator(workers=1, timeout=2)
    ev.start()
    try:
        async def three():
            return await asyncio.gather(*(ev.run(time.sleep, 0.8) for _ in range(3)), return_exceptions=True)
        assert asyncio.run(three()) == [None, None, None]
        assert ev.replaced == 0
    finally:
        ev.close()
