"""perfrules batch: many departments, one row each, a summary, atomic output, --jobs.

Scores in every output format are read back and compared with the single-file pipeline
(`service.evaluate_file`), so batch can never drift from `evaluate`.
"""
from __future__ import annotations

import csv
import io
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import PANYU_FACTS, ROOT

from perfrules.batch import progress, run_batch, workers, writers
from perfrules.batch.plan import Outcome
from perfrules.batch.summary import Summary
from perfrules.service import evaluate_file
from perfrules.problems import InputError
from perfrules.readers import Task
from perfrules.report.json import to_dict

POLICY = "guangzhou/panyu/2023"


def cli(*args, cwd=ROOT, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfrules", "batch", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


# ---- generated departments: the same facts as a JSON Lines document and as a YAML file ----

def department(i: int, rnd: random.Random) -> dict:
    budget = rnd.randint(100, 5000)
    spent = (Decimal(budget) * Decimal(rnd.randint(8000, 10000)) / 10000).quantize(Decimal("0.01"))
    items = []
    for k in range(rnd.randint(1, 5)):
        target = rnd.randint(1, 300)
        items.append({"名称": f"指标{k + 1}", "目标值": target, "实际值": max(0, target - rnd.randint(0, target // 3))})
    facts = {
        "全年预算数": f"{budget}万元", "实际支出数": f"{spent}万元", "绩效指标": items,
        "未完成重点工作任务数": rnd.choice([0, 0, 0, 1, 2]),
        "已有内部管理制度": ["财务审批制度"],
        "有内部财务管理制度": rnd.random() < 0.9, "有绩效目标管理制度": rnd.random() < 0.5,
        "有绩效运行监控制度": rnd.random() < 0.5, "有绩效评价管理制度": rnd.random() < 0.5,
        "有评价结果应用制度": rnd.random() < 0.5, "公开决算": rnd.random() < 0.95,
    }
    return {"policy": POLICY, "department": f"测试部门{i:05d}", "year": 2023, "facts": facts}


def departments(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    return [department(i + 1, rnd) for i in range(n)]


def as_yaml(doc: dict) -> str:
    """JSON values are valid YAML flow values: one key a line, so line numbers are predictable."""
    lines = [f"policy: {doc['policy']}", f"department: {doc['department']}", f"year: {doc['year']}", "facts:"]
    lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in doc["facts"].items()]
    return "\n".join(lines) + "\n"


def write_jsonl(path: Path, docs) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write((d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)) + "\n")
    return path


def write_yaml_folder(folder: Path, docs) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for d in docs:
        p = folder / f"{d['department']}.yaml"
        p.write_text(as_yaml(d), encoding="utf-8")
        paths.append(p)
    return paths


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def quiet(**kw) -> tuple[int, str]:
    err = io.StringIO()
    code = run_batch(stderr=err, **kw)
    return code, err.getvalue()


# ---- mixed good and bad inputs ---------------------------------------------------------------

def test_mixed_good_and_bad_inputs_are_scored_or_located(tmp_path):
    docs = departments(6)
    folder = tmp_path / "facts"
    good = write_yaml_folder(folder, docs[:3])
    bad = docs[3] | {"facts": docs[3]["facts"] | {"实际支出数": "很多"}}
    (folder / "sub").mkdir()
    (folder / "sub" / "bad.yaml").write_text(as_yaml(bad), encoding="utf-8")       # line 6: 实际支出数
    (folder / "sub" / "x.cases.yaml").write_text("not: [a fact file", encoding="utf-8")  # skipped
    (folder / "notes.txt").write_text("not a fact file", encoding="utf-8")               # skipped
    lines = [json.dumps(docs[4], ensure_ascii=False),
             "",                                                                     # blank: skipped
             '{"department": "语法错误", "facts": {',                               # line 3
             json.dumps(docs[5] | {"facts": docs[5]["facts"] | {"未知事实": 1}}, ensure_ascii=False),  # line 4
             json.dumps(docs[5], ensure_ascii=False)]
    jsonl = write_jsonl(tmp_path / "more.jsonl", lines)
    out = tmp_path / "out.jsonl"

    proc = cli(folder, jsonl, "--output", out)

    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = read_jsonl(out)
    assert [r["source"] for r in rows] == [str(p) for p in good] + [f"{jsonl}:1", f"{jsonl}:5"]
    for r, path in zip(rows, good):
        assert r["score"] == str(evaluate_file(path).score)
    err = proc.stderr
    assert "共 8 个部门，评分 5 个，失败 3 个" in err
    assert f"{folder / 'sub' / 'bad.yaml'}:6:" in err and "[E402]" in err
    assert f"{jsonl}:3" in err and "[E103]" in err and "JSON 语法错误" in err
    assert f"{jsonl}:4（测试部门00006）" in err and "[E403]" in err and "未知事实" in err
    assert "cases" not in err


def test_one_department_crashing_does_not_stop_the_batch(tmp_path, monkeypatch):
    docs = departments(5)
    jsonl = write_jsonl(tmp_path / "d.jsonl", docs)
    real = workers._outcome

    def flaky(source, result, doc):
        if source.endswith(":3"):
            raise RuntimeError("boom")
        return real(source, result, doc)
    monkeypatch.setattr(workers, "_outcome", flaky)
    code, err = quiet(inputs=[jsonl], output=tmp_path / "o.jsonl")
    assert code == 1
    assert len(read_jsonl(tmp_path / "o.jsonl")) == 4
    assert f"{jsonl}:3（测试部门00003）: 内部错误" in err and "RuntimeError: boom" in err


def test_workers_return_data_not_rendered_output():
    """An Outcome is plain, frozen, picklable data (it crosses processes); its JSON Lines row is
    writers.jsonl_line of report.json.to_dict, serialised in the worker (the parent only writes it)."""
    import dataclasses
    import pickle
    workers.init_worker(None, "zh", True)
    (o,) = workers.run_chunk([Task("file", str(PANYU_FACTS))])
    assert o.ok and o.line == writers.jsonl_line(str(PANYU_FACTS), to_dict(evaluate_file(PANYU_FACTS)))
    assert pickle.loads(pickle.dumps(o)) == o
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.score = "0"


# ---- outputs round-trip ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """40 departments as YAML files, with their single-file results (the reference)."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = write_yaml_folder(folder / "facts", departments(40, seed=11))
    paths.append(folder / "facts" / "zz-panyu.yaml")
    paths[-1].write_text(PANYU_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    return folder / "facts", {str(p): evaluate_file(p) for p in sorted(paths)}     # batch's order


def test_jsonl_rows_are_to_dict_plus_source(corpus, tmp_path):
    folder, reference = corpus
    out = tmp_path / "out.jsonl"
    code, err = quiet(inputs=[folder], output=out)
    assert code == 0, err
    rows = read_jsonl(out)
    assert [r["source"] for r in rows] == list(reference)
    for r in rows:
        expected = json.loads(json.dumps(to_dict(reference[r["source"]]), ensure_ascii=False))
        assert {k: v for k, v in r.items() if k != "source"} == expected
    assert any(r["score"] == "96.88" for r in rows)


def _expect_row(result):
    d = to_dict(result)
    return d["score"], d["grade"], {t["id"]: t["deduction"] for t in d["indicators"]}, \
        "；".join(x["reason"] for x in d["deductions"])


def test_csv_output_round_trips(corpus, tmp_path):
    folder, reference = corpus
    out = tmp_path / "out.csv"
    code, err = quiet(inputs=[folder], output=out)
    assert code == 0, err
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")       # Excel/WPS read the Chinese right
    rows = read_csv(out)
    assert list(rows[0]) == ["来源", "部门", "评分办法", "得分", "等级", "YS 预算执行扣分", "LZ 履职效能扣分",
                             "GL 管理效率扣分", "扣分原因", "认定项数", "按评分规则得分", "认定"]
    assert [r["来源"] for r in rows] == list(reference)
    for r in rows:
        score, grade, lost, reasons = _expect_row(reference[r["来源"]])
        assert (r["得分"], r["等级"], r["扣分原因"]) == (score, grade, reasons)
        assert (r["认定项数"], r["按评分规则得分"], r["认定"]) == ("0", score, "")      # no overrides here
        assert {k.split()[0]: v for k, v in r.items() if k.endswith("扣分") and " " in k} == lost
        assert Decimal(100) - sum(Decimal(v) for v in lost.values()) == Decimal(score)


def test_output_goes_to_stdout_as_json_lines_without_output(corpus, capsys):
    folder, reference = corpus
    code = run_batch([folder], stderr=io.StringIO())
    assert code == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["score"] for r in rows] == [str(reference[r["source"]].score) for r in rows]


# ---- CSV input ------------------------------------------------------------------------------

# The shipped Panyu example as a reviewer's spreadsheet: columns named by label (中文名称) or by
# key, booleans as 是/否, list facts from an --items file whose columns are labels too.
MAIN_CSV = """\
部门,简称,年度,全年一般公共预算支出预算数（万元）,实际支出数,已制定的内部管理制度（名称）,有内部财务管理制度,已制定绩效目标管理专门制度,有绩效运行监控制度,已制定绩效评价管理专门制度,有评价结果应用制度
中共广州市番禺区直属机关工作委员会,区直机关工委,2023,690.47万元,682.37万元,本级使用资金管理制度；财务审批制度,是,否,否,否,否
另一个部门,,2023,100,95,,是,是,是,是,是
坏部门,,2023,100,很多,,是,是,是,是,是
"""
ITEMS_CSV = """\
部门,列表,指标名称,指标类别,年初目标值,实际完成值
中共广州市番禺区直属机关工作委员会,部门整体支出绩效指标（产出、效益）,开展学习或培训活动次数,产出,3,3
中共广州市番禺区直属机关工作委员会,绩效指标,开展群团活动次数,产出,2,2
中共广州市番禺区直属机关工作委员会,,持续开展机关作风建设和基层评议机关活动,产出,1,1
中共广州市番禺区直属机关工作委员会,,培训参加人数,效益,200,185
中共广州市番禺区直属机关工作委员会,,群团活动参加人数,效益,150,140
中共广州市番禺区直属机关工作委员会,,基层党组织书记述职评议单位参与率,效益,100%,100%
另一个部门,,指标A,,10,9
另一个部门,,指标B,,10,十个
没有这个部门,,指标C,,1,1
"""


def test_csv_input_with_label_columns_and_items(tmp_path):
    main = tmp_path / "depts.csv"
    main.write_text(MAIN_CSV, encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text(ITEMS_CSV, encoding="gb18030")          # as Excel saves it on a Chinese Windows
    out = tmp_path / "out.jsonl"
    code, err = quiet(inputs=[main], items=items, policy=POLICY, output=out)
    assert code == 1
    rows = read_jsonl(out)
    assert len(rows) == 1
    row = rows[0]
    assert row.pop("source") == f"{main}:2"
    # exactly what the YAML fact file gives: same score, deductions, reasons and facts used
    assert row == json.loads(json.dumps(to_dict(evaluate_file(PANYU_FACTS)), ensure_ascii=False))
    assert row["score"] == "96.88"
    # a bad record is located in the items file, a bad cell at the department's row
    assert f"{items}:9（另一个部门）: [E402]" in err and "十个" in err
    assert f"{main}:4（坏部门）: [E402]" in err and "很多" in err
    assert f"{items}:10: --items 中部门“没有这个部门”的记录没有用上" in err


def test_csv_input_policy_column_and_keys(tmp_path):
    main = tmp_path / "d.csv"
    main.write_text("department,policy,year,全年预算数,实际支出数,有内部财务管理制度,有绩效目标管理制度,"
                    "有绩效运行监控制度,有绩效评价管理制度,有评价结果应用制度\n"
                    f"甲,{POLICY},2023,100,90,TRUE,TRUE,TRUE,TRUE,TRUE\n"
                    f"乙,{POLICY},2023,100,90,TRUE,TRUE,TRUE,TRUE,TRUE\n", encoding="utf-8-sig")
    items = tmp_path / "i.csv"
    items.write_text("department,list,名称,目标值,实际值\n甲,绩效指标,参训人数,100,95\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    code, err = quiet(inputs=[main], items=items, output=out, lang="en")
    assert code == 1, err
    (row,) = read_csv(out)
    assert row["department"] == "甲" and row["score"] == "98.50"      # 90% spent: -1; one indicator 5% short: -0.5
    assert f"{main}:3 (乙): [E401]" in err                            # 绩效指标 is required: no --items rows for 乙


def test_csv_header_errors_are_input_errors(tmp_path):
    main = tmp_path / "d.csv"
    main.write_text("部门,全年预算数,实际支出额\n甲,100,90\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    with pytest.raises(InputError) as exc:
        run_batch([main], policy=POLICY, output=out, stderr=io.StringIO())
    p = exc.value.problems[0]
    assert (p.code, p.file, p.line, p.col) == ("E403", str(main), 1, 10)
    assert "实际支出数" in p.hint                                 # did you mean
    nodept = tmp_path / "n.csv"
    nodept.write_text("名称,全年预算数\n甲,100\n", encoding="utf-8")
    proc = cli(nodept, "--policy", POLICY, "-o", out)
    assert proc.returncode == 2 and "E201" in proc.stderr
    assert not out.exists()


# ---- exit code 2: the inputs themselves ------------------------------------------------------

@pytest.mark.parametrize("args, code", [
    (["missing.jsonl"], "E101"),
    (["{ok}", "--output", "{tmp}/out.txt"], "E602"),
    (["{ok}", "--policy", "no/such/policy"], "E406"),
    (["{ok}", "--output", "{tmp}/no/such/dir/out.csv"], "E601"),
    (["{empty}"], "E602"),
    (["{ok}", "--items", "{ok}"], "E602"),
])
def test_unreadable_inputs_exit_2_and_write_nothing(tmp_path, args, code):
    ok = write_jsonl(tmp_path / "ok.jsonl", departments(2))
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [a.format(ok=ok, tmp=tmp_path, empty=empty) for a in args]
    before = sorted(tmp_path.rglob("*"))
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"[{code}]" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(tmp_path.rglob("*")) == before


# ---- atomic output ----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_failure_midway_leaves_no_output_and_no_temp_file(tmp_path, monkeypatch, suffix, failure):
    src = tmp_path / "in"
    src.mkdir()
    jsonl = write_jsonl(src / "d.jsonl", departments(80))
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / f"result{suffix}"
    real, seen = Summary.add, []

    def add(self, o):
        seen.append(o)
        if len(seen) == 50:                # after 49 rows have been written
            raise failure("injected")
        real(self, o)
    monkeypatch.setattr(Summary, "add", add)
    with pytest.raises(InputError if failure is OSError else KeyboardInterrupt):
        run_batch([jsonl], output=out, stderr=io.StringIO())
    assert list(outdir.iterdir()) == []
    assert list(src.iterdir()) == [jsonl]


def test_existing_output_is_kept_when_a_batch_fails(tmp_path, monkeypatch):
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(5))
    out = tmp_path / "out.csv"
    out.write_text("yesterday's results", encoding="utf-8")
    def disk_full(self):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(writers.CsvWriter, "close", disk_full)
    with pytest.raises(InputError) as exc:
        run_batch([jsonl], output=out, stderr=io.StringIO())
    assert exc.value.problems[0].code == "E601"
    assert out.read_text(encoding="utf-8") == "yesterday's results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "out.csv"]


# ---- --jobs ---------------------------------------------------------------------------------

def test_jobs_1_and_2_give_identical_output(tmp_path):
    docs = departments(300, seed=3)
    docs[17]["facts"]["全年预算数"] = "很多"
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    lines[200] = "{not json"
    jsonl = write_jsonl(tmp_path / "d.jsonl", lines)
    outputs = {}
    for jobs in (1, 2):
        for suffix in (".csv", ".jsonl"):
            out = tmp_path / f"j{jobs}{suffix}"
            proc = cli(jsonl, "--jobs", jobs, "--output", out)
            assert proc.returncode == 1, proc.stderr
            outputs[jobs, suffix] = out.read_bytes()
            summary = proc.stderr.splitlines()[1:-1]        # not the timing line, not the output's name
            outputs[jobs, suffix, "summary"] = summary
    for key in [(".csv",), (".jsonl",), (".csv", "summary"), (".jsonl", "summary")]:
        assert outputs[(1,) + key] == outputs[(2,) + key]
    assert outputs[1, ".jsonl"].count(b"\n") == 298
    failures = "\n".join(outputs[1, ".csv", "summary"])
    assert f"{jsonl}:18（测试部门00018）: [E402]" in failures and f"{jsonl}:201: [E103]" in failures


# ---- the summary ----------------------------------------------------------------------------

def test_summary_statistics(corpus, tmp_path):
    folder, reference = corpus
    code, err = quiet(inputs=[folder], output=tmp_path / "o.jsonl")
    scores = [r.score for r in reference.values()]
    s = Summary()
    for path, r in reference.items():
        s.add(Outcome(path, ok=True, score=str(r.score), grade=r.grade(), grades=("优", "良", "中", "差"),
                            deductions=tuple((d.indicator.id, d.indicator.name, str(d.deduction)) for d in r.deductions)))
    st = s.stats()
    assert st["min"] == min(scores) and st["max"] == max(scores)
    assert st["median"] == Decimal(statistics.median(scores)).quantize(Decimal("0.01"))
    assert abs(st["mean"] - sum(scores) / len(scores)) <= Decimal("0.005")
    assert f"最低 {min(scores)}" in err and f"最高 {max(scores)}" in err
    grades = {g: sum(1 for r in reference.values() if r.grade() == g) for g in ("优", "良", "中", "差")}
    assert "等级：" + "，".join(f"{g} {n}" for g, n in grades.items()) in err
    n_ys = sum(1 for r in reference.values() if any(d.indicator.id == "YS-01" for d in r.deductions))
    total_ys = sum((d.deduction for r in reference.values() for d in r.deductions if d.indicator.id == "YS-01"), Decimal(0))
    assert f"YS-01 部门预算资金支出率：{n_ys} 个部门，合计 {total_ys} 分" in err


def test_progress_bar_on_a_terminal(corpus, tmp_path, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.setattr(progress, "PROGRESS_AFTER", 0.0)
    err = Tty()
    code = run_batch([corpus[0]], output=tmp_path / "o.csv", stderr=err)
    assert code == 0
    assert "评分中" in err.getvalue()            # the bar was drawn
    assert "批量评分：共 41 个部门" in err.getvalue()


# ---- 10,000 departments ---------------------------------------------------------------------

def test_ten_thousand_departments(tmp_path):
    rnd = random.Random(1)
    template = departments(50, seed=5)
    with open(tmp_path / "big.jsonl", "w", encoding="utf-8") as f:
        for i in range(10_000):
            d = dict(template[i % 50], department=f"部门{i:05d}")
            d["facts"] = dict(d["facts"], 实际支出数=f"{rnd.randint(80, 100)}万元", 全年预算数="100万元")
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    out = tmp_path / "big.csv"
    started = time.monotonic()
    proc = cli(tmp_path / "big.jsonl", "--jobs", 2, "--output", out, timeout=600)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "共 10,000 个部门，评分 10,000 个，失败 0 个" in proc.stderr
    rows = read_csv(out)
    assert len(rows) == 10_000 and rows[-1]["部门"] == "部门09999"
    print(f"\n10,000 departments, --jobs 2: {elapsed:.1f} s end to end ({10_000 / elapsed:,.0f}/s)")


def test_xlsx_text_is_never_a_formula(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    doc = departments(1)[0] | {"department": '=HYPERLINK("http://example.com","点这里")'}
    out = tmp_path / "o.xlsx"
    code, err = quiet(inputs=[write_jsonl(tmp_path / "d.jsonl", [doc])], output=out)
    assert code == 0, err
    cell = openpyxl.load_workbook(out).active["B2"]
    assert cell.value == doc["department"] and cell.data_type == "s"


def test_csv_cells_never_become_spreadsheet_formulas(tmp_path):
    """A department named like a formula stays text in the CSV (CSV injection)."""
    import csv as _csv
    import yaml as _yaml
    from conftest import PANYU_FACTS
    data = _yaml.safe_load(PANYU_FACTS.read_text("utf-8"))
    data.pop("claimed")
    data["department"] = '=HYPERLINK("http://x","y")'
    src = tmp_path / "f.yaml"
    src.write_text(_yaml.safe_dump(data, allow_unicode=True), "utf-8")
    out = tmp_path / "out.csv"
    from typer.testing import CliRunner
    from perfrules.cli import app
    assert CliRunner().invoke(app, ["batch", str(src), "-o", str(out)]).exit_code == 0
    rows = list(_csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[1][1] == "'" + data["department"]
    assert rows[1][3] == "96.88"


# ---- issue 8: one text that cannot be written costs its row, not the batch ------------------

@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_lone_surrogate_fails_its_line_and_the_others_are_written(tmp_path, suffix):
    docs = departments(4)
    ok = [json.dumps(d, ensure_ascii=False) for d in docs]
    lines = [ok[0], ok[1].replace('"测试部门00002"', '"测试\\ud800部门"'),
             ok[2].replace('"名称": "', '"名称": "\\udfff', 1),
             ok[3], '{"department": "成对的 \\ud83d\\ude00 可以", ' + ok[3][1:].replace('"department": "测试部门00004", ', "")]
    jsonl = write_jsonl(tmp_path / "d.jsonl", lines)
    out = tmp_path / f"out{suffix}"
    code, err = quiet(inputs=[jsonl], output=out)
    assert code == 1, err
    rows = read_jsonl(out) if suffix == ".jsonl" else read_csv(out)
    sources = [r.get("source", r.get("来源")) for r in rows]
    assert sources == [f"{jsonl}:1", f"{jsonl}:4", f"{jsonl}:5"], err
    assert f"{jsonl}:2" in err and f"{jsonl}:3" in err and "[E102]" in err and "代理码位" in err


# ---- issue 8: a CSV's encoding is the whole file's; an oversized cell costs its row ----------

SIMPLE_HEADER = ("department,policy,year,全年预算数,实际支出数,有内部财务管理制度,有绩效目标管理制度,"
                 "有绩效运行监控制度,有绩效评价管理制度,有评价结果应用制度\n")


def simple_row(name: str) -> str:
    return f"{name},{POLICY},2023,100,90,TRUE,TRUE,TRUE,TRUE,TRUE\n"


def test_a_csv_mixed_past_its_first_64_kib_is_one_e102_before_any_row(tmp_path):
    main = tmp_path / "d.csv"
    rows = [simple_row(f"部门{i:05d}") for i in range(2000)]            # > 64 KiB of UTF-8 Chinese
    data = (SIMPLE_HEADER + "".join(rows)).encode("utf-8") + simple_row("广州市番禺区").encode("gbk")
    main.write_bytes(data)
    out = tmp_path / "o.csv"
    with pytest.raises(InputError) as exc:
        run_batch([main], output=out, stderr=io.StringIO())
    (p,) = exc.value.problems
    assert (p.code, p.file, p.line, p.col) == ("E102", str(main), 2002, 1) and "混用" in p.message
    assert not out.exists()


def test_a_gbk_csv_whose_first_64_kib_is_ascii_is_read_as_gbk(tmp_path):
    main = tmp_path / "d.csv"
    rows = [f"dept{i:05d},{POLICY},2023\n" for i in range(4000)]       # ASCII only: looks like UTF-8 for 64 KiB
    main.write_bytes(("department,policy,year\n" + "".join(rows) + f"番禺区,{POLICY},2023\n").encode("gbk"))
    out = tmp_path / "o.csv"
    code, err = quiet(inputs=[main], output=out)
    assert code == 1, err                                             # no facts: E401 for each, but each read
    assert f"{main}:4002（番禺区）: [E401]" in err and "E102" not in err


def test_an_oversized_cell_fails_its_row_and_the_others_are_scored(tmp_path):
    main = tmp_path / "d.csv"
    items = tmp_path / "i.csv"
    huge = "很" * (csv.field_size_limit() + 10)
    main.write_text(SIMPLE_HEADER + simple_row("甲") + simple_row("乙").replace(",100,", f",{huge},", 1) + simple_row("丙"),
                    encoding="utf-8")
    items.write_text("department,list,名称,目标值,实际值\n甲,绩效指标,参训人数,100,95\n丙,绩效指标,参训人数,100,95\n",
                     encoding="utf-8")
    out = tmp_path / "o.csv"
    code, err = quiet(inputs=[main], items=items, output=out)
    assert code == 1, err
    assert [r["部门"] for r in read_csv(out)] == ["甲", "丙"]
    assert f"{main}:3: [E105]" in err


# ---- outputs never destroy inputs -------------------------------------------------------------

def test_output_onto_an_input_is_refused_before_anything_runs(tmp_path):
    folder = tmp_path / "depts"
    (first, *_) = write_yaml_folder(folder, departments(3))
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(2))
    rows = tmp_path / "rows.csv"
    rows.write_text("department,全年预算数,实际支出数\n甲,100万元,90万元\n", encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("department,名称,目标值,实际值\n甲,指标1,10,9\n", encoding="utf-8")
    into_folder = tmp_path / "into-folder.csv"
    into_folder.symlink_to(first)                      # a link onto a file inside an input folder
    before = {p: p.read_bytes() for p in (first, jsonl, rows, items)}
    for args in ([jsonl, "-o", jsonl], [folder, "-o", into_folder],
                 [rows, "--items", items, "--policy", POLICY, "-o", items]):
        proc = cli(*args)
        assert proc.returncode == 2, proc.stderr
        assert "[E601]" in proc.stderr and "输出文件就是本次读取的输入" in proc.stderr
        assert proc.stderr.startswith(f"{args[-1]}: 错误 [E601]")
    assert {p: p.read_bytes() for p in before} == before
    assert into_folder.is_symlink()


def test_output_through_a_symlink_keeps_the_link(tmp_path):
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(3))
    real = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _ = quiet(inputs=[jsonl], output=link)
    assert code == 0
    assert link.is_symlink() and len(read_csv(real)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "link.csv", "real.csv"]


def test_output_into_a_fifo_is_written_through(tmp_path):
    import os
    import stat
    import threading
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(5))
    fifo = tmp_path / "rows.jsonl"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _ = quiet(inputs=[jsonl], output=fifo)
    reader.join(30)
    assert code == 0
    assert [json.loads(line)["source"] for line in got[0].decode("utf-8").splitlines()] == [
        f"{jsonl}:{n}" for n in range(1, 6)]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_replaced_output_keeps_its_permission_bits(tmp_path, suffix):
    import os
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(3))
    out = tmp_path / f"out{suffix}"
    out.write_text("yesterday", encoding="utf-8")
    os.chmod(out, 0o640)
    code, _ = quiet(inputs=[jsonl], output=out)
    assert code == 0
    assert out.stat().st_mode & 0o7777 == 0o640 and out.read_bytes() != b"yesterday"


def test_the_temporary_output_has_no_name_while_it_is_written(tmp_path, monkeypatch):
    """An unnamed (O_TMPFILE) file: nothing in the output folder until the batch is done, so
    even a SIGKILL leaves no temporary file; where unnamed files are not available, a named
    one is used and removed on failure."""
    from perfrules import output
    outdir = tmp_path / "out"
    outdir.mkdir()
    jsonl = write_jsonl(tmp_path / "d.jsonl", departments(20))
    seen = []
    real = Summary.add

    def add(self, o):
        seen.append(sorted(p.name for p in outdir.iterdir()))
        real(self, o)
    monkeypatch.setattr(Summary, "add", add)
    assert quiet(inputs=[jsonl], output=outdir / "r.csv")[0] == 0
    assert seen == [[]] * 20 and [p.name for p in outdir.iterdir()] == ["r.csv"]
    monkeypatch.setattr(output, "_unnamed_files", lambda: False)
    seen.clear()
    assert quiet(inputs=[jsonl], output=outdir / "r2.csv")[0] == 0
    assert len(seen[0]) == 2 and seen[0][0].startswith(".r2.csv.")
    assert sorted(p.name for p in outdir.iterdir()) == ["r.csv", "r2.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_file_name_that_is_not_utf8_costs_nothing(tmp_path, suffix):
    """A fact file named with bytes that are not UTF-8 (a folder copied from an old Windows
    share) is scored; its source is written escaped instead of crashing the writer."""
    import os
    folder = tmp_path / "depts"
    (good,) = write_yaml_folder(folder, departments(1))
    os.rename(good, os.path.join(os.fsencode(folder), b"\xb2\xbf\xc3\xc5.yaml"))
    out = tmp_path / f"out{suffix}"
    code, err = quiet(inputs=[folder], output=out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8-sig")
    assert "\\udcb2\\udcbf\\udcc3\\udcc5.yaml" in text and "96.88" not in err


@pytest.mark.parametrize("env", [{"LC_ALL": "C.UTF-8"}, {"PYTHONIOENCODING": "gb18030"}, {"LC_ALL": "C"}],
                         ids=["utf8", "gb18030", "c-locale"])
def test_rows_on_stdout_are_the_bytes_an_output_file_holds(tmp_path, env):
    """JSON Lines is UTF-8: without --output the rows go to stdout as the very bytes --output
    writes, whatever the terminal's encoding, a file name that is not UTF-8 escaped there too
    (as text, a UTF-8 stdout refused it and a GB18030 one re-encoded every row)."""
    import os
    folder = tmp_path / "depts"
    good, _ = write_yaml_folder(folder, departments(2))
    os.rename(good, os.path.join(os.fsencode(folder), b"\xb2\xbf\xc3\xc5.yaml"))
    out = tmp_path / "out.jsonl"
    assert quiet(inputs=[folder], output=out)[0] == 0
    proc = subprocess.run([sys.executable, "-m", "perfrules", "batch", str(folder)], cwd=ROOT, capture_output=True,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout == out.read_bytes() and b"\\udcb2\\udcbf\\udcc3\\udcc5.yaml" in proc.stdout


def test_a_folder_is_read_file_by_file_each_by_its_reader(tmp_path):
    """A reviewer's folder of what departments handed in: YAML files, filled-in xlsx forms and
    a JSON Lines export are all scored; a CSV (its list facts need --items) is named in the
    summary, not skipped in silence; Excel's lock file and the result workbook of an earlier
    batch written into the same folder are not read as departments."""
    import shutil
    from conftest import EXAMPLES
    folder = tmp_path / "各部门"
    write_yaml_folder(folder, departments(2))
    shutil.copy(EXAMPLES / "panyu-jiguan-gongwei-2023.xlsx", folder / "工委填报.xlsx")
    (folder / "~$工委填报.xlsx").write_bytes(b"lock")
    write_jsonl(folder / "导出.jsonl", departments(3, seed=11))
    (folder / "汇总.csv").write_text(SIMPLE_HEADER + simple_row("丙局"), encoding="utf-8")
    assert quiet(inputs=[folder], output=folder / "结果.xlsx")[0] == 0      # an earlier batch's result, inside
    out = tmp_path / "out.jsonl"
    code, err = quiet(inputs=[folder], output=out)
    assert code == 0, err
    sources = [r["source"] for r in read_jsonl(out)]
    assert len(sources) == 2 + 1 + 3 and not any("结果.xlsx" in s or "~$" in s for s in sources), sources
    assert [r["score"] for r in read_jsonl(out) if r["source"].endswith("工委填报.xlsx")] == ["96.88"]
    assert "1 个 CSV 文件" in err and str(folder / "汇总.csv") in err and "--items" in err
    assert quiet(inputs=[folder], output=folder / "结果.xlsx")[0] == 0      # run again: the result is no input
    for name in ("结果.jsonl", "结果.csv"):       # results of other kinds, written into the folder and run again
        assert quiet(inputs=[folder], output=folder / name)[0] == 0
        code, err = quiet(inputs=[folder], output=folder / name)
        assert code == 0 and "共 6 个部门" in err and err.count("结果.csv") == (name == "结果.csv"), err   # "结果已写入" only


def test_the_folder_reader_knows_batch_s_csv_header():
    from perfrules.batch.writers import Writer
    from perfrules.readers.folder import RESULT_CSV_HEADS
    assert RESULT_CSV_HEADS == tuple(",".join(Writer(lang).header()[:4]) for lang in ("zh", "en"))


def test_a_damaged_workbook_in_a_folder_fails_alone(tmp_path):
    """A workbook whose zip holds a corrupted member (a broken copy from a USB stick) is one
    failure; the folder's other departments are scored."""
    import shutil
    import zipfile
    from conftest import EXAMPLES
    folder = tmp_path / "各部门"
    write_yaml_folder(folder, departments(2))
    bad = folder / "坏.xlsx"
    shutil.copy(EXAMPLES / "panyu-jiguan-gongwei-2023.xlsx", bad)
    data = bytearray(bad.read_bytes())
    with zipfile.ZipFile(bad) as z:
        info = z.getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 5, start + 40):
        data[k] ^= 0x5A
    bad.write_bytes(bytes(data))
    code, err = quiet(inputs=[folder], output=tmp_path / "o.jsonl")
    assert code == 1 and "评分 2 个，失败 1 个" in err and f"{bad}: [E101]" in err, err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_pipe_with_a_fact_file_s_name_in_a_folder_is_refused_never_waited_on(tmp_path):
    import os
    folder = tmp_path / "各部门"
    write_yaml_folder(folder, departments(1))
    for name in ("导出.jsonl", "表.xlsx", "汇总.csv", "乙.yaml"):
        os.mkfifo(folder / name)
    proc = cli(folder, "-o", tmp_path / "o.jsonl", timeout=60)       # a blocking open would hang here
    assert proc.returncode == 1, proc.stderr
    assert "评分 1 个，失败 3 个" in proc.stderr and "不是普通文件" in proc.stderr and "汇总.csv" in proc.stderr


def test_the_folder_reader_knows_the_review_workbooks_sheets():
    from perfrules.batch.workbook import _SHEETS
    from perfrules.readers.folder import REVIEW_SHEETS
    assert REVIEW_SHEETS == {(names[0], names[-1]) for names in _SHEETS.values()}


@pytest.mark.parametrize("line, said", [('{"department": "甲", "facts": {},}', "键名要用英文双引号括起来"),
                                        ('{"department": "甲" "facts": {}}', "缺少逗号"),
                                        ('{"department": "甲", "facts": {"公开预算": 是}}', "这里缺少值"),
                                        ('{"department": "甲"} {"department": "乙"}', "一行只能有一个对象")])
def test_a_json_lines_syntax_error_is_told_in_chinese(tmp_path, line, said):
    jsonl = write_jsonl(tmp_path / "d.jsonl", [line])
    code, err = quiet(inputs=[jsonl], output=tmp_path / "o.jsonl")
    assert code == 1 and f"{jsonl}:1" in err and "[E103]" in err and said in err, err


def test_a_department_name_cannot_forge_summary_lines(tmp_path):
    folder = tmp_path / "depts"
    doc = departments(1)[0]
    doc["department"] = "甲\n  伪造的一行：全部通过"
    doc["facts"]["全年预算数"] = "很多"
    folder.mkdir()
    (folder / "a.yaml").write_text(as_yaml(doc), encoding="utf-8")
    code, err = quiet(inputs=[folder], output=tmp_path / "o.csv")
    assert code == 1
    assert not any(line.startswith("  伪造的一行") for line in err.splitlines())
    assert any("[E402]" in line and "甲" in line and "伪造的一行" in line for line in err.splitlines())
