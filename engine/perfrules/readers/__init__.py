"""Input readers: every kind of fact input behind one registry, by file suffix.

    .yaml / .yml     readers.yaml   one department a file
    a folder         readers.folder every fact file under it, each by its own reader
    .jsonl / .ndjson readers.jsonl  one department a line
    .csv             readers.csv    one department a row (list facts from an --items CSV)
    .xlsx            readers.xlsx   one department a form (`perfrules template`), or a district
                                    workbook, one department a row (readers.xlsx_table)

Any other suffix is read as YAML, as `evaluate` reads it. Each reader is a module with the
same few names: KIND, the kind of its tasks; tasks(path, items) yields a Task for each
document, lazily; read(task) turns one Task into a load.Document; count(path) estimates the
documents, for a progress bar.

Reading is split in two (Task, then Document) because a batch reads in two processes: the
parent walks the inputs and sends small picklable tasks; a worker reads them into documents.
A command that reads in one process uses `documents(path)`. Either way, a CSV row names its
facts only once its policy is known: call finish(doc, policy) before facts.read_department.
Every problem keeps its location (NAME.jsonl:LINE, NAME.csv:LINE, file:line:col).

Only the YAML reader is imported with this package: the others are imported when an input
of their kind is met (`perfrules evaluate` on one YAML file, the most common run, does not
pay for the CSV and workbook readers' imports, and a worker only imports the one it reads).
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterator, cast

from ..load import Document, load_file
from ..model import Policy
from ..problems import InputError, Problem
from . import yaml
from .task import Task

if TYPE_CHECKING:
    from . import csv, jsonl, xlsx

_BY_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
_BY_KIND = {"file": "yaml", "json": "jsonl", "row": "csv", "xlsx": "xlsx"}    # each reader's KIND


def _reader(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def __getattr__(name: str) -> ModuleType:
    """readers.csv, readers.jsonl, readers.xlsx: imported on first use."""
    if name in ("csv", "jsonl", "xlsx"):
        return _reader(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reader_for(path: str | Path) -> ModuleType:
    """The reader for a fact file, by its suffix."""
    return _reader(_BY_SUFFIX.get(Path(path).suffix.lower(), "yaml"))


def read(task: Task) -> Document:
    """One task's document; raises its located InputError."""
    if task.kind == "bad":
        raise InputError(list(cast("tuple[Problem, ...]", task.payload)))   # a bad task's payload: its problems
    return _reader(_BY_KIND[task.kind]).read(task)


def finish(doc: Document, policy: Policy) -> None:
    """Complete a document once its policy is known: a CSV column may name a fact by its
    label, which only the policy declares. Nothing to do for YAML and JSON Lines (nor for
    any document while no CSV or workbook reader has been imported: none read it)."""
    csv_reader, xlsx_reader = sys.modules.get(f"{__name__}.csv"), sys.modules.get(f"{__name__}.xlsx")
    if csv_reader is not None and isinstance(doc, csv_reader.RowDocument):
        csv_reader.name_facts(doc, policy)
    elif xlsx_reader is not None and isinstance(doc, xlsx_reader.XlsxDocument):
        xlsx_reader.name_fields(doc, policy)


def documents(path: str | Path, items: Path | None = None) -> list[Document]:
    """Every fact document one INPUT path holds (a folder: each fact file under it; a CSV:
    each row, with its --items records), for a command that reads in one process. The
    first that cannot be read raises its located InputError."""
    return [read(t) for t in Inputs([Path(path)], items).tasks()]


def fact_documents(path: str | Path, items: Path | None = None) -> list[Document]:
    """What a single-department command (evaluate, validate, audit) reads from one path: a
    YAML file as it is, any other kind by its reader (a workbook, each row of a CSV with its
    --items records…)."""
    if reader_for(path) is yaml and items is None:
        return [load_file(path)]
    return documents(path, items)


def _is(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except OSError:
        return False


class Inputs:
    """INPUT arguments, checked up front (raises InputError: exit 2 if they cannot be read),
    then read lazily, in order. `policy` is the --policy, when given: CSV headers and the
    --items header are checked against it."""

    def __init__(self, paths: list[Path], items: Path | None = None, policy: Policy | None = None):
        self.sources: list[tuple[Path, ModuleType]] = []
        self.items: csv.Items | None = None
        problems: list[Problem] = []
        for p in map(Path, paths):
            if _is(p.is_dir):     # _is: a name the file system refuses (ENAMETOOLONG) is "missing" (E101)
                self.sources.append((p, _reader("folder")))
            elif _is(p.is_file):
                self.sources.append((p, reader_for(p)))
            else:
                problems.append(Problem("E101", f"找不到文件或文件夹：{p}", f"no such file or folder: {p}", str(p)))
        tables = [p for p, reader in self.sources if reader.KIND == "row"]       # CSV
        for p in tables:
            problems += _reader("csv").check(p, policy)
        for p in (p for p, reader in self.sources if reader.KIND == "xlsx"):
            problems += _reader("xlsx").check(p, policy)
        if items is not None:
            if not tables:
                problems.append(Problem("E602", "--items 只用于 CSV 输入（JSON Lines 和 YAML 的列表事实直接写在文件里）。",
                                        "--items goes with CSV inputs only", str(items)))
            else:
                self.items = _reader("csv").Items()
                try:
                    self.items.read(Path(items), policy)
                except InputError as exc:
                    problems += exc.problems
        if problems:
            raise InputError(problems)

    def tasks(self) -> Iterator[Task]:
        for path, reader in self.sources:
            yield from reader.tasks(path, self.items)

    def skipped(self) -> list[str]:
        """Fact files under an INPUT folder that a folder cannot hold on its own (folder.py)."""
        return [f for p, reader in self.sources if reader.KIND == "folder" for f in reader.skipped(p)]

    def unused_items(self) -> list[tuple[str, str]]:
        """(ITEMS.csv:LINE, department) for --items records no CSV row took."""
        return self.items.unused() if self.items is not None else []
