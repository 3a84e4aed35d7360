"""District workbooks: one department a row, as a bureau keeps them, read as CSV rows are.

A workbook without a 填报 sheet (the form readers/xlsx.py reads) is a district workbook:
- its first sheet has a header row, then one department a row, with the columns a department
  CSV has (部门, 部门编码, 评分办法, 年度, then one column per fact, by key or label);
- every other sheet is a list fact, named by its key or label: a header row with a 部门编码
  or 部门 column (the department the record belongs to), then one record a row.
Each row becomes the task a CSV row becomes (csv.read, csv.name_facts do the rest), its cells
as the text Excel shows (percent formats, dates, cached formula values: cells.value_of), so
one department scores the same from a CSV, a district workbook or its own form. A row is
located as NAME.xlsx:工作表!A7, a fact at its cell (工作表!E7), a record's field at its cell
on its list sheet.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..model import Policy
from ..problems import Problem, did_you_mean
from . import csv
from .cells import merged, value_of
from .task import Task


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(map(str, value))
    return str(value)


def _rows(path: Path, ws, fs) -> tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]:
    """(header, (row, cell texts) for each non-empty row) of a sheet."""
    merged(str(path), ws)
    header = tuple(_text(c.value).strip() for c in ws[1])

    def rows():
        for r in range(2, ws.max_row + 1):
            cells = [_text(value_of(str(path), ws.cell(r, n), fs.cell(r, n))) for n in range(1, len(header) + 1)]
            if any(c.strip() for c in cells):
                yield r, cells
    return header, rows()


def _link(header: tuple[str, ...]) -> tuple[int | None, int | None]:
    """(部门编码 column, 部门 column) of a header, None where there is none."""
    roles = [csv._ROLES.get(csv._norm(h).lower()) for h in header]
    return (roles.index("code") if "code" in roles else None, roles.index("department") if "department" in roles else None)


def _records(path: Path, values, formulas) -> dict[str, list[csv.ItemRecord]]:
    """Each list sheet's records, by the department code or name they name."""
    from openpyxl.utils import get_column_letter
    out: dict[str, list[csv.ItemRecord]] = {}
    for ws in values.worksheets[1:]:
        header, rows = _rows(path, ws, formulas[ws.title])
        code, dept = _link(header)
        for r, cells in rows:
            link = cells[code] if code is not None and cells[code].strip() else cells[dept] if dept is not None else ""
            given = [n for n, c in enumerate(cells) if n not in (code, dept) and c.strip()]
            fields = tuple((header[n], cells[n].strip()) for n in given)
            at = tuple(f"{path}:{ws.title}!{get_column_letter(n + 1)}{r}" for n in given)
            out.setdefault(csv._norm(link), []).append((f"{path}:{ws.title}!A{r}", ws.title, fields, at))
    return out


def tasks(path: Path, values, formulas) -> Iterator[Task]:
    """One task a department row, with the records its code (or name) links to and where
    each of its cells is."""
    from openpyxl.utils import get_column_letter
    ws = values.worksheets[0]
    header, rows = _rows(path, ws, formulas[ws.title])
    code, dept = _link(header)
    records = _records(path, values, formulas)
    where = f"{path}:{ws.title}!A1"
    if dept is None:
        yield Task("bad", where, (Problem("E201", f"“{ws.title}”表的表头缺少部门列（部门）。", "the header lacks a department column",
                                          where, hint="第一张表的第一行是表头：部门、部门编码、评分办法、年度，然后每个事实一列。"),))
        return
    for r, cells in rows:
        keys = [csv._norm(cells[i]) for i in (code, dept) if i is not None and cells[i].strip()]
        mine = next((records[k] for k in keys if k in records), [])
        at = tuple(f"{path}:{ws.title}!{get_column_letter(n)}{r}" for n in range(1, len(header) + 1))
        yield Task(csv.KIND, f"{path}:{ws.title}!A{r}", (header, cells, tuple(mine), at))


def check(path: Path, header: tuple[str, ...], sheet: str, policy: Policy | None) -> list[Problem]:
    """The department sheet's unknown columns, one error each (not one per row)."""
    from openpyxl.utils import get_column_letter
    if policy is None:
        return []
    names = csv.fact_names(policy)
    out = []
    for n, h in enumerate(header, 1):
        if h and csv._ROLES.get(csv._norm(h).lower()) is None and csv._norm(h) not in names:
            out.append(Problem("E403", f"评分办法 {policy.id} 没有事实“{h}”（按键名或名称都找不到）。", f"policy {policy.id} has no fact '{h}'",
                               f"{path}:{sheet}!{get_column_letter(n)}1", hint=did_you_mean(h, list(policy.facts)) or "列名应为事实的键名或名称（label）。"))
    return out
