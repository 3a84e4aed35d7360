"""The `perfrules validate` report: one line per good file, or JSON for every file.

Text: `file: 通过 — summary` for each file that passed, on stdout; the problems of the others
go to stderr through the problems reporter, so a script can keep the two apart. JSON
(schemas/validate.schema.json): {"ok", "files": [{file, ok, kind, summary} | {file, ok, problems}]}.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .present import dump_json, dump_lines

if TYPE_CHECKING:
    from ..checks import FileCheck


def summary(check: FileCheck, lang: str) -> str:
    """What the file turned out to be, e.g. 评分办法 x（8 个指标，19 条规则）."""
    zh = lang == "zh"
    if check.kind == "policy":
        return (f"评分办法 {check.policy}（{check.indicators} 个指标，{check.rules} 条规则）" if zh else
                f"policy {check.policy} ({check.indicators} indicators, {check.rules} rules)")
    if check.kind == "cases":
        return f"测试用例 {check.cases} 个" if zh else f"{check.cases} test cases"
    return f"事实文件（评分办法 {check.policy}）" if zh else f"facts for {check.policy}"


def write_text(checks: list[FileCheck], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    passed = "通过" if lang == "zh" else "OK"
    dump_lines(stream, [f"{c.file}: {passed} — {summary(c, lang)}" for c in checks if c.ok])


def write_json(checks: list[FileCheck], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    files = [{"file": c.file, "ok": True, "kind": c.kind, "summary": summary(c, lang)} if c.ok else
             {"file": c.file, "ok": False, "problems": [p.as_dict(lang) for p in c.problems]} for c in checks]
    dump_json(stream, {"ok": all(c.ok for c in checks), "files": files})
