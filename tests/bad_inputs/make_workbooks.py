"""Write the files of tests/bad_inputs/workbook/: workbooks with one mistake each.

Each starts from the shipped example workbook (examples/make_workbook.py fills the form with
the seed department) or from bytes that are no workbook at all, so they can be regenerated and
reviewed: `PYTHONPATH=engine python tests/bad_inputs/make_workbooks.py`. Their expectations
(code and sheet!cell) are in workbook/expectations.yaml. A sheet of 1,048,576 rows (Excel's
last row) costs one cell, so it is committed too.
"""
from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
OUT = HERE / "workbook"
SEED = HERE.parent.parent / "examples" / "panyu-jiguan-gongwei-2023.yaml"


def _filled(edit: Callable) -> bytes:
    from openpyxl import load_workbook
    spec = importlib.util.spec_from_file_location("make_workbook", SEED.parent / "make_workbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wb = load_workbook(io.BytesIO(module.filled(SEED)))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", (2024, 1, 1, 0, 0, 0)), "not a workbook")   # a fixed time: the same bytes each run
    return out.getvalue()


def _no_form_sheet(wb) -> None:
    wb["填报"].title = "Sheet1"


def files() -> dict[str, bytes]:
    """name -> bytes."""
    return {
        "not-a-zip.xlsx": "department: 这是一个改了后缀的文本文件\n".encode("utf-8"),
        "zip-not-a-workbook.xlsx": _zip_of_text(),
        # a password-protected .xlsx is an OLE compound file (its signature, then the encrypted package)
        "encrypted.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "missing-sheet.xlsx": _filled(_no_form_sheet),
        "merged-cells.xlsx": _filled(lambda wb: wb["绩效指标"].merge_cells("A3:B3")),
        "formula-no-cached-value.xlsx": _filled(lambda wb: wb["填报"].cell(8, 3, "=600+90.47")),
        "text-in-number-cell.xlsx": _filled(lambda wb: wb["绩效指标"].cell(3, 3, "很多")),
        "rows-1048576.xlsx": _filled(lambda wb: wb["绩效指标"].cell(1_048_576, 1, "误填在最后一行")),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, data in files().items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files())} files to {OUT}")


if __name__ == "__main__":
    main()
