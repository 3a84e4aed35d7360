"""Fill-in forms (perfrules template) and workbooks as input (readers/xlsx.py).

Every workbook here is written with openpyxl, read back by the CLI and, where the form is
checked, reopened with openpyxl: nothing is taken on trust from the writer.
"""
from __future__ import annotations

import importlib.util
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from perfrules import forms
from perfrules.cli import app
from perfrules.service import policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {"guangzhou/panyu/2023": ROOT / "examples" / "panyu-jiguan-gongwei-2023.yaml",
            "national/mof-2020-project/2024": ROOT / "examples" / "national-project-2024.yaml"}
runner = CliRunner()


def _make_workbook():
    spec = importlib.util.spec_from_file_location("make_workbook", ROOT / "examples" / "make_workbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.mark.parametrize("pid", sorted(EXAMPLES))
def test_the_workbook_form_lists_every_fact_the_policy_reads(pid, tmp_path):
    out = tmp_path / "填报表.xlsx"
    assert _run("template", pid, "-o", out).exit_code == 0
    wb = load_workbook(out)
    p = policy(pid)
    assert wb.sheetnames[:2] == ["说明", "填报"] and p.title in wb["说明"]["A1"].value
    ws = wb["填报"]
    rows = {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}
    assert {"policy", "department", "code", "year", "project"} <= set(rows)
    assert ws.cell(rows["policy"], 3).value == pid
    validated = {str(c) for dv in ws.data_validations.dataValidation for c in dv.sqref.ranges}
    for decl in forms.inputs(p):
        row = rows[decl.key]
        assert ws.cell(row, 1).value == (decl.label or decl.key)
        if decl.type == "list":
            assert [c.value for c in wb[decl.key][1]] == [k for k, _ in decl.inputs]
            continue
        need = ws.cell(row, 6).value
        assert need == "必填" if decl.required else need.startswith("默认") if decl.has_default else need == "选填"
        if decl.has_default:        # the default is filled in, marked, and reads as itself
            written = ["" if v is None else v for v in (ws.cell(row, 3).value, ws.cell(row, 8).value)]
            assert written == [forms.cell_value(decl, decl.default)] * 2
        if decl.type == "boolean" or decl.options:
            assert f"C{row}" in validated
        if decl.type == "percent":
            assert ws.cell(row, 3).number_format == "0.00%"


@pytest.mark.parametrize("pid", sorted(EXAMPLES))
def test_a_filled_form_scores_as_the_yaml_example_byte_for_byte(pid, tmp_path):
    """The example's values typed into the form (through openpyxl) give the same JSON result;
    only a warning's location differs (a cell instead of a line)."""
    book = tmp_path / "filled.xlsx"
    book.write_bytes(_make_workbook().filled(EXAMPLES[pid]))
    got = _run("evaluate", book, "-f", "json")
    want = _run("evaluate", EXAMPLES[pid], "-f", "json")
    assert got.exit_code == want.exit_code == 0, got.stdout + got.stderr

    def unlocated(text: str) -> str:
        data = json.loads(text)
        for result in data["results"] if "results" in data else [data]:
            for note in result.get("warnings", []):
                for k in ("file", "line", "col"):
                    note.pop(k)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)
    assert unlocated(got.stdout) == unlocated(want.stdout)


def test_the_shipped_example_workbook_is_the_seed_filled_in_and_scores_96_88(tmp_path):
    shipped = ROOT / "examples" / "panyu-jiguan-gongwei-2023.xlsx"
    fresh = tmp_path / "fresh.xlsx"
    fresh.write_bytes(_make_workbook().filled(EXAMPLES["guangzhou/panyu/2023"]))
    a, b = load_workbook(shipped), load_workbook(fresh)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [[c.value for c in r] for r in b[name].iter_rows()]
    result = json.loads(_run("evaluate", shipped, "-f", "json").stdout)
    result = result["results"][0] if "results" in result else result
    assert result["score"] == "96.88" or Decimal(str(result["score"])) == Decimal("96.88")
    text = _run("evaluate", shipped).stdout
    for leaf, points in (("YS-01", "0.12"), ("LZ-01", "1.00"), ("GL-01", "2.00")):
        assert re.search(rf"^{leaf} .* {points}  ", text, re.M), text


def test_the_yaml_form_is_a_fact_file_once_the_required_values_are_filled(tmp_path):
    pid = "guangzhou/panyu/2023"
    out = tmp_path / "填报表.yaml"
    assert _run("template", pid, "-o", out).exit_code == 0
    text = out.read_text("utf-8")
    p = policy(pid)
    for decl in forms.inputs(p):
        assert f"{decl.key}:" in text and (decl.label or decl.key) in text
    form = yaml.safe_load(text)
    example = yaml.safe_load(EXAMPLES[pid].read_text("utf-8"))
    form["department"] = example["department"]
    for decl in forms.inputs(p):
        if decl.required:
            assert decl.key not in form["facts"]          # to fill: commented out
            form["facts"][decl.key] = example["facts"][decl.key]
    filled = tmp_path / "filled.yaml"
    filled.write_text(yaml.safe_dump(form, allow_unicode=True), "utf-8")
    got = json.loads(_run("evaluate", filled, "-f", "json").stdout)
    got = got["results"][0] if "results" in got else got
    assert Decimal(str(got["score"])) == Decimal("96.88")


def test_a_form_name_must_be_xlsx_or_yaml(tmp_path):
    run = _run("template", "guangzhou/panyu/2023", "-o", tmp_path / "x.docx")
    assert run.exit_code == 2 and "E602" in run.stderr and not (tmp_path / "x.docx").exists()


def _book(tmp_path: Path, edit) -> Path:
    """The shipped example, edited by `edit(workbook)`, saved under tmp_path."""
    wb = load_workbook(io.BytesIO(_make_workbook().filled(EXAMPLES["guangzhou/panyu/2023"])))
    edit(wb)
    path = tmp_path / "x.xlsx"
    wb.save(path)
    return path


def _cell(wb, key: str) -> str:
    ws = wb["填报"]
    return next(f"C{r}" for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == key)


def test_percent_cells_dates_and_cached_formulas_read_as_excel_shows_them(tmp_path):
    from perfrules.readers.xlsx import read_workbook

    def edit(wb):
        ws = wb["填报"]
        ws[_cell(wb, "全年预算数")] = "=600+90.47"
        wb["绩效指标"]["D7"].value, wb["绩效指标"]["D7"].number_format = 0.9883, "0.00%"
        ws[_cell(wb, "project")].value = __import__("datetime").date(2023, 12, 31)
        wb["绩效指标"]["D2"] = 0.1 + 0.2          # a float as Excel keeps it: 15 significant digits
    path = _book(tmp_path, edit)
    with zipfile.ZipFile(path) as z:       # as Excel saves it: the formula with its cached value
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n, d in parts.items() if b"<f>600+90.47</f>" in d)
    parts[sheet] = re.sub(rb"<f>600\+90\.47</f>(<v\s*/>|<v></v>)?", b"<f>600+90.47</f><v>690.47</v>", parts[sheet])
    with zipfile.ZipFile(path, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    doc = read_workbook(path)
    assert doc.data["facts"]["全年预算数"] == "690.47万元"
    assert doc.data["facts"]["绩效指标"][5]["实际值"] == "98.83%"
    assert doc.data["project"] == "2023-12-31"
    assert doc.data["facts"]["绩效指标"][0]["实际值"] == Decimal("0.3")


@pytest.mark.parametrize("typed", ["690.47", " 690.47 ", "６９０．４７"])
def test_an_amount_stored_as_text_in_the_form_is_in_the_form_s_unit(tmp_path, typed):
    """A number cell Excel keeps as text (pasted, or typed after a ') is an amount in the row's
    unit like a number cell beside it: the form scores 96.88, no E404 blaming the other cell."""
    from perfrules.readers.xlsx import read_workbook

    def edit(wb):
        wb["填报"][_cell(wb, "全年预算数")] = typed
    doc = read_workbook(_book(tmp_path, edit))
    assert doc.data["facts"]["全年预算数"] == typed.strip() + "万元"
    run = _run("evaluate", tmp_path / "x.xlsx")
    assert run.exit_code == 0 and "96.88" in run.stdout, run.stderr


def test_a_problem_is_located_at_its_sheet_and_cell(tmp_path):
    def edit(wb):
        wb["绩效指标"]["C3"] = "很多"
        wb["填报"][_cell(wb, "有绩效目标管理制度")] = "也许"
    path = _book(tmp_path, edit)
    run = _run("evaluate", path, "--verbose")
    assert run.exit_code == 2
    assert re.search(r"x\.xlsx:绩效指标!C3: 错误 \[E402\]", run.stderr), run.stderr
    assert re.search(r"x\.xlsx:填报!C\d+: 错误 \[E402\]", run.stderr), run.stderr


def test_an_unknown_header_is_one_error_not_one_per_row(tmp_path):
    path = _book(tmp_path, lambda wb: wb["绩效指标"].cell(1, 2, "指标种类"))
    run = _run("evaluate", path, "--verbose", "-f", "json")
    problems = [p for f in [json.loads(run.stderr)] for p in f.get("problems", f if isinstance(f, list) else [])]
    assert run.exit_code == 2 and len(problems) == 1, run.stderr
    assert problems[0]["code"] == "E403" and problems[0]["file"].endswith("x.xlsx:绩效指标!B1")


def test_a_header_may_be_a_field_label(tmp_path):
    path = _book(tmp_path, lambda wb: wb["绩效指标"].cell(1, 3, "年初目标值"))
    assert "96.88" in _run("evaluate", path).stdout


def _district(path: Path, extra_column: str = "") -> Path:
    """Two departments a row each; list records on their own sheet, keyed by 部门编码; the
    percent fields as percent-formatted numbers; the second department's record is bad."""
    from openpyxl import Workbook
    example = yaml.safe_load(EXAMPLES["guangzhou/panyu/2023"].read_text("utf-8"))
    facts = {k: v for k, v in example["facts"].items() if k != "绩效指标"}
    wb = Workbook()
    ws = wb.active
    ws.title = "部门"
    ws.append(["部门编码", "部门", "评分办法", "年度", *facts] + ([extra_column] if extra_column else []))
    for code, name in (("001", example["department"]), ("002", "乙单位")):
        ws.append([code, name, example["policy"], 2023] + [("；".join(v) if isinstance(v, list) else "是" if v is True
                                                           else "否" if v is False else v) for v in facts.values()])
    items = wb.create_sheet("绩效指标")
    items.append(["部门编码", "名称", "类别", "目标值", "实际值"])
    for record in example["facts"]["绩效指标"]:
        percent = str(record["目标值"]).endswith("%")
        items.append(["001", record["名称"], record["类别"]] + [int(str(record[k]).rstrip("%")) / 100 if percent else record[k]
                                                              for k in ("目标值", "实际值")])
        if percent:
            items.cell(items.max_row, 4).number_format = items.cell(items.max_row, 5).number_format = "0%"
    items.append(["002", "x", "产出", 1, "很多"])
    wb.save(path)
    return path


def test_a_district_workbook_scores_each_row_and_locates_a_bad_record(tmp_path):
    path = _district(tmp_path / "区.xlsx")
    run = _run("batch", path)
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.exit_code == 1 and [r["score"] for r in rows] == ["96.88"], run.stderr
    assert rows[0]["source"].endswith("区.xlsx:部门!A2")
    assert re.search(r"区\.xlsx:绩效指标!E8（乙单位）: \[E402\]", run.stderr), run.stderr
    single = _run("evaluate", path)
    assert single.exit_code == 2 and "区.xlsx:绩效指标!E8: 错误 [E402]" in single.stderr


def test_a_district_workbook_s_unknown_column_is_one_error_before_any_row(tmp_path):
    path = _district(tmp_path / "区.xlsx", extra_column="备注栏")
    run = _run("batch", path, "--policy", "guangzhou/panyu/2023", "-o", tmp_path / "out.jsonl")
    assert run.exit_code == 2 and run.stderr.count("[E403]") == 1, run.stderr
    assert "区.xlsx:部门!M1: 错误 [E403]" in run.stderr and not (tmp_path / "out.jsonl").exists()


def test_audit_reads_the_claims_on_the_form_s_自报_sheet(tmp_path):
    """The shipped example's claims agree (exit 0); a wrong claim typed into the form is
    found as in its YAML twin (exit 1, the same discrepancies); a bad claim is located."""
    assert _run("audit", ROOT / "examples" / "panyu-jiguan-gongwei-2023.xlsx").exit_code == 0
    wrong = ROOT / "examples" / "audit" / "panyu-claim-wrong.yaml"
    book = tmp_path / "wrong.xlsx"
    book.write_bytes(_make_workbook().filled(wrong))
    got, want = _run("audit", book, "-f", "json"), _run("audit", wrong, "-f", "json")
    assert got.exit_code == want.exit_code == 1, got.stdout + got.stderr

    def found(text: str) -> list:
        return [{k: v for k, v in entry.items() if k != "file"} for entry in json.loads(text)]
    assert found(got.stdout) == found(want.stdout) and found(got.stdout)[0]["discrepancies"]
    bad = _book(tmp_path, lambda wb: wb["自报"].cell(1, 2, "九十多"))
    run = _run("audit", bad)
    assert run.exit_code == 2 and "x.xlsx:自报!B1: 错误 [" in run.stderr, run.stderr


def test_a_form_for_an_unknown_policy_is_a_located_error_and_writes_nothing(tmp_path):
    run = _run("template", "nosuch/x", "-o", tmp_path / "f.xlsx")
    assert run.exit_code == 2 and run.stderr.startswith("nosuch/x: 错误 [E406]"), run.stderr
    assert list(tmp_path.iterdir()) == []
    from perfrules import resources
    registered = resources.policy_ids()["guangzhou/panyu/2023"]     # the registered file, by path: its id
    assert _run("template", registered, "-o", tmp_path / "f.yaml").exit_code == 0
    assert "policy: guangzhou/panyu/2023" in (tmp_path / "f.yaml").read_text("utf-8")
    copy = tmp_path / "my-policy.yaml"                               # any other file: named by its path
    copy.write_bytes(registered.read_bytes())
    assert _run("template", copy, "-o", tmp_path / "g.yaml").exit_code == 0
    assert f"policy: {copy.resolve()}" in (tmp_path / "g.yaml").read_text("utf-8")


def test_a_workbook_counts_its_departments_for_the_progress_bar(tmp_path):
    from perfrules.readers import xlsx
    assert xlsx.count(_district(tmp_path / "区.xlsx")) == 2
    assert xlsx.count(ROOT / "examples" / "panyu-jiguan-gongwei-2023.xlsx") == 1


def test_a_district_workbook_s_bad_fact_is_located_at_its_cell(tmp_path):
    from openpyxl import load_workbook as reopen
    path = _district(tmp_path / "区.xlsx")
    wb = reopen(path)
    wb["部门"]["E3"] = "一百万"          # 乙单位's 全年预算数
    wb.save(path)
    run = _run("batch", path)
    assert re.search(r"区\.xlsx:部门!E3（乙单位）: \[E40\d\]", run.stderr), run.stderr


def test_a_missing_fact_on_the_form_says_where_to_fill_it(tmp_path):
    path = _book(tmp_path, lambda wb: setattr(wb["填报"]["C8"], "value", None))     # 全年预算数 left empty
    run = _run("evaluate", path)
    assert run.exit_code == 2 and "[E401]" in run.stderr and "全年预算数" in run.stderr
    assert "提示: 在“填报”表该事实一行的 C 列（填写值）填写" in run.stderr, run.stderr


def test_a_district_workbook_of_200_departments_with_claims_gives_the_reviewer_s_workbook(tmp_path):
    """A district workbook (one department a row, 自报得分 claimed) in, the reviewer's workbook
    out: every good row scored, each wrong claim on 核对, both charts, bad rows on 失败."""
    from openpyxl import Workbook
    example = yaml.safe_load(EXAMPLES["guangzhou/panyu/2023"].read_text("utf-8"))
    facts = {k: v for k, v in example["facts"].items() if k != "绩效指标"}
    wb = Workbook()
    ws = wb.active
    ws.title = "部门"
    ws.append(["部门编码", "部门", "评分办法", "年度", *facts, "自报得分"])
    wrong, bad = set(range(7, 200, 13)), {50, 150}
    for i in range(200):
        cells = {**facts, "实际支出数": "很多" if i in bad else f"{600 + i * 0.4:.2f}万元"}
        ws.append([f"{i:03d}", f"部门{i:03d}", example["policy"], 2023]
                  + [("；".join(v) if isinstance(v, list) else "是" if v is True else "否" if v is False else v)
                     for v in cells.values()] + [0 if i in wrong else None])
    items = wb.create_sheet("绩效指标")
    items.append(["部门编码", "名称", "类别", "目标值", "实际值"])
    for i in range(200):
        items.append([f"{i:03d}", "培训参加人数", "效益", 200, 185])
    district = tmp_path / "区.xlsx"
    wb.save(district)
    out = tmp_path / "结果.xlsx"
    run = _run("batch", district, "-o", out, "--jobs", "2")
    assert run.exit_code == 1, run.stderr
    book = load_workbook(out)
    results = [r for r in book["结果"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(results) == 198
    audited = [r for r in book["核对"].iter_rows(min_row=2, values_only=True) if r[0]]
    # a claim of a total only is checked as a total: one 得分不符 per wrong claim of a scored row
    assert sorted(str(r[0]) for r in audited) == sorted(f"{i:03d}" for i in wrong - bad)
    assert {r[2] for r in audited} == {"得分不符"}
    failed = [r for r in book["失败"].iter_rows(min_row=2, values_only=True) if any(r)]
    assert len({r for r in failed if "区.xlsx:部门!" in " ".join(map(str, r))}) >= len(bad)
    names = set(zipfile.ZipFile(out).namelist())
    assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= names


def test_an_empty_form_says_in_the_form_s_words_what_to_fill_where(tmp_path):
    form = tmp_path / "填报表.xlsx"
    assert _run("template", "guangzhou/panyu/2023", "-o", form).exit_code == 0
    run = _run("evaluate", form)
    first = run.stderr.splitlines()[0]
    assert run.exit_code == 2 and re.match(r"\S+填报表\.xlsx:填报!C\d+: 错误 \[E201\] “部门”没有填写。$", first), run.stderr
    assert "department: …" not in run.stderr          # no YAML talk on a workbook
