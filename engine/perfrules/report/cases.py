"""The `perfrules test` report: PASS/FAIL per case with what differed, `PASS: n/m`, and for each
policy the share of its rules some case made fire, with the rules none did.

Text goes to stdout whole, the problems of case files that could not run included, so a
CI log shows everything in order. JSON: schemas/test.schema.json.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from ..cases import describe
from ..problems import render_all
from .present import dump_json, dump_lines, policy_ref

if TYPE_CHECKING:
    from ..cases import FileReport, Suite


def _file_lines(rep: FileReport, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [f"{rep.cases.file}（评分办法 {policy_ref(rep.policy, lang)}）" if zh else
             f"{rep.cases.file} (policy {policy_ref(rep.policy, lang)})"]
    for r in rep.results:
        lines.append(f"  {'PASS' if r.ok else 'FAIL'}  {r.case.name}")
        lines += [f"        {d.text(lang)}" for d in r.diffs]
    n_rules = len(rep.policy.rules)
    missing = rep.uncovered()
    covered = n_rules - len(missing)
    pct = f"{covered * 100 // n_rules}%" if n_rules else "100%"
    if zh:
        lines.append(f"  规则覆盖：{covered}/{n_rules}（{pct}）")
        lines += [f"    未覆盖：{describe(rep.policy, r, lang)}" for r in missing]
    else:
        lines.append(f"  rule coverage: {covered}/{n_rules} ({pct})")
        lines += [f"    not exercised: {describe(rep.policy, r, lang)}" for r in missing]
    return lines


def write_text(suite: Suite, stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    lines = []
    if suite.searched:      # no path given: say what was run
        lines += [f"未指定用例文件：运行随附评分办法的全部测试用例（{suite.searched}，共 {len(suite.reports)} 个文件）。" if lang == "zh"
                  else f"No case file given: running every shipped policy's test cases ({suite.searched}, "
                       f"{len(suite.reports)} file(s)).", ""]
    for rep in suite.reports:
        lines += _file_lines(rep, lang)
        lines.append("")
    lines += [render_all([p], lang, verbose) for p in suite.errors]
    lines += [f"PASS: {suite.passed}/{suite.total}", ""]     # the report has always ended in an empty line
    dump_lines(stream, lines)


def write_json(suite: Suite, stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_json(stream, {
        "passed": suite.passed, "total": suite.total, **({"searched": suite.searched} if suite.searched else {}),
        "files": [{"file": str(r.cases.file), "policy": r.policy.id,
                   "cases": [{"name": c.case.name, "ok": c.ok, "diffs": [d.text(lang) for d in c.diffs]} for c in r.results],
                   "rules": len(r.policy.rules), "uncovered": [describe(r.policy, x, lang) for x in r.uncovered()]}
                  for r in suite.reports],
        "problems": [p.as_dict(lang) for p in suite.errors]})
