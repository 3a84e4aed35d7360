"""YAML fact files, and folders of them: the input every command reads.

A file is one task whose payload is nothing but its path: the worker reads the file itself
(load.load_file), so a big folder costs the parent only a directory walk.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ..load import Document, load_file
from .task import Task

KIND = "file"


def walk(folder: Path) -> Iterator[str]:
    """Fact files under a folder, in a stable order, lazily: *.yaml / *.yml, skipping
    *.cases.yaml, *.cases/ folders and hidden files and folders."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".cases"))
        for name in sorted(files):
            low = name.lower()
            if name.startswith(".") or not low.endswith((".yaml", ".yml")) or low.endswith((".cases.yaml", ".cases.yml")):
                continue
            yield os.path.join(root, name)


def tasks(path: Path, items=None) -> Iterator[Task]:
    """A fact file is one task; a folder one per fact file under it (`items`: CSV only)."""
    if path.is_dir():
        for f in walk(path):
            yield Task(KIND, f)
    else:
        yield Task(KIND, str(path))


def read(task: Task) -> Document:
    return load_file(task.source)


def count(path: Path) -> int:
    return sum(1 for _ in walk(path)) if path.is_dir() else 1
