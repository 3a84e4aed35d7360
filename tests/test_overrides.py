"""Overrides (认定) end to end: the policy's bounds, the fact file's overrides and every way
they are refused (E409, located), the Result keeping the rules' score beside the 认定 one,
and every output saying so (text, Markdown, JSON against its schema, the 自评结论, audit,
batch); plus the project name, confidence left out, and where basis is shown."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest

from perfrules.load import load_text
from perfrules.problems import InputError
from perfrules.report import to_bytes
from perfrules.service import evaluate_document, evaluate_file
from perfrules.validate import load_policy_text

from conftest import EXAMPLES, PANYU_FACTS, ROOT, dump
from test_report_schemas import _check


def check(report: str, data) -> None:
    _check(report, json.dumps(data, ensure_ascii=False))

EXAMPLE = EXAMPLES / "weighted" / "chongqing-style-2021.example.yaml"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=120)


def with_overrides(overrides, facts=None, path=EXAMPLE):
    data = load_text(path.read_text("utf-8"), str(path)).data
    data = {**data, "policy": str(path.parent / data["policy"]), "overrides": overrides}
    if facts:
        data["facts"] = {**data["facts"], **facts}
    return load_text(dump(data), "f.yaml")


def test_the_example_keeps_both_scores_per_leaf_and_in_total():
    result = evaluate_file(EXAMPLE)
    assert (result.score, result.rules_total) == (Decimal("90.93"), Decimal("89.57"))
    ys02 = result.scored["YS-02"]
    assert (ys02.score, ys02.rules_score, ys02.deduction) == (Decimal("5.00"), Decimal("3.64"), Decimal("0.00"))
    assert [n.indicator.id for n in result.overridden] == ["YS-02"]
    ys = next(n for n in result.indicators if n.indicator.id == "YS")
    assert (ys.score, ys.rules_score) == (Decimal("9.85"), Decimal("8.49"))


def test_adjust_moves_the_rules_score():
    result = evaluate_document(with_overrides([{"indicator": "YS-02", "adjust": Decimal("0.5"), "reason": "r"}]))
    assert result.scored["YS-02"].score == Decimal("4.14") and result.rules_total == Decimal("89.57")
    assert result.score == Decimal("90.07")


@pytest.mark.parametrize("override,where,fragment", [
    ({"indicator": "ZB", "score": 90, "reason": "r"}, "$.overrides[0].indicator", "不允许认定"),
    ({"indicator": "YS", "score": 9, "reason": "r"}, "$.overrides[0].indicator", "有下级指标"),
    ({"indicator": "YS-2", "score": 5, "reason": "r"}, "$.overrides[0].indicator", "没有指标"),
    ({"indicator": "YS-02", "score": 6, "reason": "r"}, "$.overrides[0].score", "0 至 5 分"),
    ({"indicator": "YS-02", "score": 4, "adjust": 1, "reason": "r"}, "$.overrides[0]", "二者写且只写一个"),
    ({"indicator": "YS-02", "score": Decimal("4.555"), "reason": "r"}, "$.overrides[0].score", "两位小数"),
    ({"indicator": "YS-02", "score": 5, "reason": " \u3000"}, "$.overrides[0].reason", "没有写理由"),
    ({"indicator": "YS-02", "adjust": 2, "reason": "r"}, "$.overrides[0].adjust", "按规则得 3.64 分"),
    ({"indicator": "YS-02", "adjust": -4, "reason": "r"}, "$.overrides[0].adjust", "0 至 5 分"),
])
def test_refused_overrides_are_e409_at_their_line(override, where, fragment):
    with pytest.raises(InputError) as e:
        evaluate_document(with_overrides([override]))
    p = e.value.problems[0]
    assert (p.code, p.path) == ("E409", where) and fragment in p.message and p.line > 0


def test_one_override_per_leaf():
    with pytest.raises(InputError) as e:
        evaluate_document(with_overrides([{"indicator": "YS-02", "score": 5, "reason": "r"},
                                          {"indicator": "YS-02", "score": 4, "reason": "r"}]))
    assert (e.value.problems[0].code, e.value.problems[0].path) == ("E409", "$.overrides[1].indicator")


POLICY = """\
id: test/override
title: t
year: 2021
version: "1"
full_score: 10
grades: [{grade: 合格, min: 0}]
facts: [{key: 率, type: percent, required: true, min: 0}]
indicators:
  - id: A
    name: a
    points: 10
    override: OVERRIDE
    method: {kind: proportional, rate: 率, reason: "扣{扣分}分"}
"""


@pytest.mark.parametrize("bounds,code,path", [
    ("{min: 8, max: 6}", "E204", "$.indicators[0].override.min"),
    ("{max: 11}", "E303", "$.indicators[0].override.max"),
    ("{max_change: 12}", "E303", "$.indicators[0].override.max_change"),
    ("{mx: 1}", "E203", None),
])
def test_policy_bounds_are_checked(bounds, code, path):
    with pytest.raises(InputError) as e:
        load_policy_text(POLICY.replace("OVERRIDE", bounds), "p.yaml")
    assert e.value.problems[0].code == code
    if path:
        assert e.value.problems[0].path == path


def test_max_change_bounds_a_score_by_its_distance_from_the_rules():
    pol = load_policy_text(POLICY.replace("OVERRIDE", "{max_change: 2}"), "p.yaml")
    from perfrules.facts import read_department
    from perfrules.service import evaluate_department

    def doc(score):
        return load_text(dump({"department": "d", "facts": {"率": "70%"},
                               "overrides": [{"indicator": "A", "score": score, "reason": "r"}]}), "f.yaml")
    assert evaluate_department(pol, read_department(doc(9), pol)).score == Decimal("9.00")
    with pytest.raises(InputError) as e:
        evaluate_department(pol, read_department(doc(Decimal("9.01")), pol))
    assert e.value.problems[0].code == "E409" and "相差 2.01 分" in e.value.problems[0].message


def test_reports_mark_the_override_and_show_the_rules_score():
    result = evaluate_file(EXAMPLE)
    text = to_bytes("result", "text", [result]).decode()
    assert "政府采购执行率　[认定]" in text and "└ 认定：按评分规则得3.64分，认定为5分，理由：" in text
    assert "按评分规则计算：89.57 分；认定 1 项（YS-02），认定后 90.93 分。" in text
    assert "（按评分规则计算为89.57分，其中1项指标的得分经认定）" in text
    assert "经认定不扣分的指标：YS-02政府采购执行率" in text
    md = to_bytes("result", "markdown", [result]).decode()
    assert "政府采购执行率（认定）" in md and "按评分规则计算：89.57 分" in md
    en = to_bytes("result", "text", [result], "en").decode()
    assert "[override]" in en and "89.57 by the rules" in en and "By the rules alone: 89.57" in en
    data = json.loads(to_bytes("result", "json", [result]))
    check("result", data)
    assert data["rules_score"] == "89.57" and data["overrides"][0]["indicator"] == "YS-02"
    leaf = data["indicators"][0]["children"][1]
    assert leaf["override"] == {"score": "5.00", "rules_score": "3.64", "reason": leaf["override"]["reason"],
                                "by": "市财政局绩效处", "document": "示财绩〔2022〕3号"}


def test_no_override_no_new_keys_and_the_golden_stays():
    data = json.loads(to_bytes("result", "json", [evaluate_file(PANYU_FACTS)]))
    assert "rules_score" not in data and "overrides" not in data and data["score"] == "96.88"


def test_audit_lists_each_override_beside_the_rules_score(tmp_path):
    shutil.copy(EXAMPLES / "weighted" / "chongqing-style-2021.yaml", tmp_path)
    text = EXAMPLE.read_text("utf-8") + "claimed: {score: 90.93}\n"
    (tmp_path / "f.yaml").write_text(text, "utf-8")
    out = run_cli("audit", "f.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "与评分办法一致，含认定 1 项（得分 90.93，按评分规则 89.57）" in out.stdout
    assert "[认定] YS-02 政府采购执行率：认定为 5.00 分，按评分规则为 3.64 分" in out.stdout and "核对无误" not in out.stdout
    data = json.loads(run_cli("audit", "f.yaml", "-f", "json", cwd=tmp_path).stdout)
    check("audit", data)
    assert data[0]["ok"] and data[0]["overrides"][0]["kind"] == "override" and data[0]["rules_score"] == "89.57"
    (tmp_path / "f.yaml").write_text(text.replace("90.93", "89.57"), "utf-8")     # the rules' score claimed
    out = run_cli("audit", "f.yaml", cwd=tmp_path)
    assert out.returncode == 1 and "发现 1 处不符，另有认定 1 项" in out.stdout


def test_batch_rows_and_summary_count_overrides(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    text = EXAMPLE.read_text("utf-8").replace("policy: chongqing-style-2021.yaml",
                                              f"policy: {EXAMPLES / 'weighted' / 'chongqing-style-2021.yaml'}")
    (src / "a.yaml").write_text(text, "utf-8")
    plain = text.split("overrides:")[0]
    (src / "b.yaml").write_text(plain, "utf-8")
    out = run_cli("batch", src, "-o", tmp_path / "out.csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8-sig")))
    by = {r["来源"].rsplit("/", 1)[-1]: r for r in rows}
    assert (by["a.yaml"]["认定项数"], by["a.yaml"]["按评分规则得分"], by["a.yaml"]["得分"]) == ("1", "89.57", "90.93")
    assert by["a.yaml"]["认定"].startswith("YS-02 认定：按评分规则得3.64分，认定为5分")
    assert (by["b.yaml"]["认定项数"], by["b.yaml"]["按评分规则得分"], by["b.yaml"]["认定"]) == ("0", "89.57", "")
    assert "认定：1 个部门共 1 项（YS-02 政府采购执行率 1）" in out.stderr


def test_validate_scores_a_fact_file_with_overrides(tmp_path):
    shutil.copy(EXAMPLES / "weighted" / "chongqing-style-2021.yaml", tmp_path)
    text = EXAMPLE.read_text("utf-8").replace("    score: 5\n", "    adjust: 2\n")
    (tmp_path / "f.yaml").write_text(text, "utf-8")
    out = run_cli("validate", "f.yaml", cwd=tmp_path)
    assert out.returncode == 2 and "[E409]" in out.stderr + out.stdout


def test_project_name_confidence_left_out_and_basis(tmp_path):
    shutil.copy(EXAMPLES / "weighted" / "chongqing-style-2021.yaml", tmp_path)
    text = EXAMPLE.read_text("utf-8").replace("department: 示例市某局\n", "department: 示例市某局\nproject: 技能培训项目\n")
    (tmp_path / "f.yaml").write_text(text, "utf-8")
    out = run_cli("evaluate", "f.yaml", cwd=tmp_path).stdout
    assert "项目：技能培训项目　单位：示例市某局　年度：2021" in out and "部门：" not in out
    assert "自评结论：\n技能培训项目2021年度" in out
    assert "暂定" not in out                       # the policy claims no confidence: no footnote
    data = json.loads(run_cli("evaluate", "f.yaml", "-f", "json", cwd=tmp_path).stdout)
    check("result", data)
    assert data["project"] == "技能培训项目" and "confidence" not in data["indicators"][0]["children"][0]
    panyu_md = run_cli("evaluate", PANYU_FACTS, "-f", "markdown").stdout
    assert "## 评分依据" in panyu_md and "- **YS-01 部门预算资金支出率**（已核实）：自评报告" in panyu_md
    plain = run_cli("evaluate", PANYU_FACTS).stdout
    verbose = run_cli("evaluate", PANYU_FACTS, "--verbose").stdout
    assert "评分依据：" not in plain and verbose.startswith(plain.rstrip("\n"))
    assert "  YS-01 部门预算资金支出率（已核实）：自评报告" in verbose


def test_the_schemas_know_the_new_keys():
    facts = json.loads((ROOT / "schemas" / "facts.schema.json").read_text("utf-8"))
    assert {"project", "overrides"} <= set(facts["properties"])
    policy = json.loads((ROOT / "schemas" / "policy.schema.json").read_text("utf-8"))
    assert "override" in policy["definitions"]["indicator"]["properties"]
