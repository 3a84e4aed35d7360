"""The problems that make input unusable (exit code 2), as text or JSON.

Text: each file's problems through problems.render_all (file:line:col, the source line, a
caret, the path, a hint), the most relevant first and the rest only with --verbose; a
file's problems stay together, so one broken file among many still shows its first problem.
JSON: {"ok": false, "problems": [...]} (schemas/problems.schema.json), every problem always.
"""
from __future__ import annotations

from typing import BinaryIO

from ..problems import Problem, render_all
from .present import dump_json, dump_lines


def write_text(problems: list[Problem], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    by_file: dict[str, list[Problem]] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    dump_lines(stream, ["\n".join(render_all(ps, lang, verbose) for ps in by_file.values())])


def write_json(problems: list[Problem], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_json(stream, {"ok": False, "problems": [p.as_dict(lang) for p in problems]})
