"""`batch -o 结果.xlsx`: the reviewer's workbook, on a district of 200 generated departments
with claims (right, wrong in every way audit knows, or absent) and some that cannot be scored.

The file is opened again with openpyxl and every sheet read back: each row against the
single-file pipeline, the ranks recomputed here, the 核对 sheet against `perfrules audit
--format json` over the same files, the charts in the zip, the failures located, and the
layout (frozen header, autofilter, number formats, print setup).
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import PANYU_FACTS, ROOT
from test_batch import departments, quiet, write_jsonl

from perfrules.load import load_text
from perfrules.service import evaluate_file

WEIGHTED = ROOT / "examples" / "weighted" / "chongqing-style-2021.example.yaml"
TWO = Decimal("0.01")


def perfrules(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)


def _claim(i: int, result) -> dict | None:
    """Every fifth claims nothing; the others claim right, a wrong total, one deduction
    left out, or one deduction that is not due."""
    lost = [{"indicator": d.indicator.id, "points": float(d.deduction), "reason": "自评"} for d in result.deductions]
    score = float(result.score)
    kind = i % 5
    if kind == 0:
        return None
    if kind == 2:
        return {"score": score - 1}
    if kind == 3 and lost:
        return {"score": score, "deductions": lost[1:]}
    if kind == 4:
        due = {d["indicator"] for d in lost}
        return {"score": score - 1, "deductions": lost + [{"indicator": "GL-03", "points": 1, "reason": "x"}]
                if "GL-03" not in due else lost}
    return {"score": score, "deductions": lost}


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """200 departments as YAML files (10 unscoreable) plus the seed twice (a tie), the
    reference results of the scoreable ones, and the workbook batch wrote for them."""
    folder = tmp_path_factory.mktemp("district") / "facts"
    folder.mkdir()
    reference, failing = {}, []
    for i, doc in enumerate(departments(200, seed=5), 1):
        path = folder / f"d{i:03d}.yaml"
        doc = doc | {"code": f"440113{i:04d}"}
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
        if i % 20 == 7:
            doc["facts"] = doc["facts"] | {"实际支出数": "很多"}
            failing.append(path)
        else:
            result = evaluate_file(path)
            claim = _claim(i, result)
            if claim is not None:
                doc["claimed"] = claim
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
        if path not in failing:
            reference[str(path)] = evaluate_file(path)
    weighted = load_text(WEIGHTED.read_text("utf-8"), str(WEIGHTED)).data       # another policy, with 认定
    weighted = {**weighted, "policy": str(WEIGHTED.parent / weighted["policy"]), "claimed": {"score": 90.93}}
    (folder / "zz-weighted.yaml").write_text(yaml.safe_dump(weighted, allow_unicode=True, sort_keys=False), "utf-8")
    reference[str(folder / "zz-weighted.yaml")] = evaluate_file(folder / "zz-weighted.yaml")
    for twin in ("seed-a.yaml", "seed-b.yaml"):
        shutil.copy(PANYU_FACTS, folder / twin)
        reference[str(folder / twin)] = evaluate_file(folder / twin)
    out = folder.parent / "结果.xlsx"
    proc = perfrules("batch", folder, "-o", out, "--jobs", "2")
    assert proc.returncode == 1, proc.stderr[-3000:]          # some departments failed
    assert "共 203 个部门，评分 193 个，失败 10 个" in proc.stderr and "Traceback" not in proc.stderr
    return folder, reference, failing, out


def _rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_every_department_is_a_row_with_its_leaf_deductions_claim_and_rank(district):
    folder, reference, _, out = district
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["结果", "汇总", "核对", "失败"]
    rows = _rows(wb["结果"])
    assert sorted(r["来源"] for r in rows) == sorted(reference)
    scores = [r.score for r in reference.values()]
    leaves = [(leaf.id, leaf.name) for leaf in next(iter(reference.values())).policy.leaves()]
    for r in rows:
        result = reference[r["来源"]]
        assert (r["部门"], r["年度"], r["等级"]) == (result.department.name, result.policy.year, result.grade("zh"))
        assert r["部门编码"] == (result.department.code or None)
        assert Decimal(str(r["得分"])).quantize(TWO) == result.score
        assert r["排名"] == 1 + sum(s > result.score for s in scores)        # ties share a rank
        lost = {d.indicator.id: d.deduction for d in result.deductions}
        own = {leaf.id for leaf in result.policy.leaves()}
        got = {i: r[f"{i} {n}扣分"] for i, n in leaves}
        assert got == {i: float(lost.get(i, 0)) if i in own else None for i, _ in leaves}
        claimed = result.department.claimed
        if claimed:
            assert Decimal(str(r["自报得分"])).quantize(TWO) == Decimal(str(claimed["score"])).quantize(TWO)
            assert Decimal(str(r["差异"])).quantize(TWO) == Decimal(str(claimed["score"])).quantize(TWO) - result.score
        else:
            assert (r["自报得分"], r["差异"]) == (None, None)
    seeds = [r for r in rows if r["来源"].endswith(("seed-a.yaml", "seed-b.yaml"))]
    assert len({r["排名"] for r in seeds}) == 1 and seeds[0]["得分"] == 96.88


def test_the_audit_sheet_is_what_perfrules_audit_finds_file_by_file(district):
    folder, reference, _, out = district
    claimed = sorted(p for p, r in reference.items() if r.department.claimed)
    proc = perfrules("audit", *claimed, "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]          # the wrong claims are found
    expected = {}
    for entry in json.loads(proc.stdout):
        for d in entry["discrepancies"] + entry.get("overrides", []):
            expected.setdefault(entry["file"], []).append(
                (d["kind"], d["indicator"] or None, d["claimed"], d["due"], d["message"]))
    got: dict[str, list] = {}
    kinds = {"得分不符": "total", "多扣分": "not_due", "漏扣分": "not_claimed", "扣分数不符": "amount",
             "自报数字不自洽": "arithmetic", "未知指标": "unknown_indicator", "认定": "override"}
    money = lambda x: None if x is None else format(Decimal(str(x)).quantize(TWO), "f")  # noqa: E731
    for r in _rows(openpyxl.load_workbook(out)["核对"]):
        got.setdefault(r["来源"], []).append((kinds[r["类别"]], r["指标"], money(r["自报"]), money(r["应为"]), r["说明"]))
    assert got == expected
    assert {k for rows in got.values() for k, *_ in rows} >= {"total", "not_due", "not_claimed", "arithmetic", "override"}


def test_failures_are_listed_with_their_located_errors(district):
    _, _, failing, out = district
    rows = _rows(openpyxl.load_workbook(out)["失败"])
    assert sorted(r["来源"] for r in rows) == sorted(map(str, failing))
    for r in rows:
        assert r["错误代码"] == "E402" and "很多" in r["说明"]
        assert r["位置"].startswith(f"{r['来源']}:") and r["位置"].split(":")[1].isdigit()   # file:line:col
        assert r["部门"].startswith("测试部门") and r["如何修改"]


def test_the_summary_sheet_has_the_figures_and_two_native_charts(district):
    _, reference, failing, out = district
    ws = openpyxl.load_workbook(out)["汇总"]
    cells = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0] is not None}
    scores = [r.score for r in reference.values()]
    assert (cells["部门数"][0], cells["评分"][0], cells["失败"][0]) == (203, 193, 10)
    assert Decimal(str(cells["平均分"][0])).quantize(TWO) == (sum(scores) / len(scores)).quantize(TWO)
    assert Decimal(str(cells["中位数"][0])).quantize(TWO) == Decimal(statistics.median(scores)).quantize(TWO)
    assert (cells["最低分"][0], cells["最高分"][0]) == (float(min(scores)), float(max(scores)))
    for grade in ("优", "良", "中", "差"):
        assert cells[grade][0] == sum(r.grade("zh") == grade for r in reference.values())
    bins = {k: v[0] for k, v in cells.items() if isinstance(k, str) and "–" in k}
    assert sum(bins.values()) == 193
    assert "最常见的扣分" in cells
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/")]
    assert sorted(charts) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    assert len(ws._charts) == 2


def test_layout_bold_frozen_header_autofilter_numbers_and_print_setup(district):
    _, reference, failing, out = district
    wb = openpyxl.load_workbook(out)
    for name, rows in (("结果", len(reference)), ("失败", len(failing))):
        ws = wb[name]
        assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{rows + 1}"
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1
    ws = wb["结果"]
    assert ws["D2"].data_type == "n" and ws["D2"].number_format == "0.00"        # 得分
    assert ws["G2"].data_type == "n" and ws["G2"].number_format == "0.00"        # a leaf's 扣分
    assert ws.column_dimensions["B"].width == 30


def test_english_sheets_and_no_claim_columns_without_claims(tmp_path):
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(3))
    out = tmp_path / "r.xlsx"
    code, err = quiet(inputs=[jsonl], output=out, lang="en")
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Results", "Summary", "Audit", "Failures"]
    header = [c.value for c in wb["Results"][1]]
    assert header[:6] == ["code", "department", "year", "score", "grade", "rank"]
    assert "claimed score" not in header and header[-2:] == ["policy", "source"]
    assert wb["Audit"].max_row == 1 and wb["Failures"].max_row == 1


def test_text_is_never_a_formula_on_any_sheet_and_jobs_do_not_change_the_cells(tmp_path):
    evil = '=HYPERLINK("http://example.com","点这里")'
    docs = departments(40, seed=9)
    docs[3] |= {"department": evil, "claimed": {"score": 1}}                            # 结果 and 核对
    docs[5] |= {"department": evil, "facts": docs[5]["facts"] | {"实际支出数": "很多"}}   # 失败
    jsonl = write_jsonl(tmp_path / "d.jsonl", docs)
    sheets = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.xlsx"
        code, err = quiet(inputs=[jsonl], output=out, jobs=jobs)
        assert code == 1, err
        wb = openpyxl.load_workbook(out)
        sheets[jobs] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}
        for name in ("结果", "核对", "失败"):
            cells = [c for row in wb[name].iter_rows() for c in row if c.value == evil]
            assert cells and all(c.data_type == "s" for c in cells), name
    assert sheets[1] == sheets[2]
