"""Workbook fact documents (*.xlsx): the fill-in form `perfrules template` writes, filled in.

Department staff work in Excel, so the form they fill is the input: the 填报 sheet's rows
(键名 in column B, the value in column C) and one sheet per list fact (a header row of field
keys or labels, one record a row); forms.py writes that layout. What a cell says is read as
Excel shows it, never guessed at:
- a percent-formatted number is a percentage (0.9883 shown as 98.83% is "98.83%"; values.py
  refuses a bare number in a percent fact, so the cell's format is what makes it one);
- a date is its ISO text; a formula is its cached value, and a formula Excel never computed
  (no cached value: the file was written by a program, not saved by Excel) is an error;
- a default the form filled in and left as it is reads as the default;
- a workbook that is not one (not a zip, an encrypted file, a zip of something else), a
  missing 填报 sheet, merged cells and sheets over MAX_ROWS are one located error each.
Every problem is located as NAME.xlsx:工作表!C7 (XlsxDocument.problem); cells.py reads the cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from ..forms import BASICS, CLAIMS, DEFAULT_COL, INPUT_COL, SHEET, TYPE_COL, UNIT_COL
from ..load import Document
from ..model import Policy
from ..problems import InputError, Problem, did_you_mean
from ..values import bare_number
from . import xlsx_table
from .cells import fail, merged, open_workbook, value_of
from .task import Task

KIND = "xlsx"
_BASIC_KEYS = {k for k, _, _ in BASICS}
_FILL_IN = ("在“填报”表该事实一行的 C 列（填写值）填写；列表事实填在以它命名的工作表中。",
            "Fill in column C (填写值) of the fact's row on the 填报 sheet; a list fact on the sheet named after it.")


@dataclass
class XlsxDocument(Document):
    """A workbook as a Document: `cells` maps a path to the cell it was read from."""

    cells: dict[tuple, str] = field(default_factory=dict)    # path -> 工作表!C7
    headers: dict[str, dict[str, str]] = field(default_factory=dict)   # list key -> {header: 工作表!B1}

    def where(self, path) -> str:
        path = tuple(path)
        for n in range(len(path), -1, -1):
            if path[:n] in self.cells:
                return f"{self.file}:{self.cells[path[:n]]}"
        return f"{self.file}:{SHEET}"

    def problem(self, code, path=(), message="", message_en="", hint="", hint_en="", at_key=False) -> Problem:
        if code == "E401" and tuple(path) == ("facts",):     # a missing fact: where to fill it on the form
            hint, hint_en = _FILL_IN
        p = Document.problem(self, code, path, message, message_en, hint, hint_en, at_key)
        return replace(p, file=self.where(path), line=0, col=0, source_line="")


def read_workbook(path: Path) -> XlsxDocument:
    values, formulas = open_workbook(path)
    doc = XlsxDocument(str(path), None, None)
    if SHEET not in values.sheetnames:       # a form (it has 说明) whose 填报 sheet is gone
        raise fail(str(path), f"工作簿没有“{SHEET}”工作表。", f"the workbook has no '{SHEET}' sheet", "E106",
                    hint="用 perfrules template 评分办法 -o 填报表.xlsx 生成填报表，在其中填写。")
    data: dict = {}
    facts: dict = {}
    ws, fs = values[SHEET], formulas[SHEET]
    merged(doc.file, ws)
    for row in range(2, ws.max_row + 1):
        basic = ws.cell(row, 2).value
        if basic in _BASIC_KEYS:        # located even when left empty: a missing 部门 points at its cell
            doc.cells[(basic,)] = f"{SHEET}!{ws.cell(row, INPUT_COL).coordinate}"
        key, value = _form_row(doc, ws, fs, row)
        if value is None:
            continue
        at: tuple = (key,) if key in _BASIC_KEYS else ("facts", key)
        doc.cells[at] = f"{SHEET}!{ws.cell(row, INPUT_COL).coordinate}"
        (data if key in _BASIC_KEYS else facts)[key] = value
    missing = [(key, label) for key, label, required in BASICS if required and key not in data]
    if missing:                         # said in the form's words, at the empty cell
        raise InputError([doc.problem("E201", (key,), f"“{label}”没有填写。", f"'{label}' ({key}) is not filled in",
                                      hint=f"在“{label}”一行的输入格中填写。", hint_en="Fill in its input cell.")
                          for key, label in missing])
    if CLAIMS in values.sheetnames:
        _claims(doc, data, values[CLAIMS], formulas[CLAIMS])
    for ws in values.worksheets:
        if ws.title not in (SHEET, "说明", CLAIMS):
            merged(doc.file, ws)
            facts[ws.title] = _records(doc, ws, formulas[ws.title])
    data["facts"] = facts
    doc.data = data
    return doc


def _form_row(doc: XlsxDocument, ws, fs, row: int) -> tuple[str, object]:
    """(键名, value) of one 填报 row; value None: nothing to read (a heading, an empty cell, a
    list fact's row, or the form's own default left as it is)."""
    key, kind = ws.cell(row, 2).value, ws.cell(row, TYPE_COL).value or ""
    if not isinstance(key, str) or not key.strip() or kind == "list":
        return "", None
    value = value_of(doc.file, ws.cell(row, INPUT_COL), fs.cell(row, INPUT_COL), kind)
    if value is None or (kind and value == value_of(doc.file, ws.cell(row, DEFAULT_COL), fs.cell(row, DEFAULT_COL), kind)):
        return "", None
    if kind == "money" and bare_number(value):     # a bare number, or one stored as text, is in the form's unit (column D)
        value = f"{str(value).strip()}{ws.cell(row, UNIT_COL).value or ''}"
    return key.strip(), value


def _claims(doc: XlsxDocument, data: dict, ws, fs) -> None:
    """The 自报 sheet as the `claimed` block: the score in B1, a deduction a row from row 4."""
    score = value_of(doc.file, ws["B1"], fs["B1"])
    deductions: list[dict] = []
    for row in range(4, ws.max_row + 1):
        indicator, points, reason = (value_of(doc.file, ws.cell(row, n), fs.cell(row, n)) for n in (1, 2, 3))
        if indicator is None and points is None and reason is None:
            continue
        at = ("claimed", "deductions", len(deductions))
        doc.cells.update({at: f"{CLAIMS}!A{row}", at + ("points",): f"{CLAIMS}!B{row}", at + ("reason",): f"{CLAIMS}!C{row}"})
        deductions.append({k: v for k, v in (("indicator", indicator), ("points", points), ("reason", reason)) if v is not None})
    if score is None and not deductions:
        return
    data["claimed"] = {"score": score, **({"deductions": deductions} if deductions else {})}
    doc.cells.update({("claimed",): f"{CLAIMS}!B1", ("claimed", "score"): f"{CLAIMS}!B1"})


def _records(doc: XlsxDocument, ws, fs) -> list[dict]:
    """A list sheet's records, one a row; headers are named once the policy is known (finish)."""
    key = ws.title
    header = {n: str(c.value).strip() for n, c in enumerate(ws[1], 1) if c.value is not None and str(c.value).strip()}
    doc.headers[key] = {h: f"{ws.title}!{ws.cell(1, n).coordinate}" for n, h in header.items()}
    doc.cells[("facts", key)] = f"{ws.title}!A1"
    out: list[dict] = []
    for row in range(2, ws.max_row + 1):
        record = {}
        for n, name in header.items():
            value = value_of(doc.file, ws.cell(row, n), fs.cell(row, n))
            if value is not None:
                record[name] = value
                doc.cells[("facts", key, len(out), name)] = f"{ws.title}!{ws.cell(row, n).coordinate}"
        if record:
            doc.cells[("facts", key, len(out))] = f"{ws.title}!A{row}"
            out.append(record)
    return out


def name_fields(doc: XlsxDocument, policy: Policy) -> None:
    """Name each list sheet's columns by field key (a header may be a label); an unknown
    sheet or header is one error, at its cell, not one per row."""
    from .csv import _norm, field_names
    problems = []
    lists = {k: d for k, d in policy.facts.items() if d.type == "list"}
    facts = doc.data["facts"] if isinstance(doc.data, dict) else {}
    for key, headers in doc.headers.items():
        decl = lists.get(key)
        if decl is None:
            problems.append(Problem("E403", f"评分办法 {policy.id} 没有列表事实“{key}”（工作表名）。",
                                    f"policy {policy.id} has no list fact '{key}' (a sheet name)", f"{doc.file}:{key}",
                                    hint=did_you_mean(key, lists) or "列表事实的工作表以事实的键名命名；多余的工作表请删除。"))
            continue
        names = field_names(decl.fields)
        rename = {}
        for h, where in headers.items():
            if _norm(h) not in names:
                problems.append(Problem("E403", f"列表“{key}”没有字段“{h}”（表头）。", f"list '{key}' has no field '{h}'",
                                        f"{doc.file}:{where}", hint=did_you_mean(h, list(decl.fields)) or "表头应为字段的键名或名称。"))
            rename[h] = names.get(_norm(h), h)
        facts[key] = [{rename[k]: v for k, v in r.items()} for r in facts[key]]
        doc.cells.update({(p[0], p[1], p[2], rename[p[3]]): w for p, w in list(doc.cells.items())
                          if len(p) == 4 and p[1] == key})
    if problems:
        raise InputError(problems)


def tasks(path: Path, items=None) -> Iterator[Task]:
    """A form is one department: one task, read in the worker; a district workbook (no 填报
    sheet) one task a row (xlsx_table). A workbook that cannot be read is one bad task."""
    try:
        values, formulas = open_workbook(path)
        if _is_form(values):
            yield Task(KIND, str(path))
        else:
            yield from xlsx_table.tasks(path, values, formulas)
    except InputError as exc:
        yield Task("bad", str(path), tuple(exc.problems))


def _is_form(values) -> bool:
    """A form (one department) has the 说明 or 填报 sheet forms.py writes; else a district workbook."""
    return SHEET in values.sheetnames or "说明" in values.sheetnames


def check(path: Path, policy: Policy | None = None) -> list[Problem]:
    """A district workbook's header against the --policy (a form's keys are the policy's own)."""
    try:
        values, formulas = open_workbook(path)
    except InputError as exc:
        return list(exc.problems)
    if _is_form(values) or policy is None:
        return []
    ws = values.worksheets[0]
    return xlsx_table.check(path, tuple(str(c.value or "").strip() for c in ws[1]), ws.title, policy)


def read(task: Task) -> XlsxDocument:
    return read_workbook(Path(task.source))


def count(path: Path) -> int:
    """1 for a form; a district workbook's rows less the header (for the progress bar)."""
    try:
        values, _ = open_workbook(path)
    except InputError:
        return 1
    return 1 if _is_form(values) else max((values.worksheets[0].max_row or 1) - 1, 0)
