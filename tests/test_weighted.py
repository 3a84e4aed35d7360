"""methods/weighted.py: 权重 × 得分系数 over a list fact. The coefficient rules (higher and
lower is better, capped, rounded), per-record deductions that add up to the leaf's loss,
扣完为止, the policy checks (located) and the weight checks (E410), and both matchers deciding
the same records for any table (durable's field-to-field comparison against the reference)."""
from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.matcher.reference import ReferenceMatcher
from perfrules.methods.weighted import METHOD, WeightedParams, coefficient
from perfrules.problems import InputError
from perfrules.service import default, evaluate_department
from perfrules.validate import load_policy_text

from conftest import EXAMPLES, dump

FIELDS = """
  - key: 指标
    type: list
    fields:
      - {key: 名称, type: text, required: true}
      - {key: 权重, type: number, required: true, min: 0}
      - {key: 目标值, type: number, required: true, min: 0}
      - {key: 实际值, type: number, required: true, min: 0}
      - {key: 方向, type: choice, options: [正向, 反向, 控制率], default: 正向}
"""


def policy(method: str, points=10, fields=FIELDS):
    return load_policy_text(textwrap.dedent(f"""\
        id: test/weighted
        title: t
        year: 2021
        version: "1"
        full_score: {points}
        grades: [{{grade: 合格, min: 0}}]
        facts:
        """) + textwrap.indent(textwrap.dedent(fields).strip("\n"), "  ") + "\n" + textwrap.dedent(f"""\
        indicators:
          - id: ZB
            name: 绩效指标
            points: {points}
            method:
        """) + textwrap.indent(textwrap.dedent(method).strip("\n"), "      ") + "\n", "p.yaml")


FULL = """\
kind: weighted
items: 指标
item_label: 名称
actual: 实际值
target: 目标值
weight: 权重
direction: 方向
lower: [反向, 控制率]
reason: "{项目}系数{系数:%}，扣{扣分}分"
"""


def run(pol, rows: list[dict]):
    doc = load_text(dump({"department": "d", "facts": {"指标": rows}}), "f.yaml")
    return evaluate_department(pol, read_department(doc, pol))


def row(name, w, target, actual, direction="正向"):
    return {"名称": name, "权重": w, "目标值": target, "实际值": actual, "方向": direction}


def test_coefficients_higher_lower_and_capped():
    pol = policy(FULL)
    result = run(pol, [row("甲", 4, 200, 185), row("乙", 3, 2, 3, "反向"), row("丙", 2, 1, 0.9, "控制率"),
                       row("丁", 1, 95, 99)])
    zb = result.scored["ZB"]
    assert zb.deduction == Decimal("0.30") + Decimal("1.00")      # 4 × 0.075; 3 × (1 − 2/3) = 1.00
    assert zb.reasons == ["甲系数92.50%，扣0.3分", "乙系数66.67%，扣1分"]
    assert result.score == Decimal("8.70")


def test_rounding_of_the_coefficient_changes_what_is_lost():
    exact, rounded = policy(FULL), policy(FULL + "round: 2\n")
    rows = [row("甲", 10, 3, 2)]                                   # 2/3 = 0.6666… ; rounded 0.67
    assert run(exact, rows).score == Decimal("6.67")              # 10 − round2(3.333…)
    assert run(rounded, rows).score == Decimal("6.70")            # 10 − round2(10 × 0.33)


def test_a_coefficient_rounding_to_one_fires_but_loses_nothing():
    pol = policy(FULL + "round: 4\n")
    result = run(pol, [row("甲", 10, 100000, 99999)])
    assert result.fired and result.score == Decimal("10.00") and not result.deductions


def test_zero_targets_and_actuals_have_defined_coefficients():
    pol = policy(FULL)
    result = run(pol, [row("甲", 5, 0, 0), row("乙", 3, 0, 2, "反向"), row("丙", 2, 5, 0)])
    assert result.scored["ZB"].deduction == Decimal("5.00")       # 甲 full; 乙 0 → 3; 丙 0 → 2


def test_equal_and_constant_weights_and_the_cap():
    equal = policy(FULL.replace("weight: 权重", "weight: equal"))
    assert run(equal, [row("甲", 0, 10, 5), row("乙", 0, 10, 10), row("丙", 0, 10, 10)]).score == Decimal("8.33")
    constant = policy(FULL.replace("weight: 权重", "weight: 6"))
    result = run(constant, [row("甲", 0, 10, 0), row("乙", 0, 10, 0)])     # 12 lost of 10: 扣完为止
    assert result.score == Decimal("0.00") and result.scored["ZB"].capped


@pytest.mark.parametrize("weight,rows,fragment", [
    ("权重", [row("甲", 4, 1, 1), row("乙", 5, 1, 1)], "之和为 9"),
    ("3", [row("甲", 0, 1, 1), row("乙", 0, 1, 1), row("丙", 0, 1, 1)], "不足分值"),
    ("equal", [], "没有记录"),
])
def test_weights_that_cannot_carry_the_points_are_e410_at_the_list(weight, rows, fragment):
    pol = policy(FULL.replace("weight: 权重", f"weight: {weight}"))
    with pytest.raises(InputError) as e:
        run(pol, rows)
    p = e.value.problems[0]
    assert (p.code, p.path, p.line) == ("E410", "$.facts.指标", 3) and fragment in p.message


@pytest.mark.parametrize("change,code,path", [
    ("target: 目标值", None, None),
    ("target: 名称", "E311", "$.indicators[0].method.target"),
    ("target: 目标", "E304", "$.indicators[0].method.target"),
    ("weight: 方向", "E311", "$.indicators[0].method.weight"),
    ("weight: 20", "E303", "$.indicators[0].method.weight"),
    ("lower: [反向, 负向]", "E204", "$.indicators[0].method.lower[1]"),
    ("direction: 名称", "E311", "$.indicators[0].method.direction"),
])
def test_policy_checks_are_located(change, code, path):
    key = change.split(":")[0]
    method = "\n".join(change if line.startswith(key + ":") else line for line in FULL.splitlines())
    if code is None:
        assert policy(method).leaves()[0].method.kind == "weighted"
        return
    with pytest.raises(InputError) as e:
        policy(method)
    assert (e.value.problems[0].code, e.value.problems[0].path) == (code, path)


def test_a_field_without_min_zero_and_direction_without_lower_are_refused():
    with pytest.raises(InputError) as e:
        policy(FULL, fields=FIELDS.replace("{key: 目标值, type: number, required: true, min: 0}",
                                           "{key: 目标值, type: number, required: true}"))
    assert e.value.problems[0].code == "E311" and "min: 0" in e.value.problems[0].message
    with pytest.raises(InputError) as e:
        policy(FULL.replace("lower: [反向, 控制率]\n", ""))
    assert e.value.problems[0].code == "E201"


def test_one_rule_per_direction_option_with_coverage_words():
    pol = policy(FULL)
    assert [r.when.value for r in pol.rules] == ["正向", "反向", "控制率"]
    assert [r.when.op for r in pol.rules] == ["<", ">", ">"]
    leaf = pol.leaves()[0]
    assert METHOD.describe(leaf, pol.rules[1]) == "ZB 绩效指标：反向指标（反向）超过目标值"
    assert "below its target" in METHOD.describe(leaf, pol.rules[0], "en")
    no_direction = policy(FULL.replace("direction: 方向\n", "").replace("lower: [反向, 控制率]\n", ""))
    assert len(no_direction.rules) == 1 and no_direction.rules[0].when.field is None


def test_coefficient_unit():
    p = WeightedParams("weighted", "l", "a", "t", "equal", "d", ("反向",), 4, None)
    assert coefficient(p, {"a": Decimal(1), "t": Decimal(3), "d": "正向"}) == Decimal("0.3333")
    assert coefficient(p, {"a": Decimal(3), "t": Decimal(1), "d": "反向"}) == Decimal("0.3333")
    assert coefficient(p, {"a": Decimal(3), "t": Decimal(1), "d": "正向"}) == 1


_NUM = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(_NUM, _NUM, st.sampled_from(["正向", "反向", "控制率"])), min_size=1, max_size=12),
       st.sampled_from([None, 0, 2, 4]))
def test_durable_and_the_reference_fire_the_same_records_and_the_score_is_the_oracle(records, places):
    pol = policy(FULL.replace("weight: 权重", "weight: equal") + (f"round: {places}\n" if places is not None else ""))
    rows = [row(f"项{i}", 0, t, a, d) for i, (t, a, d) in enumerate(records)]
    doc = load_text(dump({"department": "d", "facts": {"指标": rows}}), "f.yaml")
    dept = read_department(doc, pol)
    svc = default()
    fired = svc.matcher.fired(svc.prepared(pol), dept)
    assert fired == ReferenceMatcher().fired(pol, dept)
    lost = Decimal(0)
    for t, a, d in records:       # the oracle: the coefficient as the docs define it
        lower = d != "正向"
        if (a > t) if lower else (a < t):
            c = t / a if lower else a / t
            if places is not None:
                c = c.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
            lost += (Decimal(10) / len(records) * (1 - c)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    expected = (Decimal(10) - min(lost, Decimal(10))).quantize(Decimal("0.01"))
    assert evaluate_department(pol, dept).score == expected


def test_the_shipped_example_cases_pass():
    from perfrules.cases import run_file
    report = run_file(EXAMPLES / "weighted" / "chongqing-style-2021.cases.yaml")
    assert report.passed == len(report.results) >= 7
