"""`batch -o 结果.xlsx`: the reviewer's workbook, one a bureau could send upward.

Four sheets: 结果 (a row per department scored: 部门编码, 部门, 年度, 得分, 等级, 排名, each leaf
indicator's 扣分, 扣分原因, 自报得分 and 差异 where the input claims a score, the 认定 columns),
汇总 (counts, mean, median, min, max, the grades, the most common deductions, with native
Excel charts of the grades and of the scores), 核对 (every finding `perfrules audit` makes on
the claims, for the whole district) and 失败 (every department not scored, one row per
located problem). Headers bold and frozen, autofilter, widths, numbers as numbers with two
places, landscape and fit to width.

Ranks need every score before the first row, so rows are spooled: each scored department is
pickled to an unnamed temporary file as it comes (a few hundred bytes) and the sheets are
written in write-only mode at the end, reading the spool once. Memory holds only what the
batch Summary already holds (the scores counted by value, the grades, the deductions per
indicator and the failures); the rows themselves stay on disk. Measured: the same peak
(38 MB resident) for 5,000 and for 20,000 departments, where a CSV batch peaks at 30 MB.
"""
from __future__ import annotations

import pickle
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from ..report.audit import KINDS_ZH
from ..reproducible import restamp
from .plan import Outcome
from .summary import Summary
from .writers import Writer

_SHEETS = {"zh": ("结果", "汇总", "核对", "失败"), "en": ("Results", "Summary", "Audit", "Failures")}
_TWO = "0.00"


class ReviewWorkbook(Writer):
    """Spools each scored department; writes the four sheets on close."""

    def __init__(self, path: Path, lang: str, summary: Summary):
        super().__init__(lang)
        self.path, self.summary = path, summary
        self.leaves: list[tuple[str, str]] = []
        self.claims = False             # some department claims a score: 自报得分 and 差异 columns
        self.spool = tempfile.TemporaryFile()

    def write(self, o: Outcome) -> None:
        if not self.leaves:
            self.leaves, self.policy = list(o.leaves), o.policy
        elif o.policy != self.policy:
            self.other_policies.add(o.policy)
        self.claims = self.claims or bool(o.claimed)
        # what the sheets use; the leaves only of a department under another policy than the first
        leaves = () if o.policy == self.policy else o.leaves
        pickle.dump(replace(o, line=b"", facts=None, grades=(), tops=(), leaves=leaves), self.spool)
        self.rows += 1

    def _spooled(self) -> Iterator[Outcome]:
        self.spool.seek(0)
        while True:
            try:
                yield pickle.load(self.spool)
            except EOFError:
                return

    def close(self) -> None:
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        names = _SHEETS["en" if self.lang == "en" else "zh"]
        results, summary, audit, failures = (wb.create_sheet(n) for n in names)
        out = _Sheet(results, self._result_header(), [14, 30, 7, 9, 8, 7] + [12] * len(self.leaves) + [60])
        found = _Sheet(audit, self._audit_header(), [14, 30, 14, 12, 10, 10, 80, 30])
        ranks = _ranks(self.summary)
        for o in self._spooled():
            out.append(self._result_row(o, ranks))
            for kind, ind, claimed, due, text in o.findings:
                found.append([o.code, o.department, KINDS_ZH[kind] if self.lang == "zh" else kind, ind,
                              _num(claimed), _num(due), text, o.source])
        out.close()
        found.close()
        _summary_sheet(summary, self.summary, self.lang)
        self._failures(_Sheet(failures, self._failure_header(), [30, 30, 8, 40, 70, 50]))
        self.spool.close()
        with tempfile.TemporaryFile() as saved, open(self.path, "wb") as f:
            wb.save(saved)
            saved.seek(0)
            restamp(saved, f)                  # the same district, the same bytes (reproducible.py)

    def abort(self) -> None:
        self.spool.close()

    # ---- 结果 ----

    def _result_header(self) -> list[str]:
        zh = self.lang == "zh"
        head = (["部门编码", "部门", "年度", "得分", "等级", "排名"] if zh else
                ["code", "department", "year", "score", "grade", "rank"])
        head += [f"{i} {n}扣分" if zh else f"{i} {n} (lost)" for i, n in self.leaves]
        head += ["扣分原因"] if zh else ["deduction reasons"]
        if self.claims:
            head += ["自报得分", "差异"] if zh else ["claimed score", "difference"]
        return head + (["认定项数", "按评分规则得分", "认定", "评分办法", "来源"] if zh else
                       ["overrides", "score by the rules", "override reasons", "policy", "source"])

    def _result_row(self, o: Outcome, ranks: dict[Decimal, int]) -> list:
        lost = {i: x for i, _, x in o.deductions}
        row = [o.code, o.department, o.year, _num(o.score), o.grade, ranks[Decimal(o.score)]]
        own = {i for i, _ in o.leaves} if o.leaves else None     # another policy: its leaves only, by id
        row += [_num(lost.get(i, "0")) if own is None or i in own else None for i, _ in self.leaves] + [o.reasons]
        if self.claims:
            diff = Decimal(o.claimed) - Decimal(o.score) if o.claimed else None
            row += [_num(o.claimed), diff]
        count, rules, judged = self.judged(o)
        return row + [count, _num(rules), judged, o.policy, o.source]

    # ---- 核对 and 失败 ----

    def _audit_header(self) -> list[str]:
        return (["部门编码", "部门", "类别", "指标", "自报", "应为", "说明", "来源"] if self.lang == "zh" else
                ["code", "department", "kind", "indicator", "claimed", "due", "finding", "source"])

    def _failure_header(self) -> list[str]:
        return (["来源", "部门", "错误代码", "位置", "说明", "如何修改"] if self.lang == "zh" else
                ["source", "department", "code", "where", "problem", "how to fix"])

    def _failures(self, sheet: _Sheet) -> None:
        zh = self.lang == "zh"
        for o in self.summary.failures:
            if not o.problems:
                sheet.append([o.source, o.department, "", o.source,
                              ("内部错误（不是输入的问题）：" if zh else "internal error (not your input): ") + o.internal, ""])
            for p in o.problems:
                where = (p.file or o.source) + (f":{p.line}:{p.col}" if p.line else "")
                if p.path != "$":
                    where += f"（{p.path}）" if zh else f" (at {p.path})"
                sheet.append([o.source, o.department, p.code, where, p.text(self.lang), p.help(self.lang)])
        sheet.close()


def _num(text: str):
    """A decimal string as a number (None for ""): the sheets hold numbers, never text digits."""
    return Decimal(text) if text else None


def _ranks(summary: Summary) -> dict[Decimal, int]:
    """Score -> rank: 1 for the highest, ties share a rank (1, 1, 3 …)."""
    out, above = {}, 0
    for score in sorted(summary.scores, reverse=True):
        out[score] = above + 1
        above += summary.scores[score]
    return out


class _Sheet:
    """A write-only sheet with the reviewer's layout: a bold frozen header, widths, autofilter,
    numbers with two places, text never a formula, landscape and fit to width."""

    def __init__(self, ws, header: list[str], widths: list[int]):
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
        self.ws, self.width, self.rows = ws, len(header), 0
        for n, w in enumerate(widths + [14] * (len(header) - len(widths)), 1):
            ws.column_dimensions[get_column_letter(n)].width = w
        ws.freeze_panes = "A2"
        _landscape(ws)
        self.append(header, Font(bold=True))

    def append(self, values: list, font=None) -> None:
        self.ws.append(_cells(self.ws, values, font))
        self.rows += 1

    def close(self) -> None:
        from openpyxl.utils import get_column_letter
        self.ws.auto_filter.ref = f"A1:{get_column_letter(self.width)}{self.rows}"


def _cells(ws, values: list, font=None) -> list:
    """Write-only cells: decimals as numbers with two places, text never a formula."""
    from openpyxl.cell import WriteOnlyCell
    out = []
    for value in values:
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"         # text stays text: a name starting with "=" is no formula
        elif isinstance(value, Decimal):
            cell.number_format = _TWO
        if font is not None:
            cell.font = font
        out.append(cell)
    return out


def _landscape(ws) -> None:
    """Print setup: landscape, as wide as one page, as many pages down as it takes."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _summary_sheet(ws, s: Summary, lang: str) -> None:
    """汇总: the figures in two columns, the grades and the score histogram as tables with a
    bar chart each, and the most common deductions."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font
    zh, bold = lang == "zh", Font(bold=True)
    for col, width in zip("ABCD", (28, 30, 12, 12)):
        ws.column_dimensions[col].width = width
    _landscape(ws)
    rows: list[list] = []
    stats = s.stats()
    label = ("部门数", "评分", "失败", "平均分", "中位数", "最低分", "最高分") if zh else \
        ("departments", "evaluated", "failed", "mean", "median", "min", "max")
    rows += [[label[0], s.total], [label[1], s.evaluated], [label[2], s.failed]]
    rows += [[label[3 + k], stats.get(key)] for k, key in enumerate(("mean", "median", "min", "max"))]
    rows.append([])
    grades_at = len(rows) + 1
    rows.append(["等级", "部门数"] if zh else ["grade", "departments"])
    order = s.grade_order + [g for g in s.grades if g not in s.grade_order]
    rows += [[g, s.grades[g]] for g in order]
    rows.append([])
    bins_at = len(rows) + 1
    rows.append(["得分区间", "部门数"] if zh else ["scores", "departments"])
    bins = s.histogram()
    rows += bins
    rows.append([])
    rows.append(["最常见的扣分"] if zh else ["most common deductions"])
    rows.append(["指标", "名称", "部门数", "扣分合计"] if zh else ["indicator", "name", "departments", "points"])
    top = sorted(s.deductions.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[0]))[:10]
    rows += [[i, name, count, points] for i, (name, count, points) in top]
    heads = {grades_at, bins_at, len(rows) - len(top) - 1, len(rows) - len(top)}
    for n, values in enumerate(rows, 1):
        ws.append(_cells(ws, values, bold if n in heads else None))
    charts = ((grades_at, len(order), "等级分布" if zh else "Grades", "F2"),
              (bins_at, len(bins), "得分分布" if zh else "Scores", "F20"))
    for at, n, title, anchor in charts if s.evaluated else ():      # no chart of nothing
        chart = BarChart()
        chart.title, chart.legend = title, None
        chart.add_data(Reference(ws, min_col=2, min_row=at, max_row=at + n), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=at + 1, max_row=at + n))
        ws.add_chart(chart, anchor)
