"""The second shipped policy (财预〔2020〕10号 project self-evaluation) and its worked example.

The expected numbers are the ones computed by hand in the comment at the top of
examples/national-project-2024.yaml; a change to the engine that moves any of them is a bug
(or a deliberate change to that comment too).
"""
import json
from decimal import Decimal

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES, RULES, ROOT
from perfrules.cli import app

POLICY = RULES / "national" / "mof-2020-project" / "2024.yaml"
EXAMPLE = EXAMPLES / "national-project-2024.yaml"

# indicator -> points lost, as computed by hand in the example's header comment
HAND_DEDUCTIONS = {
    "YS-01": "0.59",   # proportional: 10 × 94.05% = 9.405 → 9.41 (half up)
    "CC-01": "0.48",   # proportional: 12 × 480/500
    "CC-04": "1.50",   # manual: 3.5 of 5, 部分达成
    "CC-05": "1.00",   # checklist: no trainee files
    "CC-06": "1.50",   # per_item: 5 days late (0.5) + 20 days late (1)
    "CC-07": "1.50",   # per_unit: 2.2283% over → ceil 3 points × 0.5
    "XY-01": "1.40",   # proportional: 10 × 860/1000
    "XY-02": "3.00",   # tiered: 部分达成 → 7
    "XY-03": "2.00",   # deductions: follow-up rate 75% < 80%
    "MY-01": "2.00",   # bands: 88.6% in [80%, 90%) → 8
}


@pytest.fixture(scope="module")
def result():
    run = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--format", "json"])
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def test_policy_id_is_its_path():
    run = CliRunner().invoke(app, ["policies", "--format", "json"])
    assert run.exit_code == 0, run.output
    rows = {r["id"]: r for r in json.loads(run.stdout)}
    assert "national/mof-2020-project/2024" in rows
    # the installed copy (site-packages/perfrules/rules/…) or the checkout's rules/: same relative path
    assert rows["national/mof-2020-project/2024"]["file"].endswith("rules/national/mof-2020-project/2024.yaml")


def test_score_and_grade(result):
    assert result["policy"]["id"] == "national/mof-2020-project/2024"
    assert result["score"] == "85.03"
    assert result["max_score"] == "100.00"
    assert result["grade"] == "良"


def test_each_deduction_matches_the_hand_computation(result):
    got = {d["indicator"]: d["points"] for d in result["deductions"]}
    assert got == HAND_DEDUCTIONS
    assert sum(Decimal(p) for p in got.values()) == Decimal("14.97")
    assert Decimal(100) - sum(Decimal(p) for p in got.values()) == Decimal(result["score"])


def test_top_level_scores(result):
    tops = {t["id"]: (t["points"], t["score"]) for t in result["indicators"]}
    assert tops == {"YS": ("10.00", "9.41"), "CC": ("50.00", "44.02"), "XY": ("30.00", "23.60"),
                    "MY": ("10.00", "8.00")}


def test_every_method_kind_is_used_and_fires(result):
    def leaves(nodes):
        for n in nodes:
            if "children" in n:
                yield from leaves(n["children"])
            else:
                yield n
    methods = {n["id"]: n["method"] for n in leaves(result["indicators"])}
    fired_kinds = {methods[i] for i in HAND_DEDUCTIONS}
    assert fired_kinds == {"proportional", "bands", "deductions", "per_item", "checklist", "tiered", "per_unit",
                           "manual"}


def test_reasons(result):
    reasons = {d["indicator"]: d["reason"] for d in result["deductions"]}
    assert reasons["YS-01"] == "预算执行率94.05%，按执行率计分，扣0.59分"
    assert "部分达成年度指标" in reasons["CC-04"]
    assert reasons["CC-05"] == "培训组织规范性扣1分，原因是缺少学员培训档案"
    assert "第四期" in reasons["CC-06"] and "第七期" in reasons["CC-06"]
    assert "2351.25元" in reasons["CC-07"] and "按3个百分点计扣1.5分" in reasons["CC-07"]
    assert "在80%（含）至90%（不含）档" in reasons["MY-01"]       # the band in prose, not [80%, 90%)


def test_json_output_validates_against_the_result_schema(result):
    schema = json.loads((ROOT / "schemas" / "result.schema.json").read_text("utf-8"))
    jsonschema.validate(result, schema)


def test_english_json_also_validates():
    run = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--format", "json", "--lang", "en"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    schema = json.loads((ROOT / "schemas" / "result.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert data["grade"] == "Good" and data["score"] == "85.03"


def test_validate_accepts_the_policy_and_the_example():
    run = CliRunner().invoke(app, ["validate", str(POLICY), str(EXAMPLE), "--format", "json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert report["ok"] is True
    assert [f["kind"] for f in report["files"]] == ["policy", "facts"]
