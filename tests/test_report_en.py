"""--lang en prints English: no Chinese words, punctuation or ordinals come from perfrules itself.

The policy and facts below are written so that everything a report could take from them in
English is English (name_en, label_en, grade_en, reason_en, subject_en, ASCII fact keys and
department): any CJK character or full-width punctuation left in the output is then one
perfrules wrote. Left out: per-item rules (an unlabelled record is still called 第1项, in
methods/per_item.py) and grade expectations in cases (a case names the Chinese grade it expects, and
the diff shows the Chinese grade it got).
"""
from __future__ import annotations

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

from conftest import PANYU_FACTS

from perfrules.cli import app

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")     # CJK, its punctuation, full-width forms

POLICY = {
    "id": "test/english/2023", "title": "英文输出测试", "title_en": "English output test", "year": 2023,
    "version": "1", "full_score": 20, "subject": "部门整体支出绩效", "subject_en": "overall expenditure performance",
    "grades": [{"grade": "优", "grade_en": "Excellent", "min": 18}, {"grade": "差", "grade_en": "Poor", "min": 0}],
    "facts": [
        {"key": "budget", "type": "money", "label": "预算数", "label_en": "budget", "required": True},
        {"key": "spent", "type": "money", "label": "支出数", "label_en": "spent", "required": True},
        {"key": "rate", "type": "percent", "label": "支出率", "label_en": "rate", "formula": "spent / budget"},
        {"key": "violations", "type": "count", "label": "违规数", "label_en": "violations", "default": 0},
        {"key": "level", "type": "choice", "label": "等次", "label_en": "level", "options": ["good", "fair"], "default": "good"},
        {"key": "rules_a", "type": "boolean", "label": "制度甲", "label_en": "rules A", "default": True},
        {"key": "rules_b", "type": "boolean", "label": "制度乙", "label_en": "rules B", "default": True},
    ],
    "indicators": [
        {"id": "A", "name": "支出", "name_en": "Spending", "points": 10, "children": [
            {"id": "A-1", "name": "支出率", "name_en": "Spending rate", "points": 5, "method": {
                "kind": "proportional", "rate": "rate", "reason": "支出率{rate:%}，扣{扣分}分",
                "reason_en": "spending rate {rate:%}: -{扣分}"}},
            {"id": "A-2", "name": "支出档次", "name_en": "Spending band", "points": 5, "method": {
                "kind": "bands", "value": "rate", "bands": [
                    {"when": "[90%, +inf)", "score": 5},
                    {"when": "(-inf, 90%)", "score": 2, "reason": "支出率{rate:%}，扣{扣分}分",
                     "reason_en": "spending rate {rate:%}: -{扣分}"}]}}]},
        {"id": "B", "name": "管理", "name_en": "Management", "points": 10, "children": [
            {"id": "B-1", "name": "违规", "name_en": "Violations", "points": 4, "method": {
                "kind": "deductions", "rules": [
                    {"when": "violations > 0", "deduct": 2, "reason": "有{violations}项违规，扣{扣分}分",
                     "reason_en": "{violations} violation(s): -{扣分}"}]}},
            {"id": "B-2", "name": "等次", "name_en": "Level", "points": 3, "method": {
                "kind": "tiered", "choice": "level", "tiers": [
                    {"value": "good", "score": 3},
                    {"value": "fair", "score": 1, "reason": "等次为中，扣{扣分}分", "reason_en": "level fair: -{扣分}"}]}},
            {"id": "B-3", "name": "制度", "name_en": "Rules", "points": 3, "method": {
                "kind": "checklist", "items": [
                    {"fact": "rules_a", "label": "制度甲", "label_en": "rules A", "deduct": 1},
                    {"fact": "rules_b", "label": "制度乙", "label_en": "rules B", "deduct": 1}],
                "reason": "缺少{缺少项}，扣{扣分}分", "reason_en": "missing {缺少项}: -{扣分}"}}]},
    ],
}
FACTS = {"department": "Example Bureau", "year": 2023,
         "facts": {"budget": "100万元", "spent": "80万元", "violations": 1, "level": "fair", "rules_a": False},
         "claimed": {"score": 15, "deductions": [{"indicator": "A-1", "points": 1}, {"indicator": "B-2", "points": 2}]}}
CASES = {"cases": [
    {"name": "wrong expectations", "expect": {"score": 19, "deductions": {"A-1": 0.5}}},
    {"name": "wrong error", "expect": {"error": "E401"}},
    {"name": "refused", "facts": {"budget": "0万元"}, "expect": {"score": 20}},
]}


@pytest.fixture
def english(tmp_path):
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(POLICY, allow_unicode=True), "utf-8")
    (tmp_path / "f.yaml").write_text(yaml.safe_dump({**FACTS, "policy": str(tmp_path / "p.yaml")}, allow_unicode=True), "utf-8")
    (tmp_path / "p.cases.yaml").write_text(yaml.safe_dump({**CASES, "base": "f.yaml"}, allow_unicode=True), "utf-8")
    return tmp_path


def _en(*args) -> str:
    result = CliRunner().invoke(app, [*args, "--lang", "en"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    out = result.stdout + result.stderr
    assert out.strip()
    assert not CHINESE.findall(out), f"Chinese in `{' '.join(args)} --lang en`:\n{out}"
    return out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_evaluate(english, fmt):
    out = _en("evaluate", str(english / "f.yaml"), "-f", fmt)
    if fmt == "text":
        assert "Conclusion:" in out and "(1) " in out      # deductions counted (1), (2), never 第一


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_audit(english, fmt):
    out = _en("audit", str(english / "f.yaml"), "-f", fmt)
    if fmt == "text":
        assert f"{english / 'f.yaml'}: Example Bureau — found" in out


def test_audit_that_agrees(english, tmp_path):
    facts = {**FACTS, "policy": str(english / "p.yaml"), "claimed": {"score": 11.0, "deductions": [
        {"indicator": "A", "points": 4}, {"indicator": "B", "points": 5}]}}
    path = tmp_path / "agrees.yaml"
    path.write_text(yaml.safe_dump(facts, allow_unicode=True), "utf-8")
    out = _en("audit", str(path))
    assert f"{path}: Example Bureau — agrees (score 11.00)" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cases_report(english, fmt):
    out = _en("test", str(english), "-f", fmt)
    for words in ("score: expected 19.00, got 11.00", "deduction A-1: expected 0.50, got 1.00 (spending rate 80.00%: -1)",
                  "expected the facts to be refused (E401), got score 11.00", "[E405] cannot compute",
                  "B-3 Rules: missing \\\"rules B\\\"" if fmt == "json" else "B-3 Rules: missing \"rules B\""):
        assert words in out, words
    assert re.search(r"facts refused: \S+cases\.yaml:\d+:\d+ \[E405\] cannot compute", out)   # located in the cases file
    if fmt == "text":
        # a policy chosen by path is named by its path and sha256, never by the id it declares
        assert f"(policy {english / 'p.yaml'}, sha256 " in out and "test/english/2023" not in out
        assert "rule coverage: " in out and "not exercised: " in out


def test_cases_report_stays_chinese_in_chinese(english):
    out = CliRunner().invoke(app, ["test", str(english)]).stdout
    assert "得分：期望 19.00，实际 11.00" in out and "规则覆盖：" in out and "未覆盖：B-3 制度：缺少“制度乙”" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate(english, fmt):
    _en("validate", str(english / "p.yaml"), str(english / "f.yaml"), str(english / "p.cases.yaml"), "-f", fmt)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_policies_with_one_that_does_not_load(monkeypatch, tmp_path, fmt):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: test/broken/2023\nindicators: [\n", "utf-8")
    monkeypatch.setattr("perfrules.resources.policy_ids", lambda: {"test/broken/2023": broken})
    out = _en("policies", "-f", fmt)
    if fmt == "text":
        assert out.startswith("test/broken/2023  ! YAML syntax error")
    else:
        assert json.loads(out)[0]["error"].startswith("YAML syntax error")


def test_internal_error_in_english(monkeypatch, tmp_path, capsys):
    """main() writes its own last-resort lines; with --lang en they are English too."""
    import sys
    import tempfile

    import perfrules.cli
    import perfrules.service

    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(perfrules.service, "evaluate_document", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["perfrules", "evaluate", str(PANYU_FACTS), "--lang", "en"])
    with pytest.raises(SystemExit) as exc:
        perfrules.cli.main()
    assert exc.value.code == 3
    err = capsys.readouterr().err
    (log,) = tmp_path.glob("perfrules-error-*.log")
    assert err == (f"perfrules internal error (not a problem with your input): RuntimeError. "
                   f"The details are in {log}; please send that file to the maintainers.\n")


def test_interrupted_in_english(monkeypatch, capsys):
    import sys

    import perfrules.cli

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(perfrules.cli, "app", interrupt)
    monkeypatch.setattr(sys, "argv", ["perfrules", "test", "--lang=en"])
    with pytest.raises(SystemExit) as exc:
        perfrules.cli.main()
    assert exc.value.code == 130 and capsys.readouterr().err == "Interrupted.\n"
