"""A folder of fact files: every file under it read by its own reader, in a stable order.

YAML fact files, workbooks (a department's form, or a district workbook, one department a
row) and JSON Lines files are read as if each were named on the command line; a workbook or
a JSON Lines file that cannot be read fails alone, as a bad task. What a folder cannot hold
on its own is named in the batch's summary, never skipped in silence: a CSV needs its list
facts from --items (give it on the command line). Skipped quietly: hidden files and folders,
policy test cases (*.cases.yaml, *.cases/), Excel's lock files (~$…), and the results perfrules
itself writes (batch -o 结果.xlsx, .jsonl or .csv), which would otherwise be read back as
departments when a batch is run again over the folder its result was written into.
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Iterator

from ..problems import InputError, Problem
from . import _BY_SUFFIX, _reader, yaml
from .task import Task

KIND = "folder"          # no task has it: each file's own reader makes the tasks
# every fact file's suffix but a CSV's, which a folder cannot hold on its own (its list facts need --items)
_READ = {suffix: reader for suffix, reader in _BY_SUFFIX.items() if reader != "csv"}
_NAMED = tuple(suffix for suffix, reader in _BY_SUFFIX.items() if reader == "csv")
IRREGULAR = "irregular"  # a fact file's name on a pipe or a device
# the first and last sheets of batch.workbook's review workbook (tests/test_batch.py checks they agree)
REVIEW_SHEETS = {("结果", "失败"), ("Results", "Failures")}


def walk(folder: Path) -> Iterator[str]:
    """Every file under the folder, in a stable order, lazily; hidden files and folders, test
    cases (*.cases.yaml, *.cases/) and Excel's lock files (~$…) left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".cases"))
        for name in sorted(files):
            low = name.lower()
            if name.startswith((".", "~$")) or low.endswith((".cases.yaml", ".cases.yml")):
                continue
            yield os.path.join(root, name)


def read_files(path: Path) -> Iterator[tuple[str, str]]:
    """(file, reader) for each file under the folder that is read; IRREGULAR for a FIFO or a
    device with a fact file's name, which is never opened (it could block the batch for good)."""
    for f in walk(path):
        kind = _READ.get(os.path.splitext(f)[1].lower())
        if kind is None:
            continue
        if kind != "yaml" and not os.path.isfile(f):     # the YAML reader refuses these itself
            yield f, IRREGULAR
        elif not _our_result(f, kind):
            yield f, kind


def tasks(path: Path, items=None) -> Iterator[Task]:
    for f, kind in read_files(path):
        if kind == "yaml":
            yield Task(yaml.KIND, f)            # the common case: no reader to look up
            continue
        if kind == IRREGULAR:
            yield Task("bad", f, (Problem("E101", f"“{f}”不是普通文件（管道或设备），不读取。",
                                          f"{f} is not a regular file (a pipe or a device)", f),))
            continue
        try:
            yield from _reader(kind).tasks(Path(f))
        except InputError as exc:              # a file that cannot be opened fails alone
            yield Task("bad", f, tuple(exc.problems))


def skipped(path: Path) -> list[str]:
    """The fact files under the folder that it cannot hold on its own (CSV), for the summary."""
    return [f for f in walk(path) if os.path.splitext(f)[1].lower() in _NAMED
            and not (os.path.isfile(f) and _our_result(f, "csv"))]


def count(path: Path) -> int:
    """About how many departments (for the progress bar): a file each, a JSON Lines file's lines."""
    return sum(_reader("jsonl").count(Path(f)) if kind == "jsonl" else 1 for f, kind in read_files(path))


# the first columns of batch's CSV rows (batch.writers.Writer.header; tests/test_batch.py checks they agree)
RESULT_CSV_HEADS = ("来源,部门,评分办法,得分", "source,department,policy,score")


def _our_result(f: str, kind: str) -> bool:
    """A result batch wrote: its reviewer's workbook, JSON Lines rows (a source, no facts) or CSV rows."""
    if kind == "xlsx":
        return _review_workbook(f)
    if kind not in ("jsonl", "csv"):
        return False
    try:
        with open(f, "rb") as h:
            head = h.read(1 << 16)
    except OSError:
        return False                 # its reader says what is wrong
    first = head.lstrip(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    if kind == "csv":
        return first.startswith(RESULT_CSV_HEADS)
    return first.startswith('{"source":') and '"facts":' not in first


def _review_workbook(f: str) -> bool:
    """A workbook batch wrote (its 结果 … 失败 sheets), read from its zip without loading it."""
    try:
        with zipfile.ZipFile(f) as z:
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    except Exception:              # noqa: BLE001 — damaged, encrypted, not a zip: the workbook reader says what is wrong
        return False
    names = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', book)
    return bool(names) and (names[0], names[-1]) in REVIEW_SHEETS
