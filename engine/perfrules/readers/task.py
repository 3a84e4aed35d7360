"""Task: one fact document as the reading side finds it, before it is read.

Small and picklable, because tasks are what a batch sends to its worker processes: a YAML
file travels as its path (the worker reads it), a JSON Lines line as its text, a CSV row as
its cells. Its own module so that every reader can make tasks without importing the
registry that imports the readers.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    kind: str          # "file" (YAML fact file) | "json" (a JSON Lines line) | "row" (a CSV row) | "bad"
    source: str        # the path, or NAME.jsonl:LINE / NAME.csv:LINE
    payload: object = None   # json: the line's text; row: (header, cells, item rows); bad: problems
