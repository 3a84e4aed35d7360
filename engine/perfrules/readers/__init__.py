"""Input readers: every kind of fact input behind one registry, by file suffix.

    .yaml / .yml     readers.yaml   one department a file (and folders of them)
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
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, cast

from ..load import Document, load_file
from ..model import Policy
from ..problems import InputError, Problem
from . import csv, jsonl, xlsx, yaml
from .task import Task

READERS: dict[str, ModuleType] = {".yaml": yaml, ".yml": yaml, ".jsonl": jsonl, ".ndjson": jsonl, ".csv": csv, ".xlsx": xlsx}
_BY_KIND = {r.KIND: r for r in (yaml, jsonl, csv, xlsx)}


def reader_for(path: str | Path) -> ModuleType:
    """The reader for a fact file, by its suffix."""
    return READERS.get(Path(path).suffix.lower(), yaml)


def read(task: Task) -> Document:
    """One task's document; raises its located InputError."""
    if task.kind == "bad":
        raise InputError(list(cast("tuple[Problem, ...]", task.payload)))   # a bad task's payload: its problems
    return _BY_KIND[task.kind].read(task)


def finish(doc: Document, policy: Policy) -> None:
    """Complete a document once its policy is known: a CSV column may name a fact by its
    label, which only the policy declares. Nothing to do for YAML and JSON Lines."""
    if isinstance(doc, csv.RowDocument):
        csv.name_facts(doc, policy)
    elif isinstance(doc, xlsx.XlsxDocument):
        xlsx.name_fields(doc, policy)


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
                self.sources.append((p, yaml))
            elif _is(p.is_file):
                self.sources.append((p, reader_for(p)))
            else:
                problems.append(Problem("E101", f"找不到文件或文件夹：{p}", f"no such file or folder: {p}", str(p)))
        tables = [p for p, reader in self.sources if reader is csv]
        for p in tables:
            problems += csv.check(p, policy)
        for p in (p for p, reader in self.sources if reader is xlsx):
            problems += xlsx.check(p, policy)
        if items is not None:
            if not tables:
                problems.append(Problem("E602", "--items 只用于 CSV 输入（JSON Lines 和 YAML 的列表事实直接写在文件里）。",
                                        "--items goes with CSV inputs only", str(items)))
            else:
                self.items = csv.Items()
                try:
                    self.items.read(Path(items), policy)
                except InputError as exc:
                    problems += exc.problems
        if problems:
            raise InputError(problems)

    def tasks(self) -> Iterator[Task]:
        for path, reader in self.sources:
            yield from reader.tasks(path, self.items)

    def unused_items(self) -> list[tuple[str, str]]:
        """(ITEMS.csv:LINE, department) for --items records no CSV row took."""
        return self.items.unused() if self.items is not None else []
