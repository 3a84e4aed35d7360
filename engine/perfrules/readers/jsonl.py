"""JSON Lines fact documents (*.jsonl, *.ndjson): one department a line, for data exported
from another system.

Each non-blank line is one document of the same shape as a YAML fact file and is located
as NAME.jsonl:LINE. The parent only splits the file into lines (bounded, decoded as load.py
decodes files), so a line that cannot be read becomes a "bad" task and fails alone; the
worker parses it, with numbers read exactly (Decimal) and duplicate keys refused, as
load.py does for YAML.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Iterator, cast

from ..load import MAX_FILE_BYTES, Document, decode
from ..problems import InputError, Problem
from ..yaml_errors import zh_json
from .task import Task

KIND = "json"


def tasks(path: Path, items=None) -> Iterator[Task]:
    """One task a non-blank line, lazily (`items`: CSV only)."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
    with f:
        n = 0
        while True:
            try:
                raw = f.readline()
            except OSError as exc:
                raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
            if not raw:
                return
            n += 1
            if not raw.strip():
                continue
            source = f"{path}:{n}"
            if len(raw) > MAX_FILE_BYTES:
                yield Task("bad", source, (Problem("E105", f"这一行有 {len(raw):,} 字节，超过上限 {MAX_FILE_BYTES:,} 字节。",
                                                   f"the line has {len(raw):,} bytes", source),))
                continue
            try:
                text = decode(raw, source)
            except InputError as exc:
                yield Task("bad", source, tuple(exc.problems))
                continue
            yield Task(KIND, source, text.strip())


class _DuplicateKey(Exception):
    pass


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def read(task: Task) -> Document:
    """One JSON Lines line as a load.Document named NAME.jsonl:LINE. Numbers are read exactly
    (Decimal), duplicate keys are refused, as load.py does for YAML."""
    doc = Document(task.source, None, None)
    hint = '每行应是一个完整的 JSON 对象，例如 {"department": "…", "facts": {…}}。'
    hint_en = 'Each line must be one JSON object, e.g. {"department": "…", "facts": {…}}.'
    text = cast(str, task.payload)      # a json task's payload: its line's text (tasks above)
    try:
        doc.data = json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs)
    except _DuplicateKey as exc:
        raise InputError([doc.problem_at("E104", 0, 0, "$", f"字段“{exc.args[0]}”重复出现；JSON 只会保留最后一个值。",
                                         f"key '{exc.args[0]}' appears twice")])
    except json.JSONDecodeError as exc:
        raise InputError([doc.problem_at("E103", 0, 0, "$", f"JSON 语法错误（第 {exc.colno} 列）：{zh_json(exc.msg)}",
                                         f"JSON syntax error at column {exc.colno}: {exc.msg}", hint, hint_en)])
    except RecursionError:
        raise InputError([doc.problem_at("E105", 0, 0, "$", "JSON 嵌套过深。", "The JSON is nested too deep.")])
    if "\\u" in text:            # only an escape can make a lone surrogate: this line fails alone
        col = _lone_surrogate(text)
        if col:
            raise InputError([doc.problem_at(
                "E102", 0, 0, "$", f"第 {col} 列的 {text[col - 1:col + 5]} 是单独的代理码位，不是一个字符，无法写出。",
                f"{text[col - 1:col + 5]} at column {col} is a lone surrogate, not a character",
                "删去它，或写出完整的字符（一对 \\uD8xx\\uDCxx）。", "Delete it, or write the whole character.")])
    return doc


_ESCAPE = re.compile(r"(\\+)u([dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|[dD][c-fC-F][0-9a-fA-F]{2})")


def _lone_surrogate(text: str) -> int:
    """The column of the first \\uD800-\\uDFFF escape that is not half of a pair, or 0."""
    for m in _ESCAPE.finditer(text):
        if len(m.group(1)) % 2 and len(m.group(2)) == 4:      # an escape (not \\\\u…), alone
            return m.start() + len(m.group(1))
    return 0


def count(path: Path) -> int:
    """Lines in the file (for the progress bar's estimate)."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
