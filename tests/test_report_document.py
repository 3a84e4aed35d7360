"""The report as a document (issue 10 §3): the JSON's 自评结论 and 部门编码, the policy's
`report:` facts, the Word document reopened with python-docx, the HTML page rendered in
headless Chromium, and an --output whose suffix does not match the format."""
from __future__ import annotations

import json

import pytest

from conftest import PANYU_FACTS, PANYU_POLICY
from test_panyu import SEED_CONCLUSION, cli

from perfrules.problems import InputError
from perfrules.validate import load_policy, load_policy_text


def test_json_carries_the_conclusion_and_the_code(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text(PANYU_FACTS.read_text(encoding="utf-8").replace("year: 2023", "code: '0801'\nyear: 2023"),
                     encoding="utf-8")
    proc = cli("evaluate", str(facts), "-f", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout)
    assert out["conclusion"] == SEED_CONCLUSION
    assert out["code"] == "0801"


def test_the_shipped_policy_names_its_spending_facts():
    s = load_policy(PANYU_POLICY).spending
    assert s is not None and (s.budget, s.actual, s.rate) == ("全年预算数", "实际支出数", "预算资金支出率")


@pytest.mark.parametrize("line, code", [("report: {budget: 全年预算, actual: 实际支出数, rate: 预算资金支出率}", "E304"),
                                         ("report: {budget: 全年预算数, actual: 实际支出数, rate: 实际支出数}", "E311")])
def test_report_facts_are_checked_like_other_references(line, code):
    text = PANYU_POLICY.read_text(encoding="utf-8")
    start = text.index("\nreport:") + 1
    bad = text[:start] + line + text[text.index("\n", start):]
    with pytest.raises(InputError) as exc:
        load_policy_text(bad, "bad.yaml")
    assert [(p.code, p.path) for p in exc.value.problems] == [(code, "$.report." + ("budget" if code == "E304" else "rate"))]
