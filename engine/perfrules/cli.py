"""The perfrules command line.

Exit codes: 0 evaluated (or all valid); 1 a check found something (test failures, audit
discrepancies); 2 invalid input or usage; 3 internal error (traceback in a log file).
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .problems import InputError, Problem, render_all

app = typer.Typer(
    name="perfrules",
    help="部门整体支出绩效自评评分：按 YAML 评分办法计算得分，并说明每一项扣分。\n\n"
         "Scores department performance self-evaluations with YAML scoring policies.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


PolicyOpt = Annotated[Optional[str], typer.Option("--policy", "-p", help="评分办法编号或文件（默认取事实文件中的 policy:）。Policy id or file.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="输出格式。Output format.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="语言：zh 中文，en 英文。Language.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="写入文件（原子写入）。Write to a file.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="显示全部错误。Show every problem.")]


def _fail(problems: list[Problem], lang: str, verbose: bool, fmt: str = "text") -> None:
    """Print problems to stderr and exit 2."""
    if fmt == "json":
        typer.echo(json.dumps({"ok": False, "problems": [p.as_dict(lang) for p in problems]}, ensure_ascii=False, indent=2),
                   err=True)
    else:
        by_file: dict[str, list[Problem]] = {}
        for p in problems:
            by_file.setdefault(p.file, []).append(p)
        typer.echo("\n".join(render_all(ps, lang, verbose) for ps in by_file.values()), err=True)
    raise typer.Exit(2)


def _emit(text: str, output: Path | None, lang: str = "zh", fmt: str = "text") -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        from .output import write_atomic
        try:
            write_atomic(output, text)
        except InputError as exc:       # E601 in the language and format asked for
            _fail(exc.problems, lang, False, fmt)


@app.command()
def evaluate(
    facts: Annotated[list[Path], typer.Argument(help="事实文件（可多个）。Fact files.", show_default=False)],
    policy: PolicyOpt = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
):
    """计算得分并说明每一项扣分。Evaluate fact files and explain every deduction."""
    from .service import evaluate_file
    from .render import render
    results, problems = [], []
    for path in facts:
        try:
            results.append(evaluate_file(path, policy))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        _fail(problems, lang.value, verbose, format.value)
    if format is Format.json:
        from .render.json import to_dict
        data = [to_dict(r, lang.value) for r in results]
        text = json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2) + "\n"
    else:
        sep = "\n" + "=" * 60 + "\n\n"
        text = sep.join(render(r, format.value, lang.value) for r in results)
    _emit(text, output, lang.value, format.value)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="评分办法、事实文件或测试用例文件。Policy, fact or case files.", show_default=False)],
    policy: PolicyOpt = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    verbose: VerboseOpt = False,
):
    """检查评分办法和事实文件是否有错。Check policy and fact files."""
    from .load import load_file
    from .service import policy_for, read_department
    from .validate import policy_from_document
    report, problems = [], []
    for path in files:
        try:
            doc = load_file(path)
            kind = _kind(doc, path)
            if kind == "policy":
                p = policy_from_document(doc)
                what = f"评分办法 {p.id}（{len(p.leaves())} 个指标，{len(p.rules)} 条规则）" if lang is Lang.zh else \
                    f"policy {p.id} ({len(p.leaves())} indicators, {len(p.rules)} rules)"
            elif kind == "cases":
                from .cases import load_cases
                cases = load_cases(path)
                what = f"测试用例 {len(cases.cases)} 个" if lang is Lang.zh else f"{len(cases.cases)} test cases"
            else:
                pol = policy_for(doc, policy)
                read_department(doc, pol)
                what = f"事实文件（评分办法 {pol.id}）" if lang is Lang.zh else f"facts for {pol.id}"
            report.append({"file": str(path), "ok": True, "kind": kind, "summary": what})
        except InputError as exc:
            problems.extend(exc.problems)
            report.append({"file": str(path), "ok": False, "problems": [p.as_dict(lang.value) for p in exc.problems]})
    if format is Format.json:
        typer.echo(json.dumps({"ok": not problems, "files": report}, ensure_ascii=False, indent=2))
        raise typer.Exit(2 if problems else 0)
    for r in report:
        if r["ok"]:
            typer.echo(f"{r['file']}: {'通过' if lang is Lang.zh else 'OK'} — {r['summary']}")
    if problems:
        _fail(problems, lang.value, verbose)


def _kind(doc, path: Path) -> str:
    if path.name.endswith(".cases.yaml") or path.parent.name.endswith(".cases"):
        return "cases"
    if isinstance(doc.data, dict) and "indicators" in doc.data:
        return "policy"
    return "facts"


@app.command()
def policies(
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
):
    """列出随附的评分办法。List the shipped policies."""
    from . import resources
    from .validate import load_policy
    rows = []
    for pid, path in resources.policy_ids().items():
        try:
            p = load_policy(path)
        except InputError as exc:
            rows.append({"id": pid, "error": exc.problems[0].message})
            continue
        leaves = p.leaves()
        rows.append({"id": p.id, "title": p.title_en or p.title if lang is Lang.en else p.title, "year": p.year,
                     "version": p.version, "indicators": len(leaves),
                     "provisional": sum(1 for x in leaves if x.confidence == "provisional"), "file": str(path)})
    if format is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        if "error" in r:
            typer.echo(f"{r['id']}  ！{r['error']}")
        elif lang is Lang.zh:
            typer.echo(f"{r['id']}  {r['title']}（{r['year']} 年度，版本 {r['version']}，{r['indicators']} 个指标，其中暂定 {r['provisional']} 个）")
        else:
            typer.echo(f"{r['id']}  {r['title']} ({r['year']}, version {r['version']}, {r['indicators']} indicators, {r['provisional']} provisional)")


@app.command("test")
def test_cases(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="用例文件、评分办法或目录（默认 rules/）。Case files, policies or folders.", show_default=False)] = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    verbose: VerboseOpt = False,
):
    """运行评分办法旁的测试用例，并报告规则覆盖。Run policy test cases, with rule coverage."""
    from . import resources
    from .cases import find_case_files, render_report, run_file
    files = find_case_files(paths or [resources.rules_dir()])
    reports, errors = [], []
    for f in files:
        try:
            reports.append(run_file(f))
        except InputError as exc:
            errors.extend(exc.problems[:1] if not verbose else exc.problems)
    failed = sum(len(r.results) - r.passed for r in reports)
    if format is Format.json:
        from .cases import describe
        typer.echo(json.dumps({
            "passed": sum(r.passed for r in reports), "total": sum(len(r.results) for r in reports),
            "files": [{"file": str(r.cases.file), "policy": r.policy.id,
                       "cases": [{"name": c.case.name, "ok": c.ok, "diffs": c.diffs} for c in r.results],
                       "rules": len(r.policy.rules), "uncovered": [describe(r.policy, x) for x in r.uncovered()]} for r in reports],
            "problems": [p.as_dict(lang.value) for p in errors]}, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_report(reports, errors, lang.value, verbose))
    if errors:
        raise typer.Exit(2)
    if failed or not reports:
        raise typer.Exit(1)


@app.command()
def audit(
    facts: Annotated[list[Path], typer.Argument(help="带 claimed（自报得分与扣分）的事实文件。Fact files with a claimed block.", show_default=False)],
    policy: PolicyOpt = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
):
    """核对部门自报的得分与扣分。Check the scores and deductions departments claimed."""
    from . import audit as auditing
    from .load import load_file
    from .service import evaluate_document
    entries, problems = [], []
    for path in facts:
        try:
            doc = load_file(path)
            result = evaluate_document(doc, policy)
            entries.append((str(path), result, auditing.audit(result, doc)))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        _fail(problems, lang.value, verbose, format.value)
    if format is Format.json:
        text = json.dumps([{"file": p, "department": r.department.name, "score": format_score(r.score),
                            "ok": not found, "discrepancies": [d.as_dict(lang.value) for d in found]}
                           for p, r, found in entries], ensure_ascii=False, indent=2) + "\n"
    else:
        text = auditing.render_text(entries, lang.value)
    _emit(text, output, lang.value, format.value)
    if any(found for _, _, found in entries):
        raise typer.Exit(1)


def format_score(x) -> str:
    return format(x, "f")


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="事实文件、文件夹、JSON Lines（.jsonl）或 CSV 文件。Fact files, folders, JSON Lines or CSV.", show_default=False)],
    policy: PolicyOpt = None,
    items: Annotated[Optional[Path], typer.Option("--items", help="CSV 输入的列表事实（如绩效指标）：每行 部门、列表、字段…。List facts for CSV input.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="并行进程数（0 = 全部 CPU）。Worker processes (0: all CPUs).")] = 1,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="输出文件 .csv、.jsonl 或 .xlsx（原子写入；缺省时 JSON Lines 写到标准输出）。Output file.")] = None,
    lang: LangOpt = Lang.zh,
    verbose: VerboseOpt = False,
):
    """批量评分：每个部门一行，并汇总得分分布和常见扣分。Evaluate many departments at once."""
    from .batch import run_batch
    try:
        code = run_batch(inputs, policy=policy, jobs=jobs, output=output, items=items, lang=lang.value, verbose=verbose)
    except InputError as exc:
        _fail(exc.problems, lang.value, verbose)
    raise typer.Exit(code)


def _crash(exc: BaseException) -> int:
    """Unexpected error: one line for the user, the traceback in a log file."""
    import tempfile
    import time
    import traceback
    log = Path(tempfile.gettempdir()) / f"perfrules-error-{time.strftime('%Y%m%d-%H%M%S')}.log"
    try:
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = str(log)
    except OSError:
        where = "（无法写入日志）"
    sys.stderr.write(f"perfrules 内部错误（不是您输入的问题）：{type(exc).__name__}。详细信息已写入 {where}，请把该文件发给维护人员。\n")
    return 3


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    except InputError as exc:          # a problem found outside a command's own handling
        sys.stderr.write(render_all(exc.problems) + "\n")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 — the last line of defence
        sys.exit(_crash(exc))


if __name__ == "__main__":
    main()
