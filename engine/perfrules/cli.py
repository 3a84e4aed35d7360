"""The perfrules command line: it parses the arguments, calls the engine and hands what it
got to a reporter (report/); the reporter's bytes go to stdout, stderr or --output.

The commands that evaluate (evaluate, audit, test) do the engine work and the rendering in a
guarded child process (guard.call): if durable_rules' C core kills it with a signal, the
command reports an internal error (exit 3) instead of dying, and nothing has been written
to stdout or --output, which only this process writes, once the child has answered. An
--output that is one of the command's inputs is refused (E601) before anything runs.

Exit codes: 0 evaluated (or all valid); 1 a check found something (test failures, audit
discrepancies); 2 invalid input or usage; 3 internal error (traceback in a log file).
"""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional, TextIO

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


class ReportFormat(str, Enum):     # evaluate and audit: documents too (formats.py)
    text = "text"
    json = "json"
    markdown = "markdown"
    docx = "docx"
    html = "html"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


PolicyOpt = Annotated[Optional[str], typer.Option("--policy", "-p", help="评分办法编号或文件（默认取事实文件中的 policy:）。Policy id or file.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="输出格式。Output format.")]
# evaluate and audit: -f left out, the -o suffix decides (formats.py)
_BY_SUFFIX_HELP = "输出格式（默认按 -o 的扩展名，否则 text）。Output format (default: from the -o suffix, else text)."
ReportFormatOpt = Annotated[Optional[ReportFormat], typer.Option("--format", "-f", show_default=False, help=_BY_SUFFIX_HELP)]
# audit: the same, without the documents only evaluate writes (its --help offers only what it writes)
AuditFormatOpt = Annotated[Optional[Format], typer.Option("--format", "-f", show_default=False, help=_BY_SUFFIX_HELP)]
LangOpt = Annotated[Lang, typer.Option("--lang", envvar="PERFRULES_LANG",
                                        help="语言：zh 中文，en 英文（也可设环境变量 PERFRULES_LANG）。Language.")]
def _dash_is_stdout(value: Optional[Path]) -> Optional[Path]:
    """-o - is standard output, as for most command-line tools (not a file named "-")."""
    return None if value is not None and str(value) == "-" else value


OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", callback=_dash_is_stdout,
                                                   help="写入文件（原子写入；- 为标准输出）。Write to a file (- for standard output).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="显示全部错误。Show every problem.")]
ItemsOpt = Annotated[Optional[Path], typer.Option("--items", help="CSV 输入的列表事实（如绩效指标）：每行 部门、列表、字段…。List facts for CSV input.")]


def _show_version(value: bool) -> None:
    if value:
        from . import __version__
        typer.echo(f"perfrules {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                          help="显示版本号。Show the version.")] = False,
    lang: LangOpt = Lang.zh,    # here too, so that `perfrules --lang en --help` is understood
) -> None:
    """部门整体支出绩效自评评分：按 YAML 评分办法计算得分，并说明每一项扣分。

    Scores department performance self-evaluations with YAML scoring policies."""
    from typer._click.core import ParameterSource
    if ctx.get_parameter_source("lang") is ParameterSource.COMMANDLINE:
        # `perfrules --lang en evaluate …`: the command's own --lang defaults to it (click makes the
        # command's context after this runs, from this default map); PERFRULES_LANG still counts first
        ctx.default_map = {name: {"lang": lang.value} for name in getattr(ctx.command, "commands", {})}


def _write(stream: TextIO, data: bytes) -> None:
    """A report's bytes onto stdout or stderr, after whatever text is already waiting there."""
    stream.flush()
    stream.buffer.write(data)
    stream.buffer.flush()


def _fail(problems: list[Problem], lang: str, verbose: bool, fmt: str = "text") -> NoReturn:
    """Report problems on stderr and exit 2."""
    from .report import to_bytes
    _write(sys.stderr, to_bytes("problems", fmt, problems, lang, verbose=verbose))
    raise typer.Exit(2)


def _emit(report: str, fmt: str, data, lang: str, output: Path | None = None, verbose: bool = False) -> None:
    """A report to stdout, or atomically to --output (a failed write is E601, in `fmt`)."""
    from .report import to_bytes
    _deliver(to_bytes(report, fmt, data, lang, verbose=verbose), fmt, lang, output)


def _deliver(out: bytes, fmt: str, lang: str, output: Path | None) -> None:
    """A report's bytes to stdout, or atomically to --output (a failed write is E601, in `fmt`)."""
    if output is None:
        _write(sys.stdout, out)
        return
    from .output import write_atomic
    try:
        write_atomic(output, out)
    except InputError as exc:
        _fail(exc.problems, lang, False, fmt)


def _refuse_inputs(output: Path | None, inputs: list[Path], policy: str | None, lang: str, fmt: str) -> None:
    """E601 (exit 2) if --output is one of the inputs: a fact file or the --policy file."""
    if output is None:
        return
    from .output import refuse_inputs
    try:
        refuse_inputs(output, inputs + ([Path(policy)] if policy else []))
    except InputError as exc:
        _fail(exc.problems, lang, False, fmt)


def _format(report: str, fmt: ReportFormat | Format | None, output: Path | None, lang: str) -> str:
    """The format to write in: -f, or the one -o's suffix names; E602 (exit 2) when they disagree."""
    from .formats import report_format
    from .report import REPORTERS
    try:
        return report_format(fmt.value if fmt else None, output, tuple(REPORTERS[report]), sys.stdout.isatty())
    except InputError as exc:
        _fail(exc.problems, lang, False, fmt.value if fmt else "text")


def _guarded(work, *args):
    """work(*args) in a guarded child (guard.call): its value, its exception, or EngineCrash."""
    from .guard import call
    return call(work, *args)


@app.command()
def evaluate(
    facts: Annotated[list[Path], typer.Argument(help="事实文件（可多个）。Fact files.", show_default=False)],
    policy: PolicyOpt = None,
    format: ReportFormatOpt = None,
    lang: LangOpt = Lang.zh,
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
    items: ItemsOpt = None,
):
    """计算得分并说明每一项扣分。Evaluate fact files and explain every deduction."""
    _refuse_inputs(output, facts + ([items] if items else []), policy, lang.value,
                   format.value if format else "text")   # E601 first: it guards an input
    fmt = _format("result", format, output, lang.value)
    problems, out = _guarded(_evaluated, facts, policy, fmt, lang.value, verbose, items)
    if problems:
        _fail(problems, lang.value, verbose, fmt)
    _deliver(out, fmt, lang.value, output)


def _evaluated(facts: list[Path], policy: str | None, fmt: str, lang: str, verbose: bool = False,
               items: Path | None = None) -> tuple[list[Problem], bytes]:
    """evaluate's engine work, in the guarded child: the problems, or the report's bytes."""
    from .readers import fact_documents
    from .report import to_bytes
    from .service import evaluate_document
    results: list = []
    problems: list[Problem] = []
    for path in facts:
        try:
            results.extend(evaluate_document(doc, policy) for doc in fact_documents(path, items))
        except InputError as exc:
            problems.extend(exc.problems)
    return problems, b"" if problems else to_bytes("result", fmt, results, lang, verbose=verbose)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="评分办法、事实文件或测试用例文件。Policy, fact or case files.", show_default=False)],
    policy: PolicyOpt = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    verbose: VerboseOpt = False,
    items: ItemsOpt = None,
):
    """检查评分办法和事实文件是否有错。Check policy and fact files."""
    from .checks import check_file
    checks = [check_file(path, policy, items) for path in files]
    problems = [p for c in checks for p in c.problems]
    _emit("validate", format.value, checks, lang.value)
    if problems and format is Format.json:
        raise typer.Exit(2)          # the problems are in the JSON already
    if problems:
        _fail(problems, lang.value, verbose)


@app.command()
def policies(
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
):
    """列出随附的评分办法。List the shipped policies."""
    from .checks import shipped_policies
    _emit("policies", format.value, shipped_policies(), lang.value)


@app.command("test")
def test_cases(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="用例文件、评分办法或目录（默认 rules/）。Case files, policies or folders.", show_default=False)] = None,
    format: FormatOpt = Format.text,
    lang: LangOpt = Lang.zh,
    verbose: VerboseOpt = False,
):
    """运行评分办法旁的测试用例，并报告规则覆盖。Run policy test cases, with rule coverage."""
    out, code = _guarded(_tested, paths, format.value, lang.value, verbose)
    _deliver(out, format.value, lang.value, None)
    if code:
        raise typer.Exit(code)


def _tested(paths: list[Path] | None, fmt: str, lang: str, verbose: bool) -> tuple[bytes, int]:
    """test's engine work, in the guarded child: the report's bytes and the exit code."""
    from . import resources
    from .cases import find_case_files, run_all
    from .report import to_bytes
    searched = "" if paths else str(resources.rules_dir())
    suite = run_all(find_case_files(paths or [resources.rules_dir()]), verbose, searched)
    code = 2 if suite.errors else 1 if suite.passed < suite.total or not suite.reports else 0
    return to_bytes("cases", fmt, suite, lang, verbose=verbose), code


@app.command()
def audit(
    facts: Annotated[list[Path], typer.Argument(help="带 claimed（自报得分与扣分）的事实文件。Fact files with a claimed block.", show_default=False)],
    policy: PolicyOpt = None,
    format: AuditFormatOpt = None,
    lang: LangOpt = Lang.zh,
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
    items: ItemsOpt = None,
):
    """核对部门自报的得分与扣分。Check the scores and deductions departments claimed."""
    _refuse_inputs(output, facts + ([items] if items else []), policy, lang.value,
                   format.value if format else "text")   # E601 first: it guards an input
    fmt = _format("audit", format, output, lang.value)
    problems, out, found = _guarded(_audited, facts, policy, fmt, lang.value, items)
    if problems:
        _fail(problems, lang.value, verbose, fmt)
    _deliver(out, fmt, lang.value, output)
    if found:
        raise typer.Exit(1)


def _audited(facts: list[Path], policy: str | None, fmt: str, lang: str,
             items: Path | None = None) -> tuple[list[Problem], bytes, bool]:
    """audit's engine work, in the guarded child: the problems, or the report's bytes and
    whether any discrepancy was found."""
    from .audit import audit_file
    from .report import to_bytes
    entries, problems = [], []
    for path in facts:
        try:
            entries.extend(audit_file(path, policy, items))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        return problems, b"", False
    return [], to_bytes("audit", fmt, entries, lang), any(e.found for e in entries)


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="事实文件、文件夹、JSON Lines（.jsonl）或 CSV 文件。Fact files, folders, JSON Lines or CSV.", show_default=False)],
    policy: PolicyOpt = None,
    items: ItemsOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="并行进程数（0 = 全部 CPU）。Worker processes (0: all CPUs).")] = 1,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", callback=_dash_is_stdout, help="输出文件 .csv、.jsonl 或 .xlsx（审核工作簿：结果、汇总、核对、失败；原子写入；缺省时 JSON Lines 写到标准输出）。Output file (.xlsx: the reviewer's workbook).")] = None,
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


@app.command()
def template(
    policy: Annotated[str, typer.Argument(help="评分办法编号或文件。Policy id or file.", show_default=False, metavar="POLICY")],
    output: Annotated[Path, typer.Option("--output", "-o", help="填报表：.xlsx 工作簿或 .yaml 事实文件。The form: .xlsx or .yaml.")],
    lang: LangOpt = Lang.zh,
):
    """按评分办法生成填报表（.xlsx 或 .yaml）。Write a fill-in form for a policy."""
    from dataclasses import replace

    from . import forms
    from .service import policy as load_policy
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".yaml", ".yml"):
        _fail([Problem("E602", f"填报表只能是 .xlsx 或 .yaml 文件，不能是“{output.suffix or output.name}”。",
                       f"a form is an .xlsx or .yaml file, not '{output.suffix or output.name}'", str(output))], lang.value, False)
    _refuse_inputs(output, [], policy, lang.value, "text")
    try:
        chosen = load_policy(policy)
    except InputError as exc:       # located at the POLICY argument when the policy's own file is not the trouble
        _fail([replace(p, file=p.file or policy) for p in exc.problems], lang.value, False)
    data = forms.workbook(chosen) if suffix == ".xlsx" else forms.fact_file(chosen).encode("utf-8")
    _deliver(data, "text", lang.value, output)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址。Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口。Port.")] = 8000,
    db: Annotated[str, typer.Option("--db", help="保存评分记录的 SQLite 文件，或数据库 URL（postgresql://…）。Where submissions are stored.")] = "perfrules.db",
    policies: Annotated[Optional[list[Path]], typer.Option("--policies", help="本局自己的评分办法文件夹（可多个）。A folder of the bureau's own policies.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", envvar="PERFRULES_TOKEN", help="访问口令：设置后页面和接口都要先输入口令。A token every page and API call needs.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="评分进程数（0 = 全部 CPU）。Evaluating processes (0: all CPUs).")] = 0,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", min=0.001, help="一次上传的大小上限（MB）。Largest upload, in MB.")] = 20,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="一次批量上传的部门数上限。Most departments in one batch upload.")] = 20_000,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="一次评分最长的秒数，超过即停止该评分进程。Seconds one evaluation may take.")] = 120,
    lang: LangOpt = Lang.zh,
):
    """启动评分服务（浏览器页面和 HTTP 接口）。Run the web service: pages and HTTP API."""
    from .web.app import Settings, serve as run
    problems = [Problem("E101", f"找不到评分办法文件夹：{p}", f"no such folder: {p}", str(p))
                for p in policies or [] if not p.is_dir()]
    if problems:
        _fail(problems, lang.value, False)
    run(Settings(db=db, policies=tuple(str(p) for p in policies or []), token=token or "", workers=workers,
                 max_upload=int(max_upload_mb * 1024 * 1024), max_rows=max_rows, timeout=timeout),
        host=host, port=port, lang=lang.value)


@app.command()
def explain(
    code: Annotated[str, typer.Argument(help="错误代码，如 E304。An error code such as E304.", show_default=False)],
    lang: LangOpt = Lang.zh,
):
    """打印某个错误代码的说明页（含义、示例、改法）。Print the page that explains an error code."""
    from . import resources
    from .problems import CODES, did_you_mean
    wanted = code.strip().upper()
    if wanted not in CODES:
        hint = did_you_mean(wanted, CODES) or "共有这些代码：" + "、".join(CODES)
        hint_en = did_you_mean(wanted, CODES, "en") or "the codes: " + ", ".join(CODES)
        _fail([Problem("E602", f"没有错误代码“{code}”。", f"no error code '{code}'", "perfrules", hint=hint,
                       hint_en=hint_en)], lang.value, False)
    _write(sys.stdout, resources.error_page(wanted).read_bytes())


def _crash(exc: BaseException, lang: str = "zh") -> int:
    """Unexpected error: one line for the user, the traceback in a log file."""
    import tempfile
    import time
    import traceback
    log = Path(tempfile.gettempdir()) / f"perfrules-error-{time.strftime('%Y%m%d-%H%M%S')}.log"
    try:
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = str(log)
    except OSError:
        where = "（无法写入日志）" if lang == "zh" else "(the log could not be written)"
    if lang == "zh":
        sys.stderr.write(f"perfrules 内部错误（不是您输入的问题）：{type(exc).__name__}。详细信息已写入 {where}，请把该文件发给维护人员。\n")
    else:
        sys.stderr.write(f"perfrules internal error (not a problem with your input): {type(exc).__name__}. "
                         f"The details are in {where}; please send that file to the maintainers.\n")
    return 3


def _argv_lang(argv: list[str]) -> str:
    """--lang from the command line (or PERFRULES_LANG), for what main() prints once the
    command itself has failed or could not be parsed."""
    import os
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "zh"
        if arg.startswith("--lang="):
            return "en" if arg == "--lang=en" else "zh"
    return "en" if os.environ.get("PERFRULES_LANG") == "en" else "zh"


def _run_app(lang: str) -> int:
    """The app without click's own (English-only) error printing: a usage mistake is an E602
    problem in the asked language (usage.py), exit 2."""
    from typer import Abort
    from typer._click.exceptions import ClickException
    if lang == "zh":
        from .usage import chinese_help
        chinese_help()
    try:
        code = app(standalone_mode=False, prog_name="perfrules")
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":    # `perfrules` alone: the help, as click shows it
            exc.show()
            return exc.exit_code
        from .usage import usage_problem
        sys.stderr.write(render_all([usage_problem(exc, sys.argv[1:])], lang) + "\n")
        return 2
    except Abort:
        sys.stderr.write("已中断。\n" if lang == "zh" else "Interrupted.\n")
        return 130
    return code if isinstance(code, int) else 0


def main() -> None:
    lang = _argv_lang(sys.argv)
    try:
        sys.exit(_run_app(lang))
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n" if lang == "zh" else "Interrupted.\n")
        sys.exit(130)
    except InputError as exc:          # a problem found outside a command's own handling
        sys.stderr.write(render_all(exc.problems, lang) + "\n")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 — the last line of defence
        sys.exit(_crash(exc, lang))


if __name__ == "__main__":
    main()
