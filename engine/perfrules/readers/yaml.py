"""YAML fact files: the input every command reads (a folder of them: folder.py).

A file is one task whose payload is nothing but its path: the worker reads the file itself
(load.load_file), so a big folder costs the parent only a directory walk.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..load import Document, load_file
from .task import Task

KIND = "file"


def tasks(path: Path, items=None) -> Iterator[Task]:
    """A fact file is one task (`items`: CSV only); a folder's files are folder.py's."""
    yield Task(KIND, str(path))


def read(task: Task) -> Document:
    return load_file(task.source)


def count(path: Path) -> int:
    return 1
