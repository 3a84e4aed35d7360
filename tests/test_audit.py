"""perfrules audit: the seed report's claim agrees; every kind of discrepancy is found."""
import json

import yaml
from typer.testing import CliRunner

from conftest import EXAMPLES, PANYU_FACTS
from perfrules.cli import app

runner = CliRunner()


def _with_claim(tmp_path, claimed):
    data = yaml.safe_load(PANYU_FACTS.read_text("utf-8"))
    data["claimed"] = claimed
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def _audit_json(path):
    result = runner.invoke(app, ["audit", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)[0]


def test_seed_report_claim_agrees():
    result = runner.invoke(app, ["audit", str(PANYU_FACTS)])
    assert result.exit_code == 0
    assert "核对无误（得分 96.88）" in result.stdout


def test_shipped_wrong_claim_shows_every_kind():
    code, entry = _audit_json(EXAMPLES / "audit" / "panyu-claim-wrong.yaml")
    assert code == 1
    kinds = {(d["kind"], d["indicator"]) for d in entry["discrepancies"]}
    assert kinds == {("total", ""), ("arithmetic", ""), ("amount", "YS-01"), ("not_due", "GL-03"),
                     ("not_claimed", "LZ-01")}
    amount = next(d for d in entry["discrepancies"] if d["kind"] == "amount")
    assert (amount["claimed"], amount["due"]) == ("0.20", "0.12")


def test_deduction_due_but_not_claimed(tmp_path):
    path = _with_claim(tmp_path, {"score": 96.88, "deductions": [
        {"indicator": "YS-01", "points": 0.12}, {"indicator": "LZ-01", "points": 3.0}]})
    code, entry = _audit_json(path)
    assert code == 1
    assert [(d["kind"], d["indicator"]) for d in entry["discrepancies"]] == [("amount", "LZ-01"), ("not_claimed", "GL-01")]


def test_claimed_on_a_parent_indicator_counts_for_its_leaves(tmp_path):
    path = _with_claim(tmp_path, {"score": 96.88, "deductions": [
        {"indicator": "YS", "points": 0.12}, {"indicator": "LZ", "points": 1}, {"indicator": "GL", "points": 2}]})
    code, entry = _audit_json(path)
    assert code == 0 and entry["discrepancies"] == []


def test_unknown_indicator_and_arithmetic(tmp_path):
    path = _with_claim(tmp_path, {"score": 96.88, "deductions": [
        {"indicator": "YS-01", "points": 0.12}, {"indicator": "LZ-01", "points": 1},
        {"indicator": "GL-01", "points": 2}, {"indicator": "XX-9", "points": 1}]})
    code, entry = _audit_json(path)
    assert code == 1
    assert {d["kind"] for d in entry["discrepancies"]} == {"unknown_indicator", "arithmetic"}


def test_missing_claim_is_invalid_input(tmp_path):
    data = yaml.safe_load(PANYU_FACTS.read_text("utf-8"))
    del data["claimed"]
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = runner.invoke(app, ["audit", str(path)])
    assert result.exit_code == 2
    assert "[E201]" in result.stderr and "claimed" in result.stderr


def test_a_claim_of_only_a_total_is_checked_as_a_total(tmp_path):
    """A report that gives only its score is not told that every due deduction is 漏扣分;
    an explicit empty list still means 'no deductions claimed'."""
    code, out = _audit_json(_with_claim(tmp_path, {"score": 96.88}))
    assert code == 0 and out["ok"] and out["discrepancies"] == []
    code, out = _audit_json(_with_claim(tmp_path, {"score": 97.5}))
    assert code == 1 and [d["kind"] for d in out["discrepancies"]] == ["total"]
    code, out = _audit_json(_with_claim(tmp_path, {"score": 96.88, "deductions": []}))
    assert code == 1 and {d["kind"] for d in out["discrepancies"]} == {"arithmetic", "not_claimed"}


def test_a_claimed_score_above_the_full_score_is_refused_at_it(tmp_path):
    """196.88 of 100 is a slip, never a claim to check deduction by deduction."""
    result = runner.invoke(app, ["audit", str(_with_claim(tmp_path, {"score": 196.88}))])
    assert result.exit_code == 2
    assert "[E407]" in result.stderr and "196.88" in result.stderr and "满分 100" in result.stderr
    assert runner.invoke(app, ["audit", str(_with_claim(tmp_path, {"score": 100}))]).exit_code == 1   # checked: 96.88 is due


def test_audit_and_validate_read_a_csv_with_its_items_every_row(tmp_path):
    """A district CSV with 自报得分 and its --items list facts: audit checks every row (not
    only the first), validate reads the list facts too (before, both lacked --items)."""
    depts = tmp_path / "部门.csv"
    depts.write_text("部门,评分办法,年度,全年预算数,实际支出数,有内部财务管理制度,有绩效目标管理制度,有绩效运行监控制度,"
                     "有绩效评价管理制度,有评价结果应用制度,自报得分\n"
                     "甲局,guangzhou/panyu/2023,2023,100,100,是,是,是,是,是,100\n"
                     "乙局,guangzhou/panyu/2023,2023,100,90,是,是,是,是,是,100\n", encoding="utf-8")
    items = tmp_path / "指标.csv"
    items.write_text("部门,名称,目标值,实际值\n甲局,培训人数,100,100\n乙局,培训人数,100,95\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(depts), "--items", str(items), "--format", "json"])
    assert result.exit_code == 1, result.stderr        # 乙局 claimed 100; 99.0 - 0.5 is due
    entries = json.loads(result.stdout)
    assert [e["file"] for e in entries] == [f"{depts}:2", f"{depts}:3"], entries
    checked = runner.invoke(app, ["validate", str(depts), "--items", str(items)])
    assert checked.exit_code == 0, checked.stderr
    missing = runner.invoke(app, ["validate", str(depts)])
    assert missing.exit_code == 2 and "绩效指标" in missing.stderr
    assert "--items" in missing.stderr and "在 facts 下" not in missing.stderr     # a CSV's own advice


def test_evaluate_scores_the_facts_whatever_the_claim(tmp_path):
    result = runner.invoke(app, ["evaluate", str(_with_claim(tmp_path, {"score": 196.88}))])
    assert result.exit_code == 0 and "96.88" in result.stdout
