"""The worker processes of a batch: chunks out, Outcomes back in input order, and a worker
that dies costs only the departments it held.

Every job (--jobs 1 included) is a child forked from the parent (guard.fork), which has
imported the engine already, so a worker costs a fork, not an interpreter. Each holds one
chunk at a time: it is sent the next one as soon as its answer has been read (before the
answer is unpickled and written), so neither side can block the other on a full pipe, and
the parent knows exactly what a dead worker held. When a
worker dies (durable_rules' C core can kill its process with a signal), its chunk is retried
one department at a time, each in a fresh child: the one that dies again becomes an
internal-error Outcome naming the signal, the others are scored as in any run, and a new
worker takes the dead one's place. Results wait for their turn (bounded: at most
INFLIGHT_PER_JOB chunks per job ahead of the oldest), so any --jobs gives the same output.
"""
from __future__ import annotations

import gc
import pickle
from typing import Callable, Iterable, Iterator

from .. import guard
from ..readers import Task
from . import workers
from .plan import Outcome, chunks

INFLIGHT_PER_JOB = 4       # chunks answered or in work per job beyond the oldest unwritten one


class _Worker:
    """A worker child and the chunk it holds (its sequence number and tasks), if any."""

    def __init__(self) -> None:
        self.child = guard.fork(_serve)
        self.held: tuple[int, list[Task]] | None = None


def _serve(channel: guard.Channel) -> None:
    """A worker: evaluate each chunk it is sent until it is sent None."""
    while (tasks := channel.recv()) is not None:
        channel.send(workers.run_chunk(tasks))


def drive(tasks: Iterable[Task], jobs: int, init_args: tuple,
          handle: Callable[[Outcome], None]) -> None:
    """Evaluate every task in `jobs` worker processes; hand each Outcome to `handle`, in input
    order. Without os.fork (Windows) they are evaluated in this process, one at a time."""
    workers.init_worker(*init_args)
    # what is loaded now (the engine, the --policy) lives as long as the batch: out of the
    # collector's sight, each collection walks only the departments' short-lived objects
    # (measured: about 15% of a worker's time per department), and forked workers share it
    gc.freeze()
    if not guard.available():
        for chunk in chunks(tasks):
            for o in workers.run_chunk(chunk):
                handle(o)
        return
    lang = init_args[1]
    pool = [_Worker() for _ in range(jobs)]
    try:
        _drive(pool, enumerate(chunks(tasks)), lang, handle)
        for w in pool:
            _send(w.child, None)
            w.child.reap()
    finally:
        for w in pool:
            w.child.kill()


def _drive(pool: list[_Worker], work: Iterator[tuple[int, list[Task]]], lang: str,
           handle: Callable[[Outcome], None]) -> None:
    answered: dict[int, list[Outcome]] = {}
    oldest = 0                                 # the next chunk to hand to `handle`
    ahead = len(pool) * INFLIGHT_PER_JOB
    pending: tuple[int, list[Task]] | None = next(work, None)

    def feed(w: _Worker) -> None:
        nonlocal pending
        if w.held is None and pending is not None and pending[0] < oldest + ahead:
            w.held = pending
            _send(w.child, pending[1])
            pending = next(work, None)

    while True:
        for w in pool:
            feed(w)
        busy = [w for w in pool if w.held is not None]
        if not busy:
            return
        for child in guard.ready(w.child for w in busy):
            w = next(w for w in busy if w.child is child)
            seq, held = w.held or (0, [])
            w.held = None
            try:
                data = child.channel.recv_bytes()
            except EOFError:
                answered[seq] = _retry(held, child.reap(), lang)
                pool[pool.index(w)] = _Worker()
                continue
            feed(w)              # the worker goes on while its answer is unpickled and written here
            answered[seq] = pickle.loads(data)
        while oldest in answered:
            for o in answered.pop(oldest):
                handle(o)
            oldest += 1


def _send(child: guard.Child, message: list[Task] | None) -> None:
    """A chunk (or None: stop) to a worker. One that has died meanwhile shows up as the end
    of its pipe in guard.ready, and its chunk is retried from there."""
    try:
        child.channel.send(message)
    except BrokenPipeError:
        pass


def _retry(tasks: list[Task], how: str, lang: str) -> list[Outcome]:
    """A dead worker's chunk, one department at a time, each in a fresh child."""
    workers.warm(tasks)
    return [_alone(t, how, lang) for t in tasks]


def _alone(task: Task, how: str, lang: str) -> Outcome:
    child = guard.fork(lambda channel: _one(channel, task))
    name = ""
    try:
        name = child.channel.recv()
        (outcome,) = child.channel.recv()
    except EOFError:
        how = child.reap() or how
        text = (f"评分进程异常终止（{how}），已单独重试，其余部门不受影响" if lang == "zh" else
                f"the evaluating process died ({how}); retried alone, the other departments are unaffected")
        return Outcome(task.source, name, internal=text)
    child.reap()
    return outcome


def _one(channel: guard.Channel, task: Task) -> None:
    """A retry: the department's name first (so that a crash can name it), then its Outcome."""
    channel.send(workers.department_of(task))
    channel.send(workers.run_chunk([task]))
