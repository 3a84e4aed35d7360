"""Fill a policy's fill-in form (forms.workbook) with a YAML fact file's values, as a person
would type them into Excel: money as numbers in the form's unit, percents as percent-formatted
numbers, 是/否, lists one record a row. It makes the shipped example workbook reproducible
(`python examples/make_workbook.py` rewrites examples/panyu-jiguan-gongwei-2023.xlsx), and
tests/test_xlsx.py fills every shipped policy's example with it.
"""
from __future__ import annotations

import io
import re
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from perfrules import forms
from perfrules.load import load_file
from perfrules.service import policy_for

_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(%|万元)?$", re.ASCII)   # "１０" is typed as text


def typed(value: object) -> object:
    """A fact file's value as typed into a cell: (value, percent-formatted?)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(map(str, value))
    m = _NUMBER.match(str(value).strip()) if isinstance(value, (str, int, Decimal)) else None
    if m and not isinstance(value, bool):
        number = Decimal(m.group(1)) / (100 if m.group(2) == "%" else 1)
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def _put(cell, value: object) -> None:
    cell.value = typed(value)
    if isinstance(value, str) and value.strip().endswith("%"):
        cell.number_format = "0.00%"


def filled(facts_file: Path) -> bytes:
    """The form of the fact file's policy, filled with its values."""
    doc = load_file(facts_file)
    policy = policy_for(doc)
    wb = load_workbook(io.BytesIO(forms.workbook(policy)))
    ws = wb[forms.SHEET]
    rows = {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}
    data = dict(doc.data)
    for key, value in {**{k: data[k] for k, _, _ in forms.BASICS if k in data}, **data["facts"]}.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            sheet = wb[key[:31]]
            header = [c.value for c in sheet[1]]
            for n, record in enumerate(value, 2):
                for field, v in record.items():
                    _put(sheet.cell(n, header.index(field) + 1), v)
        else:
            _put(ws.cell(rows[key], forms.INPUT_COL), value)
    claimed = data.get("claimed") or {}
    if claimed:
        sheet = wb[forms.CLAIMS]
        _put(sheet["B1"], claimed["score"])
        for n, d in enumerate(claimed.get("deductions") or [], 4):
            for col, key in enumerate(("indicator", "points", "reason"), 1):
                if key in d:
                    sheet.cell(n, col).value = d[key] if key != "points" else typed(d[key])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


if __name__ == "__main__":
    here = Path(__file__).parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "panyu-jiguan-gongwei-2023.yaml"
    source.with_suffix(".xlsx").write_bytes(filled(source))
