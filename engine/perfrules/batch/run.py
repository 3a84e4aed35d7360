"""run_batch: check the inputs, evaluate every department, write the rows, print the summary.

The inputs and the output format are checked before anything is evaluated (exit 2, no
output file), and so is the output itself: one that is an input of the run (a fact file, a
file in an input folder, the --items or --policy file) is refused (E601). The output goes to
an unnamed temporary file named at the end (output.atomic_path), and SIGTERM ends the batch
as Ctrl-C does, so a failed, interrupted or killed batch leaves none.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..output import atomic_path, refuse_inputs
from ..problems import InputError, Problem
from ..readers import Inputs
from ..readers.folder import read_files
from . import pool, workers
from .plan import Outcome, estimate
from .progress import ProgressBar
from .summary import Summary
from .writers import CsvWriter, JsonlWriter, Writer, output_format


def run_batch(inputs: list[Path], policy: str | None = None, jobs: int = 1, output: Path | None = None,
              items: Path | None = None, lang: str = "zh", verbose: bool = False, progress: bool | None = None,
              stderr=None) -> int:
    """Evaluate every department; write the rows; print the summary. Returns the exit code
    (0 all evaluated, 1 some failed); raises InputError when the inputs cannot be read."""
    err = stderr if stderr is not None else sys.stderr
    fmt = output_format(output)
    chosen = workers.load_ref(policy) if policy is not None else None
    plan = Inputs(inputs, items, chosen)
    if output is not None:
        refuse_inputs(output, _files_read(plan, items, policy))
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    summary = Summary(lang, verbose)
    bar = ProgressBar(progress, lambda: estimate(plan), lang, err)
    init_args = (policy, lang, fmt == ".jsonl", fmt == ".xlsx")

    def run(writer: Writer) -> None:
        def handle(o: Outcome) -> None:
            summary.add(o)
            if o.ok:
                writer.write(o)
            bar.tick()
        try:
            pool.drive(plan.tasks(), jobs, init_args, handle)
        finally:
            bar.close()
        if summary.total == 0:
            raise InputError([Problem("E602", "没有找到任何部门的事实（文件夹中没有 .yaml 文件，或文件是空的）。",
                                      "no departments found in the inputs", ", ".join(str(p) for p in inputs))])
        writer.close()

    with _sigterm_exits():
        writer = _write(fmt, output, lang, summary, run)
    summary.elapsed = time.monotonic() - summary.started
    summary.warnings += _warnings(plan, writer, lang)
    err.write(summary.render(jobs, str(output) if output is not None else None, writer.rows))
    err.flush()
    return 1 if summary.failed or plan.unused_items() else 0


def _write(fmt: str, output: Path | None, lang: str, summary: Summary, run) -> Writer:
    """run(writer) on stdout, or on a temporary file renamed onto `output` if it succeeds."""
    if output is None:
        writer = writer_for(fmt, None, lang, summary)
        run(writer)
        return writer
    try:
        with atomic_path(output) as tmp:
            writer = writer_for(fmt, tmp, lang, summary)
            try:
                run(writer)
            except BaseException:
                writer.abort()
                raise
    except OSError as exc:
        raise InputError([Problem("E601", f"无法写入输出文件：{exc.strerror or exc}",
                                  f"cannot write: {exc.strerror or exc}", str(output))])
    return writer


def writer_for(fmt: str, path: Path | None, lang: str, summary: Summary) -> Writer:
    """The writer for the output's suffix; the workbook also reads the summary (ranks, 汇总, 失败)."""
    if fmt == ".csv":
        assert path is not None       # output_format: only an --output path is .csv or .xlsx
        return CsvWriter(path, lang)
    if fmt == ".xlsx":
        assert path is not None
        from .workbook import ReviewWorkbook      # openpyxl only when it is asked for
        return ReviewWorkbook(path, lang, summary)
    return JsonlWriter(path, lang)


def _files_read(plan: Inputs, items: Path | None, policy: str | None) -> Iterator[str | Path]:
    """Every file the batch reads: the inputs (each fact file in an input folder), the
    --items file and a --policy given as a path."""
    for path, _ in plan.sources:
        yield from (f for f, _ in read_files(path)) if path.is_dir() else (path,)
    yield from (p for p in (items, Path(policy) if policy else None) if p is not None)


def _warnings(plan: Inputs, writer: Writer, lang: str) -> list[str]:
    """Unused --items records, CSV files a folder held, and departments under another policy
    than the first row's."""
    out = []
    for where, dept in plan.unused_items():
        out.append(
            f"  {where}: --items 中部门“{dept}”的记录没有用上：输入中没有这个部门（检查名称是否一致）。" if lang == "zh" else
            f"  {where}: --items rows for '{dept}' were not used: no such department in the inputs")
    if out:
        out.insert(0, "未用上的 --items 记录：" if lang == "zh" else "Unused --items rows:")
    skipped = plan.skipped()
    if skipped:
        out.append(f"未读取文件夹中的 {len(skipped)} 个 CSV 文件（CSV 的列表事实要用 --items 给出）：请把它们直接写在命令行上，"
                   "需要时加 --items：" if lang == "zh" else
                   f"{len(skipped)} CSV files in the folders were not read (a CSV's list facts come from --items): "
                   "give them on the command line, with --items where needed:")
        out += [f"  {f}" for f in skipped]
    if writer.other_policies:
        out.append(
            f"注意：有部门使用了 {', '.join(sorted(writer.other_policies))}，与第一行的 {writer.policy} 不同；"
            "各一级指标扣分列按指标编号对应。" if lang == "zh" else
            f"Note: some departments used {', '.join(sorted(writer.other_policies))}, not {writer.policy}; "
            "the per-indicator columns are matched by indicator id.")
    return out


@contextmanager
def _sigterm_exits():
    """SIGTERM ends the batch like Ctrl-C does, so the temporary output is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)
    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
