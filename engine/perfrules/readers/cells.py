"""Workbook cells as Excel shows them, for both workbook readers (xlsx: a department's form,
xlsx_table: a district workbook, one department a row).

Opening refuses what is no workbook, each as one located E101/E105: not a zip, an encrypted
(password-protected) file, a zip of something else, a sheet over MAX_ROWS (openpyxl would
otherwise read a million rows). A cell's value: a percent-formatted number as a percentage
("98.83%": values.py refuses a bare number in a percent fact), a date as its ISO
text, a number to Excel's 15 significant digits, a formula as its cached value (none, because
no spreadsheet program ever computed it, is an error at the cell), a text list split at ；.
Merged cells in the data are refused.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

from ..problems import InputError, Problem

MAX_ROWS = 10_000          # a department's form has tens of rows; a district a few thousand
_ENCRYPTED = b"\xd0\xcf\x11\xe0"     # an OLE container: a password-protected workbook (or an old .xls)


def fail(file: str, zh: str, en: str, code: str = "E101", hint: str = "") -> InputError:
    return InputError([Problem(code, zh, en, file, hint=hint)])


def open_workbook(path: Path):
    """(values workbook, formulas workbook); a file that is not a readable workbook is E101."""
    from openpyxl import load_workbook
    file = str(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise fail(file, f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}")
    if magic == _ENCRYPTED:
        raise fail(file, "工作簿设有密码（已加密），或是旧的 .xls 文件，无法读取。",
                    "the workbook is password-protected (encrypted) or an old .xls file",
                    hint="在 Excel 中取消密码（文件 → 信息 → 保护工作簿），另存为 .xlsx 后再试。")
    if not zipfile.is_zipfile(path):
        raise fail(file, "文件不是 .xlsx 工作簿（不是 zip 格式）。", "not an .xlsx workbook (not a zip file)",
                    hint="在 Excel 或 WPS 中打开并另存为 Excel 工作簿（.xlsx）。")
    try:
        sizes = load_workbook(path, read_only=True)
        for ws in sizes.worksheets:
            if (ws.max_row or 0) > MAX_ROWS:
                raise fail(f"{file}:{ws.title}", f"工作表有 {ws.max_row:,} 行，超过上限 {MAX_ROWS:,} 行。",
                            f"the sheet has {ws.max_row:,} rows, over the limit of {MAX_ROWS:,}", "E105",
                            hint="删除表格下方多余的行（可能是误填到了最后一行）。")
        sizes.close()
        return load_workbook(path, data_only=True), load_workbook(path)
    except InputError:
        raise
    except Exception as exc:     # openpyxl raises KeyError, ValueError… for a zip that is not a workbook
        raise fail(file, f"文件是 zip，但不是 .xlsx 工作簿（{type(exc).__name__}）。",
                    f"a zip file, but not an .xlsx workbook ({type(exc).__name__})",
                    hint="在 Excel 或 WPS 中打开并另存为 Excel 工作簿（.xlsx）。")


def value_of(file: str, cell, formula_cell, kind: str = ""):
    """What a cell says, as a fact file would write it (None: empty)."""
    value = cell.value
    if value is None and formula_cell.data_type == "f":
        raise InputError([Problem("E402", "这一格的公式没有计算结果（文件未经 Excel 保存过）。",
                                  "the formula in this cell has no cached value", f"{file}:{cell.parent.title}!{cell.coordinate}",
                                  hint="在 Excel 或 WPS 中打开文件，保存一次后再试；或直接填写数值。")])
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if kind == "texts":
            return [s.strip() for s in value.replace(";", "；").split("；") if s.strip()]
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float)):
        # a float as Excel shows and keeps it: 15 significant digits (0.1+0.2 is 0.3, not 0.30000000000000004)
        number = Decimal(value) if isinstance(value, int) else Decimal(format(value, ".15g"))
        if "%" in (cell.number_format or ""):
            return format(number.scaleb(2).normalize(), "f") + "%"
        return int(number) if number == number.to_integral_value() else number
    return str(value)


def merged(file: str, ws) -> None:
    if ws.merged_cells.ranges:
        first = sorted(ws.merged_cells.ranges, key=str)[0]
        raise InputError([Problem("E106", f"数据区有合并单元格（{first}），无法逐格读取。", f"merged cells in the data ({first})",
                                  f"{file}:{ws.title}!{str(first).split(':')[0]}", hint="取消合并单元格，每格填一个值。")])
