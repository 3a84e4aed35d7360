"""What travels between the reading parent, the workers and the writers: readers.Task goes
out in chunks, an Outcome comes back for each task; and how many tasks to expect.

Both are small and picklable (they cross process boundaries under --jobs N), and an Outcome
is plain data, so the writers and the summary need nothing from the engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from ..readers import Inputs, Task

CHUNK = 128                # departments per task sent to a worker process


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one department: enough for every output format and the summary."""

    source: str
    department: str = ""
    ok: bool = False
    policy: str = ""
    score: str = ""
    grade: str = ""
    grades: tuple = ()         # the policy's grade names, best first
    tops: tuple = ()           # (id, name, points lost) for each 一级 indicator
    deductions: tuple = ()     # (id, name, points lost) for each leaf indicator that lost points
    reasons: str = ""
    rules_score: str = ""      # the score the rules alone give (with overrides; "" without)
    overrides: tuple = ()      # (id, name, the 认定 as one sentence) for each 认定
    line: bytes = b""          # the JSON Lines row as the file holds it (only for JSON Lines output): writers.jsonl_line
    problems: tuple = ()
    internal: str = ""         # an unexpected error: not the user's fault
    warnings: int = 0          # notes its report shows (units converted, implausible amounts)
    code: str = ""             # 部门编码
    year: int | None = None    # the department's year (the policy's when the facts give none)
    leaves: tuple = ()         # (id, name) of every leaf indicator of its policy, in order
    claimed: str = ""          # the score the department claimed ("" without a claim)
    findings: tuple = ()       # audit's findings on the claim: (kind, indicator, claimed, due, text)
    facts: dict | None = None  # the department's document as read (only when the web service asks)


def chunks(tasks: Iterable[Task], size: int = CHUNK) -> Iterator[list[Task]]:
    chunk = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def estimate(inputs: Inputs) -> int | None:
    """How many departments, roughly (only for the progress bar)."""
    try:
        return sum(reader.count(path) for path, reader in inputs.sources)
    except OSError:
        return None
