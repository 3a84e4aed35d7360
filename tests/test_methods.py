"""Unit tests of every scoring method, the expression whitelist and intervals.

Each test builds a small policy as YAML text, reads a department's facts from YAML text and
runs the real pipeline: validate.load_policy_text -> load.load_text + facts.read_department ->
service.evaluate_department (durable_rules decides what fires, methods/ score). Expected
scores are worked out by hand in the comments, not copied from the engine's output.
"""
from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest

from perfrules import expr
from perfrules.matcher.durable_encoding import compile_policy
from perfrules.service import evaluate_department
from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.problems import InputError
from perfrules.validate import load_policy_text

D = Decimal


# ---- helpers -------------------------------------------------------------------------------

def _block(text: str, indent: int) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent)


def policy(facts: str, method: str, points=10, pid="test/methods"):
    """A one-indicator policy: indicator A (甲) with `points` and the given method."""
    text = (
        f"id: {pid}\n"
        "title: 测试评分办法\n"
        "year: 2023\n"
        'version: "1"\n'
        f"full_score: {points}\n"
        "grades:\n"
        f"  - {{grade: 优, grade_en: Excellent, min: {points}}}\n"
        "  - {grade: 差, grade_en: Poor, min: 0}\n"
        "facts:\n"
        f"{_block(facts, 2)}\n"
        "indicators:\n"
        "  - id: A\n"
        "    name: 甲指标\n"
        "    name_en: Indicator A\n"
        f"    points: {points}\n"
        "    method:\n"
        f"{_block(method, 6)}\n"
    )
    return load_policy_text(text)


def run(pol, facts: str):
    """Evaluate one department; returns (Result, the single leaf's IndicatorResult)."""
    text = "department: 测试部门\nyear: 2023\nfacts:\n" + _block(facts, 2) + "\n"
    dept = read_department(load_text(text, "<facts>"), pol)
    result = evaluate_department(pol, dept)
    (leaf,) = result.leaves()
    return result, leaf


def score(pol, facts: str) -> Decimal:
    return run(pol, facts)[0].score


def codes(excinfo) -> list[str]:
    return [p.code for p in excinfo.value.problems]


# ---- proportional --------------------------------------------------------------------------

PROPORTIONAL_FACTS = """
- {key: 预算数, type: money, required: true}
- {key: 支出数, type: money, required: true}
- {key: 支出率, type: percent, formula: 支出数 / 预算数}
"""
PROPORTIONAL = """
kind: proportional
rate: 支出率
reason: 支出率{支出率:%}，扣分{扣分}分
reason_en: "spending rate {支出率:%}, -{扣分}"
"""


@pytest.fixture(scope="module")
def proportional():
    return policy(PROPORTIONAL_FACTS, PROPORTIONAL)


def test_proportional_panyu_numbers(proportional):
    # 682.37 / 690.47 = 0.98826886… (kept exact); 10 × 0.98826886… = 9.8826886… -> 9.88
    result, leaf = run(proportional, "预算数: 690.47万元\n支出数: 682.37万元")
    assert result.score == D("9.88")
    assert leaf.deduction == D("0.12")
    assert leaf.reasons == ["支出率98.83%，扣分0.12分"]
    assert leaf.reasons_en == ["spending rate 98.83%, -0.12"]
    assert result.department.values["支出率"] == D("682.37") / D("690.47")


@pytest.mark.parametrize("spent, expected", [
    ("100", "10"),      # exactly 100%: the rule (rate < full_at) does not fire
    ("120", "10"),      # over 100%: capped at full marks
    ("0", "0"),         # nothing spent: zero, not negative
    ("50", "5"),
    ("98.827", "9.88"),  # 9.8827 -> 9.88 (lost 0.1173 -> 0.12)
])
def test_proportional_values(proportional, spent, expected):
    assert score(proportional, f"预算数: 100\n支出数: {spent}") == D(expected)


def test_proportional_full_marks_has_no_reason(proportional):
    result, leaf = run(proportional, "预算数: 100\n支出数: 100")
    assert leaf.deduction == 0 and leaf.reasons == [] and result.deductions == []


def test_proportional_zero_budget_is_an_input_error(proportional):
    with pytest.raises(InputError) as exc:
        run(proportional, "预算数: 0\n支出数: 10")
    assert codes(exc) == ["E405"]


def test_proportional_negative_money_refused(proportional):
    with pytest.raises(InputError) as exc:   # money facts have min 0 by default
        run(proportional, "预算数: 100\n支出数: -5")
    assert codes(exc) == ["E407"]


RATE_ONLY = "- {key: 支出率, type: percent, required: true}"


@pytest.mark.parametrize("points, rate, expected", [
    (10, "98.85%", "9.89"),   # 9.885: half-up gives 9.89 (banker's and binary floats give 9.88)
    (5, "53.5%", "2.68"),     # 2.675: half-up 2.68 (float round(2.675, 2) == 2.67)
    (1, "12.5%", "0.13"),     # 0.125: half-up 0.13 (banker's 0.12)
    (10, "98.844%", "9.88"),  # 9.8844 -> 9.88: below the half
    (10, "-5%", "0"),         # a negative rate scores zero, never below
])
def test_proportional_rounds_half_up(points, rate, expected):
    pol = policy(RATE_ONLY, "kind: proportional\nrate: 支出率\nreason: 扣{扣分}分", points=points)
    assert score(pol, f"支出率: {rate}") == D(expected)


@pytest.mark.parametrize("full_at", ["90%", "９０％"])
@pytest.mark.parametrize("rate, expected", [
    ("81%", "9"),     # 0.81 / 0.9 = 0.9 -> 9.00
    ("45%", "5"),     # 0.45 / 0.9 = 0.5
    ("90%", "10"),    # exactly at full_at: full marks
    ("95%", "10"),    # above full_at: capped
])
def test_proportional_full_at(full_at, rate, expected):
    pol = policy(RATE_ONLY, f"kind: proportional\nrate: 支出率\nfull_at: '{full_at}'\nreason: 扣{{扣分}}分")
    assert score(pol, f"支出率: {rate}") == D(expected)


def test_percent_written_three_ways_reads_the_same(proportional):
    pol = policy(RATE_ONLY, "kind: proportional\nrate: 支出率\nreason: 扣{扣分}分")
    assert score(pol, "支出率: 98.83%") == score(pol, "支出率: 98.83 %") == score(pol, "支出率: '９８.８３％'") == D("9.88")


# ---- bands ---------------------------------------------------------------------------------

GAP_BANDS = """
kind: bands
value: 差距
bands:
  - {when: "<= 0", score: 10}
  - {when: "(0, 10%]", score: 8, reason: "差距{差距:%}，属{区间}档，扣{扣分}分"}
  - {when: "(10%, 20%]", score: 5, reason: "差距{差距:%}，属{区间}档，扣{扣分}分"}
  - {when: "(20%, +inf)", score: 0, reason: "差距{差距:%}，扣{扣分}分"}
"""


@pytest.fixture(scope="module")
def bands():
    return policy("- {key: 差距, type: percent, required: true}", GAP_BANDS)


@pytest.mark.parametrize("gap, expected", [
    ("-5%", "10"),          # negative: in "<= 0"
    ("0", "10"),            # zero: in "<= 0", not in "(0, 10%]"
    ("0.0001%", "8"),       # 0.000001: just above 0
    ("10%", "8"),           # exactly 10%: "(0, 10%]" includes it, "(10%, 20%]" does not
    ("10.0001%", "5"),      # 0.100001: just above the edge
    ("20%", "5"),
    ("20.0001%", "0"),
    ("150%", "0"),
])
def test_bands_edges(bands, gap, expected):
    assert score(bands, f"差距: '{gap}'" if "%" in gap else f"差距: {gap}") == D(expected)


def test_bands_reason_names_the_band(bands):
    result, leaf = run(bands, "差距: 10%")
    assert leaf.score == 8 and leaf.deduction == 2
    assert leaf.reasons == ["差距10.00%，属0（不含）至10%（含）档，扣2分"]     # the band "(0, 10%]" in prose
    assert [d.indicator.id for d in result.deductions] == ["A"]


def test_bands_exact_decimal_arithmetic_in_derived_facts():
    # 0.3 - 0.2 is exactly 0.1 in Decimal (binary floats give 0.09999999999999998, which
    # would land in the lower band); 0.1 + 0.2 is exactly 0.3 (floats: 0.30000000000000004).
    facts = """
    - {key: 基准, type: number, required: true}
    - {key: 实际, type: number, required: true}
    - {key: 差, type: number, formula: 基准 - 实际}
    - {key: 和, type: number, formula: 基准 + 实际}
    """
    low_edge = policy(facts, """
    kind: bands
    value: 差
    bands:
      - {when: "< 0", score: 10}
      - {when: "[0, 10%)", score: 10}
      - {when: "[10%, +inf)", score: 5, reason: "扣{扣分}分"}
    """)
    assert score(low_edge, "基准: 0.3\n实际: 0.2") == 5
    assert score(low_edge, "基准: 0.3\n实际: 0.200001") == 10
    sums = policy(facts, """
    kind: bands
    value: 和
    bands:
      - {when: "<= 30%", score: 10}
      - {when: "> 30%", score: 0, reason: "扣{扣分}分"}
    """)
    assert score(sums, "基准: 0.1\n实际: 0.2") == 10
    assert score(sums, "基准: 0.1\n实际: 0.200001") == 0


def test_bands_overlap_and_gap_are_refused():
    one = "- {key: x, type: percent, required: true}"
    with pytest.raises(InputError) as exc:
        policy(one, """
        kind: bands
        value: x
        bands:
          - {when: "<= 10%", score: 10}
          - {when: "[10%, +inf)", score: 5, reason: r}
        """)
    assert "E306" in codes(exc)
    with pytest.raises(InputError) as exc:
        policy(one, """
        kind: bands
        value: x
        bands:
          - {when: "< 10%", score: 10}
          - {when: "> 10%", score: 5, reason: r}
        """)
    assert "E307" in codes(exc)   # 10% itself has no band
    assert any("[10%, 10%]" in p.message for p in exc.value.problems)


# ---- deductions ----------------------------------------------------------------------------

DEDUCTION_FACTS = """
- {key: 支出率, type: percent, required: true}
- {key: 有制度, type: boolean, required: true}
- {key: 实际, type: number, required: true}
- {key: 目标, type: number, required: true}
- {key: 方向, type: choice, options: [正向, 反向], default: 正向}
"""
DEDUCTIONS = """
kind: deductions
rules:
  - {when: "支出率 < 90%", deduct: 2, reason: "支出率{支出率:%}低于90%，扣{扣分}分", reason_en: "rate below 90%: -{扣分}"}
  - {when: "not 有制度 or 支出率 < 60%", deduct: 1, reason: "制度或支出率不达标，扣{扣分}分"}
  - {when: "实际 < 目标 and 方向 == '正向'", deduct: 1.5, reason: "正向指标未达目标，扣{扣分}分"}
  - {when: "目标 < 实际 and 方向 != '正向'", deduct: 1.5, reason: "反向指标超出目标，扣{扣分}分"}
  - {when: "not (80% <= 支出率 <= 100%)", deduct: 0.5, reason: "支出率不在合理区间，扣{扣分}分"}
"""


@pytest.fixture(scope="module")
def deductions():
    return policy(DEDUCTION_FACTS, DEDUCTIONS, points=5)


def dept(rate="95%", ok="true", actual=10, target=10, direction="正向"):
    return f"支出率: {rate}\n有制度: {ok}\n实际: {actual}\n目标: {target}\n方向: {direction}"


def test_deductions_none_fire_gives_full_marks(deductions):
    # nothing matches: durable's assert reports "not handled"; the score must still be full
    result, leaf = run(deductions, dept())
    assert result.score == 5 and leaf.deduction == 0 and leaf.reasons == [] and leaf.fired == []


@pytest.mark.parametrize("facts, fired, expected", [
    (dept(rate="85%", actual=9), [0, 2], "1.5"),            # 5 - 2 - 1.5
    (dept(rate="90%"), [], "5"),                            # exactly 90%: "< 90%" is strict
    (dept(rate="89.9999%"), [0], "3"),
    (dept(rate="80%"), [0], "3"),                           # 80% is inside [80%, 100%]
    (dept(rate="79.9999%"), [0, 4], "2.5"),
    (dept(rate="100%"), [], "5"),
    (dept(rate="100.0001%"), [4], "4.5"),
    (dept(ok="false"), [1], "4"),
    (dept(ok="否"), [1], "4"),
    (dept(rate="59%"), [0, 1, 4], "1.5"),                   # "or": either side
    (dept(actual=9, direction="反向"), [], "5"),            # short of target but a 反向 indicator
    (dept(actual=11, direction="反向"), [3], "3.5"),         # fact-vs-fact: 目标 < 实际
    (dept(actual=11), [], "5"),
    (dept(actual="-3", target=0), [2], "3.5"),              # negative against zero
])
def test_deductions_conditions(deductions, facts, fired, expected):
    result, leaf = run(deductions, facts)
    assert [r - deductions.rules[0].index for r in leaf.fired] == fired
    assert result.score == D(expected)
    assert leaf.deduction == 5 - D(expected)
    assert len(leaf.reasons) == len(fired)


def test_deductions_all_fire_exactly_points_is_not_capped(deductions):
    # 2 + 1 + 1.5 + 0.5 = 5 = the points: score 0, no 扣完为止 note
    result, leaf = run(deductions, dept(rate="50%", ok="false", actual=11, direction="反向"))
    assert result.score == 0 and leaf.deduction == 5
    assert len(leaf.reasons) == 4 and not any("扣完为止" in r for r in leaf.reasons)
    assert leaf.reasons[0] == "支出率50.00%低于90%，扣2分"
    assert leaf.reasons_en[0] == "rate below 90%: -2"


def test_deductions_cap_扣完为止():
    pol = policy("- {key: a, type: number, required: true}", """
    kind: deductions
    rules:
      - {when: "a > 0", deduct: 2, reason: "甲扣{扣分}分"}
      - {when: "a > 1", deduct: 2, reason: "乙扣{扣分}分"}
      - {when: "a > 2", deduct: 2.5, reason: "丙扣{扣分}分"}
    """, points=3)
    result, leaf = run(pol, "a: 5")            # 2 + 2 + 2.5 = 6.5 > 3: capped at 3
    assert result.score == 0 and leaf.deduction == 3
    assert leaf.reasons[:3] == ["甲扣2分", "乙扣2分", "丙扣2.5分"]
    assert "扣完为止" in leaf.reasons[-1] and len(leaf.reasons) == 4
    result, leaf = run(pol, "a: 1.5")          # 2 + 2 = 4 > 3: capped as well
    assert result.score == 0 and "扣完为止" in leaf.reasons[-1]
    result, leaf = run(pol, "a: 0.5")          # 2 only
    assert result.score == 1 and leaf.reasons == ["甲扣2分"]
    result, leaf = run(pol, "a: 0")            # zero: nothing fires
    assert result.score == 3 and leaf.reasons == []


@pytest.mark.parametrize("when, facts, fires", [
    ("a == b", "a: 2\nb: 2.0", True),
    ("a == b", "a: 2\nb: 2.000001", False),
    ("a != b", "a: 2\nb: 2", False),
    ("a != b", "a: 2\nb: 3", True),
    ("not (a == b)", "a: 2\nb: 3", True),
    ("a >= b", "a: 2\nb: 2", True),
    ("a > b", "a: 2\nb: 2", False),
    ("90% > a", "a: 0.89\nb: 0", True),          # constant on the left
    ("90% > a", "a: 0.9\nb: 0", False),
    ("a <= b <= 3", "a: 1\nb: 3", True),          # chained comparison
    ("a <= b <= 3", "a: 1\nb: 3.5", False),
    ("not (a <= b <= 3)", "a: 4\nb: 3", True),
    ("not (a < 0 or b < 0)", "a: 1\nb: 1", True),
    ("not (a < 0 or b < 0)", "a: 1\nb: -1", False),
    ("not (not (a < 0) and b > 0)", "a: 1\nb: 1", False),
    ("a > -1 and b < -0.5", "a: 0\nb: -0.6", True),
    ("a > 0 or b > 0", "a: 1\nb: 1", True),       # both alternatives hold: still one deduction
    ("not (a > 0 and b > 0)", "a: -1\nb: -1", True),
    ("a > 0 or a > 1 or b == 1", "a: 2\nb: 1", True),
    ("a == 0", "a: 0\nb: 1", True),
    ("a == 0", "a: 0.000001\nb: 1", False),
])
def test_deduction_comparisons(when, facts, fires):
    pol = policy("- {key: a, type: number, required: true}\n- {key: b, type: number, required: true}", f"""
    kind: deductions
    rules:
      - {{when: "{when}", deduct: 1, reason: "扣{{扣分}}分"}}
    """, points=2)
    assert score(pol, facts) == (1 if fires else 2)


def test_deduction_conditions_on_booleans_and_text():
    pol = policy("""
    - {key: 有, type: boolean, required: true}
    - {key: 名称, type: text, required: true}
    """, """
    kind: deductions
    rules:
      - {when: "有 == True", deduct: 1, reason: 一}
      - {when: "not 有", deduct: 2, reason: 二}
      - {when: "名称 == '测试'", deduct: 4, reason: 三}
    """, points=8)
    assert score(pol, "有: true\n名称: 其他") == 7
    assert score(pol, "有: false\n名称: 其他") == 6
    assert score(pol, "有: 是\n名称: 测试") == 3


def test_deduction_conditions_refuse_arithmetic_and_non_booleans():
    facts = "- {key: a, type: number, required: true}\n- {key: b, type: number, required: true}"
    for when, code in [("a + 1 > b", "E309"), ("a", "E311"), ("a > 名称", "E304"), ("min(a, b) > 1", "E309")]:
        with pytest.raises(InputError) as exc:
            policy(facts, f"kind: deductions\nrules:\n  - {{when: '{when}', deduct: 1, reason: r}}")
        assert code in codes(exc), when


# ---- per_item ------------------------------------------------------------------------------

ITEM_FACTS = """
- key: 指标
  type: list
  required: true
  fields:
    - {key: 名称, type: text, required: true}
    - {key: 目标值, type: number, required: true, min: 0}
    - {key: 实际值, type: number, required: true, min: 0}
    - {key: 差距率, type: percent, formula: "max(0, (目标值 - 实际值) / 目标值)"}
"""


def per_item(aggregate=None, label=True, points=4):
    agg = f"aggregate: {aggregate}\n" if aggregate else ""
    lab = "item_label: 名称\n" if label else ""
    return policy(ITEM_FACTS, f"""
kind: per_item
items: 指标
measure: 差距率
{lab}{agg}bands:
  - {{when: "(0, 10%]", deduct: 0.5, reason: "{{项目}}差距在10%以内，扣{{扣分}}分"}}
  - {{when: "(10%, 20%]", deduct: 1, reason: "{{项目}}差距在10%至20%，扣{{扣分}}分"}}
  - {{when: "(20%, +inf)", deduct: 2, reason: "{{项目}}差距超过20%，共{{个数}}项，扣{{扣分}}分"}}
""", points=points)


ITEMS = """
指标:
  - {名称: 甲, 目标值: 200, 实际值: 185}
  - {名称: 乙, 目标值: 1.1, 实际值: 0.99}
  - {名称: 丙, 目标值: 10, 实际值: 8.5}
  - {名称: 丁, 目标值: 10, 实际值: 10}
  - {名称: 戊, 目标值: 10, 实际值: 12}
"""
# 甲 15/200 = 7.5%          -> (0, 10%]      0.5
# 乙 0.11/1.1 = 10% exactly -> (0, 10%]      0.5   (binary floats: 0.10000000000000007 -> 1)
# 丙 1.5/10 = 15%           -> (10%, 20%]    1
# 丁 0                      -> no band
# 戊 max(0, -20%) = 0       -> no band (over-achieved)


def test_per_item_each():
    result, leaf = run(per_item(), ITEMS)     # 0.5 + 0.5 + 1 = 2
    assert result.score == 2 and leaf.deduction == 2
    assert leaf.reasons == ["甲和乙差距在10%以内，扣1分", "丙差距在10%至20%，扣1分"]
    gaps = {r["名称"]: r["差距率"] for r in result.department.items["指标"]}
    assert gaps == {"甲": D("0.075"), "乙": D("0.1"), "丙": D("0.15"), "丁": 0, "戊": 0}
    assert [x["名称"] for x in leaf.facts_used["指标"]] == ["甲", "乙", "丙"]


def test_per_item_without_a_name_field_names_records_in_each_language():
    """Records without item_label are named by position: 第1项 in Chinese, item 1 in English
    (a Chinese ordinal used to feed the English reason: '第1项 and 第2项 not met')."""
    pol = policy(ITEM_FACTS, """
kind: per_item
items: 指标
measure: 差距率
bands:
  - {when: "(0, 10%]", deduct: 0.5, reason: "{项目}差距在10%以内，扣{扣分}分", reason_en: "{项目} short by under 10%, -{扣分}"}
""", points=4)
    _, leaf = run(pol, ITEMS)
    assert leaf.reasons == ["第1项和第2项差距在10%以内，扣1分"]
    assert leaf.reasons_en == ["item 1 and item 2 short by under 10%, -1"]


def test_per_item_worst():
    result, leaf = run(per_item("worst"), ITEMS)   # only the worst band, once: 1
    assert result.score == 3 and leaf.deduction == 1
    assert leaf.reasons == ["丙差距在10%至20%，扣1分"]


def test_per_item_worst_counts_the_band_once():
    result, leaf = run(per_item("worst"), """
    指标:
      - {名称: 甲, 目标值: 10, 实际值: 7}
      - {名称: 乙, 目标值: 10, 实际值: 1}
      - {名称: 丙, 目标值: 10, 实际值: 9.5}
    """)
    assert result.score == 2          # 4 - 2: the (20%, +inf) band once, though two items are in it
    assert leaf.reasons == ["甲和乙差距超过20%，共2项，扣2分"]


def test_per_item_edges_and_cap():
    pol = per_item()
    # 10% exactly -> 0.5; 10.1% -> 1; 20% exactly -> 1; 20.1% -> 2
    assert score(pol, "指标:\n  - {名称: a, 目标值: 10, 实际值: 9}") == D("3.5")
    assert score(pol, "指标:\n  - {名称: a, 目标值: 10, 实际值: 8.99}") == 3
    assert score(pol, "指标:\n  - {名称: a, 目标值: 10, 实际值: 8}") == 3
    assert score(pol, "指标:\n  - {名称: a, 目标值: 10, 实际值: 7.99}") == 2
    # three items over 20%: 6 > 4 points: 扣完为止
    result, leaf = run(pol, """
    指标:
      - {名称: a, 目标值: 10, 实际值: 0}
      - {名称: b, 目标值: 10, 实际值: 1}
      - {名称: c, 目标值: 10, 实际值: 2}
    """)
    assert result.score == 0 and leaf.deduction == 4
    assert leaf.reasons[0] == "a、b和c差距超过20%，共3项，扣6分"
    assert "扣完为止" in leaf.reasons[-1]


def test_per_item_no_items_and_no_shortfall_give_full_marks():
    pol = per_item()
    assert score(pol, "指标: []") == 4
    assert score(pol, "指标:\n  - {名称: a, 目标值: 3, 实际值: 3}\n  - {名称: b, 目标值: 0.5, 实际值: 9}") == 4


def test_per_item_without_label_names_items_by_position():
    result, leaf = run(per_item(label=False), ITEMS)
    assert leaf.reasons == ["第1项和第2项差距在10%以内，扣1分", "第3项差距在10%至20%，扣1分"]


def test_per_item_division_by_zero_in_a_record():
    with pytest.raises(InputError) as exc:
        run(per_item(), "指标:\n  - {名称: a, 目标值: 0, 实际值: 1}")
    assert codes(exc) == ["E405"]


# ---- checklist -----------------------------------------------------------------------------

CHECK_FACTS = """
- {key: 有甲, type: boolean, required: true}
- {key: 有乙, type: boolean, required: true}
- {key: 有丙, type: boolean, default: true}
"""
CHECKLIST = """
kind: checklist
items:
  - {fact: 有甲, label: 甲制度, label_en: rule A, deduct: 1}
  - {fact: 有乙, label: 乙制度, label_en: rule B, deduct: 0.5}
  - {fact: 有丙, label: 丙制度, deduct: 2}
reason: 未制定{缺少项}，缺{缺少个数}项，扣{扣分}分
reason_en: "missing {缺少项}: -{扣分}"
"""


@pytest.fixture(scope="module")
def checklist():
    return policy(CHECK_FACTS, CHECKLIST, points=3)


def test_checklist_complete(checklist):
    result, leaf = run(checklist, "有甲: true\n有乙: 是")
    assert result.score == 3 and leaf.reasons == []


def test_checklist_missing_items(checklist):
    result, leaf = run(checklist, "有甲: false\n有乙: 否")
    assert result.score == D("1.5")
    assert leaf.reasons == ["未制定甲制度和乙制度，缺2项，扣1.5分"]
    assert leaf.reasons_en == ["missing rule A and rule B: -1.5"]
    result, leaf = run(checklist, "有甲: true\n有乙: true\n有丙: false")
    assert result.score == 1 and leaf.reasons == ["未制定丙制度，缺1项，扣2分"]


def test_checklist_cap(checklist):
    result, leaf = run(checklist, "有甲: false\n有乙: false\n有丙: false")   # 3.5 > 3
    assert result.score == 0 and leaf.deduction == 3
    assert leaf.reasons == ["未制定甲制度、乙制度和丙制度，缺3项，扣3.5分",       # what the items deduct,
                            "甲指标各项扣分合计3.5分，超过本项分值3分，扣完为止，实扣3分"]   # and what is given


# ---- tiered --------------------------------------------------------------------------------

TIERED = """
kind: tiered
choice: 等级
tiers:
  - {value: 好, score: 5}
  - {value: 较好, score: 4, reason: "评价为{档次}，扣{扣分}分"}
  - {value: 一般, score: 2.5, reason: "评价为{档次}，扣{扣分}分"}
  - {value: 差, score: 0, reason: "评价为{档次}，不得分"}
"""
TIER_FACTS = "- {key: 等级, type: choice, options: [好, 较好, 一般, 差], required: true}"


@pytest.mark.parametrize("tier, expected, reasons", [
    ("好", "5", []),
    ("较好", "4", ["评价为较好，扣1分"]),
    ("一般", "2.5", ["评价为一般，扣2.5分"]),
    ("差", "0", ["评价为差，不得分"]),
])
def test_tiered(tier, expected, reasons):
    result, leaf = run(policy(TIER_FACTS, TIERED, points=5), f"等级: {tier}")
    assert result.score == D(expected) and leaf.reasons == reasons


def test_tiered_unknown_option_and_missing_tier():
    pol = policy(TIER_FACTS, TIERED, points=5)
    with pytest.raises(InputError) as exc:
        run(pol, "等级: 很好")
    assert codes(exc) == ["E204"]
    with pytest.raises(InputError) as exc:
        policy(TIER_FACTS, "\n".join(TIERED.strip().splitlines()[:-1]), points=5)
    assert "E307" in codes(exc)


# ---- per_unit ------------------------------------------------------------------------------

def per_unit(units="exact", direction="above", limit="1", unit="1", deduct=2, points=10, type_="number"):
    return policy(f"- {{key: 值, type: {type_}, required: true}}", f"""
    kind: per_unit
    value: 值
    limit: '{limit}'
    unit: '{unit}'
    deduct: {deduct}
    direction: {direction}
    units: {units}
    reason: 超出{{超出}}个单位，扣{{扣分}}分
    """, points=points)


@pytest.mark.parametrize("units, value, expected", [
    ("exact", "2.5", "7"),    # 1.5 units × 2 = 3
    ("ceil", "2.5", "6"),     # 2 units × 2 = 4
    ("floor", "2.5", "8"),    # 1 unit × 2 = 2
    ("exact", "1", "10"),     # at the limit: nothing
    ("exact", "0.5", "10"),   # below the limit (direction above)
    ("floor", "1.5", "10"),   # half a unit, floored: nothing
    ("ceil", "1.000001", "8"),  # any excess, ceiled: a whole unit
    ("exact", "7", "0"),      # 6 × 2 = 12 > 10: capped
])
def test_per_unit_above(units, value, expected):
    assert score(per_unit(units), f"值: {value}") == D(expected)


def test_per_unit_reason_and_cap():
    result, leaf = run(per_unit(), "值: 2.5")
    assert leaf.reasons == ["超出1.5个单位，扣3分"]
    result, leaf = run(per_unit(), "值: 7")
    assert leaf.deduction == 10 and "扣完为止" in leaf.reasons[-1]


@pytest.mark.parametrize("value, expected", [
    ("85%", "2.5"),    # (90% - 85%) / 1% = 5 units × 0.5 = 2.5
    ("90%", "5"),      # at the limit
    ("95%", "5"),      # above the limit (direction below)
    ("89.5%", "4.75"),  # 0.5 unit × 0.5
    ("0", "0"),        # 90 units: capped at 5
])
def test_per_unit_below_percent(value, expected):
    pol = per_unit(direction="below", limit="90%", unit="1%", deduct=0.5, points=5, type_="percent")
    assert score(pol, f"值: {value}") == D(expected)


def test_per_unit_below_zero_and_negative():
    pol = per_unit(direction="below", limit="0", unit="1", deduct=1)
    assert score(pol, "值: 0") == 10
    assert score(pol, "值: -2") == 8


def test_per_unit_count_default_zero():
    pol = policy("- {key: 违规数, type: count, default: 0}", """
    kind: per_unit
    value: 违规数
    limit: 0
    unit: 1
    deduct: 3
    reason: 发现{违规数}项违规，扣{扣分}分
    """, points=9)
    assert score(pol, "{}") == 9
    result, leaf = run(pol, "违规数: 2")
    assert result.score == 3 and leaf.reasons == ["发现2项违规，扣6分"]
    result, leaf = run(pol, "违规数: 4")            # 12 > 9
    assert result.score == 0 and "扣完为止" in leaf.reasons[-1]
    with pytest.raises(InputError) as exc:
        run(pol, "违规数: 1.5")
    assert codes(exc) == ["E402"]


def test_per_unit_fractional_deduction_rounds_the_score_half_up():
    # 0.125 units × 1 = 0.125; the score 10 - 0.125 = 9.875 is kept to two places half-up: 9.88
    pol = per_unit(limit="1", unit="0.1", deduct=1)
    result, leaf = run(pol, "值: 1.0125")
    assert result.score == D("9.88") and leaf.deduction == D("0.12")


# ---- manual --------------------------------------------------------------------------------

MANUAL = """
kind: manual
score: 评分
note: 说明
tiers:
  - {label: 好, when: "[90%, +inf)"}
  - {label: 中, when: "[60%, 90%)"}
  - {label: 差, when: "[0, 60%)"}
reason: "{说明}（{档次}），得{得分}分"
"""
MANUAL_FACTS = """
- {key: 评分, type: number, required: true}
- {key: 说明, type: text, required: true}
"""


@pytest.mark.parametrize("given, expected, tier", [
    ("9", "9", "好"),          # 9 / 10 = 90%: the closed lower edge of 好
    ("8.999", "9", "中"),      # the tier reads the given score; the score rounds to 9.00
    ("6", "6", "中"),
    ("5.996", "6", "差"),
    ("0", "0", "差"),
])
def test_manual_tiers(given, expected, tier):
    result, leaf = run(policy(MANUAL_FACTS, MANUAL), f"评分: {given}\n说明: 专家评定")
    assert result.score == D(expected)
    assert leaf.reasons == [f"专家评定（{tier}），得{expr.fmt(D(expected))}分"]


def test_manual_full_marks():
    result, leaf = run(policy(MANUAL_FACTS, MANUAL), "评分: 10\n说明: 满分")
    assert result.score == 10 and leaf.reasons == []


def test_manual_tiers_must_cover_from_zero():
    bad = MANUAL.replace('"[0, 60%)"', '"[10%, 60%)"')
    with pytest.raises(InputError) as exc:
        policy(MANUAL_FACTS, bad)
    assert "E307" in codes(exc)


# ---- several indicators, sessions ----------------------------------------------------------

MIXED = """\
id: test/mixed
title: 综合
year: 2023
version: "1"
full_score: 20
grades:
  - {grade: 优, min: 18}
  - {grade: 良, min: 15}
  - {grade: 差, min: 0}
facts:
  - {key: 率, type: percent, required: true}
  - {key: 有, type: boolean, required: true}
  - {key: 数, type: count, default: 0}
indicators:
  - id: X
    name: 一级
    points: 20
    children:
      - id: X-1
        name: 比例
        points: 10
        method: {kind: proportional, rate: 率, reason: "扣{扣分}分"}
      - id: X-2
        name: 清单
        points: 5
        method:
          kind: checklist
          items: [{fact: 有, label: 制度, deduct: 2}]
          reason: 缺{缺少项}
      - id: X-3
        name: 单位
        points: 5
        method: {kind: per_unit, value: 数, limit: 0, unit: 1, deduct: 1, reason: "扣{扣分}分"}
"""


def test_no_deduction_anywhere_full_marks_and_sessions_are_isolated():
    pol = load_policy_text(MIXED)
    compiled = compile_policy(pol)

    def ev(facts):
        return evaluate_department(compiled.policy, read_department(load_text("department: 部门\nfacts:\n" + _block(facts, 2)), pol))

    clean = ev("率: 100%\n有: true")
    assert clean.score == 20 and clean.deductions == [] and clean.grade() == "优"
    bad = ev("率: 80%\n有: false\n数: 3")      # 10 - 2 (8.00), 5 - 2, 5 - 3
    assert bad.score == 8 + 3 + 2 and bad.grade() == "差"
    assert [d.indicator.id for d in bad.deductions] == ["X-1", "X-2", "X-3"]
    again = ev("率: 100%\n有: true")           # a fresh session: nothing left over
    assert again.score == 20 and again.deductions == []
    assert ev("率: 90%\n有: true").grade("en") == "优"   # 19: no grade_en, falls back to the name
    top = bad.indicators[0]
    assert top.score == 13 and top.deduction == 7


@pytest.mark.parametrize("rate, grade", [
    ("80%", "优"),       # X-1 8.00, total 18.00: exactly the 优 minimum
    ("79.95%", "优"),    # 7.995 -> 8.00 (half-up): 18.00
    ("79.94%", "良"),    # 7.994 -> 7.99: 17.99
    ("50%", "良"),       # 15.00: exactly the 良 minimum
    ("49.9%", "差"),     # 14.99
])
def test_grade_edges(rate, grade):
    pol = load_policy_text(MIXED)
    res = evaluate_department(pol, read_department(load_text(f"department: 部门\nfacts:\n  率: {rate}\n  有: true"), pol))
    assert res.grade() == grade


# ---- derived facts -------------------------------------------------------------------------

def test_derived_facts_in_dependency_order_round_and_if():
    pol = policy("""
    - {key: 三, type: number, formula: "round(二 * 10, 2)"}
    - {key: 二, type: number, formula: 一 / 3}
    - {key: 一, type: number, required: true}
    - {key: 方向, type: choice, options: [正向, 反向], default: 正向}
    - {key: 符号, type: number, formula: "1 if 方向 == '正向' else -1"}
    - {key: 半, type: number, formula: "round(一, 2)"}
    """, "kind: deductions\nrules:\n  - {when: '三 > 10', deduct: 1, reason: r}")
    result, _ = run(pol, "一: 1")
    v = result.department.values
    assert v["二"] == D(1) / 3               # exact to decimal's 28 digits, not rounded to six places
    assert v["三"] == D("3.33")              # round(3.33333, 2)
    assert v["符号"] == 1
    result, _ = run(pol, "一: 2.675\n方向: 反向")
    assert result.department.values["半"] == D("2.68")   # round() is half-up on exact decimals
    assert result.department.values["符号"] == -1


def test_derived_fact_cycle_and_given_derived_fact_are_refused():
    with pytest.raises(InputError) as exc:
        policy("""
        - {key: a, type: number, formula: b + 1}
        - {key: b, type: number, formula: a + 1}
        """, "kind: deductions\nrules:\n  - {when: 'a > 1', deduct: 1, reason: r}")
    assert "E314" in codes(exc)
    pol = policy(PROPORTIONAL_FACTS, PROPORTIONAL)
    with pytest.raises(InputError) as exc:
        run(pol, "预算数: 100\n支出数: 90\n支出率: 90%")
    assert codes(exc) == ["E403"]


# ---- the expression whitelist --------------------------------------------------------------

TYPES = {"a": "number", "b": "number", "ok": "boolean", "name": "text"}


@pytest.mark.parametrize("text", [
    "a.__class__",
    "a.real",
    "name.upper()",
    "eval('1')",
    "__import__('os')",
    "open('x')",
    "pow(a, 2)",
    "len(name)",
    "(lambda: 1)()",
    "lambda x: x",
    "[x for x in (a, b)]",
    "{x for x in (a, b)}",
    "{x: 1 for x in (a, b)}",
    "sum(x for x in (a, b))",
    "a ** 2",
    "a // b",
    "a % b",
    "a << 1",
    "a | b",
    "a & b",
    "~a",
    "[a, b]",
    "(a, b)",
    "{'k': a}",
    "a[0]",
    "f'{a}'",
    "(c := 1)",
    "round(a, ndigits=2)",
    "max(*[a, b])",
    "a in (1, 2)",
    "a is b",
    "b'x' == b'x'",
    "None",
    "...",
    "min()",
    "abs(a, b)",
    "round(a, b)",
])
def test_parse_rejects_outside_whitelist(text):
    with pytest.raises(expr.ExprError) as exc:
        expr.parse(text, TYPES)
    assert exc.value.code in ("E308", "E309")


@pytest.mark.parametrize("text, code", [
    ("__builtins__", "E304"),
    ("c + 1", "E304"),
    ("a + name", "E311"),
    ("ok < ok", "E311"),
    ("name > 'x'", "E311"),
    ("1 if ok else 'x'", "E311"),
    ("a +", "E308"),
    ("a = 1", "E308"),
    ("a; b", "E308"),
    ("import os", "E308"),
    ("+".join(["a"] * 1100), "E309"),    # over 2000 characters
])
def test_parse_errors_have_codes(text, code):
    with pytest.raises(expr.ExprError) as exc:
        expr.parse(text, TYPES)
    assert exc.value.code == code


@pytest.mark.parametrize("text, kind, value", [
    ("min(a, b)", "number", D(2)),
    ("max(a, b) - abs(-a)", "number", D(1)),
    ("round(a / b, 2)", "number", D("0.67")),
    ("a / b", "number", D(2) / D(3)),
    ("a × b ÷ 4", "number", D("1.5")),      # the symbols a Chinese keyboard types
    ("（a＋b）", "number", D(5)),            # full-width brackets and plus
    ("a * 50%", "number", D(1)),
    ("a ≥ b or not ok", "boolean", False),
    ("a < b < 4", "boolean", True),
    ("name == '测试'", "boolean", True),
    ("a if ok else b", "number", D(2)),
    ("-a + +b", "number", D(1)),
])
def test_parse_accepts_the_whitelist(text, kind, value):
    formula, got = expr.parse(text, TYPES)
    assert got == kind
    assert expr.compute(formula, {"a": D(2), "b": D(3), "ok": True, "name": "测试"}) == value


def test_evaluate_division_by_zero():
    formula, _ = expr.parse("a / b", TYPES)
    with pytest.raises(expr.EvalError):
        expr.compute(formula, {"a": D(1), "b": D(0)})


def test_evaluate_uses_exact_decimals():
    formula, _ = expr.parse("0.1 + 0.2 == 0.3", TYPES)
    assert expr.compute(formula, {}) is True
    formula, _ = expr.parse("round(2.675, 2)", TYPES)
    assert expr.compute(formula, {}) == D("2.68")


def test_condition_refuses_arithmetic():
    with pytest.raises(expr.ExprError) as exc:
        expr.condition("a - b > 0", TYPES)
    assert exc.value.code == "E309"
    with pytest.raises(expr.ExprError) as exc:
        expr.condition("a", TYPES)
    assert exc.value.code == "E311"
    assert expr.condition("a > -1", TYPES).names == ("a",)


def test_round_half_up_helper():
    assert expr.round2(D("0.1173")) == D("0.12")
    assert expr.round2(D("0.125")) == D("0.13")
    assert expr.round2(D("2.675")) == D("2.68")
    assert expr.round2(D("9.884999")) == D("9.88")
    assert expr.round2(D("-0.125")) == D("-0.13")   # half away from zero


# ---- intervals -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, lo, lo_c, hi, hi_c", [
    ("(0, 10%]", "0", False, "0.1", True),
    ("[10%, 20%)", "0.1", True, "0.2", False),
    ("(20%, +inf)", "0.2", False, None, False),
    ("[90%, ∞)", "0.9", True, None, False),
    ("(-inf, 0]", None, False, "0", True),
    ("（0，10%］", "0", False, "0.1", True),     # full-width punctuation
    ("< 60%", None, False, "0.6", False),
    ("<= 0.6", None, False, "0.6", True),
    ("≥ 90%", "0.9", True, None, False),
    ("> 3", "3", False, None, False),
    ("= 0", "0", True, "0", True),
    ("[5, 5]", "5", True, "5", True),
])
def test_interval_parse(text, lo, lo_c, hi, hi_c):
    iv = expr.interval(text)
    assert (iv.lo, iv.lo_closed, iv.hi, iv.hi_closed) == (None if lo is None else D(lo), lo_c,
                                                          None if hi is None else D(hi), hi_c)


@pytest.mark.parametrize("text", ["(10%, 5%]", "(10%, 10%)", "[10%, 10%)", "abc", "(+inf, 1)", "(1, -inf)",
                                  "(1, 2, 3)", "[a, 1]", "", "<"])
def test_interval_malformed(text):
    with pytest.raises(ValueError):
        expr.interval(text)


def test_interval_contains_edges():
    a, b = expr.interval("(0, 10%]"), expr.interval("(10%, 20%]")
    assert not a.contains(D(0)) and a.contains(D("0.000001")) and a.contains(D("0.1"))
    assert not b.contains(D("0.1")) and b.contains(D("0.100001")) and b.contains(D("0.2"))
    assert not b.contains(D("0.200001"))


@pytest.mark.parametrize("a, b, expected", [
    ("(0, 10%]", "(10%, 20%]", False),     # share an edge that only one includes
    ("(0, 10%]", "[10%, 20%]", True),      # both include 10%
    ("(0, 10%)", "(10%, 20%]", False),     # neither includes 10%
    ("< 60%", ">= 60%", False),
    ("<= 60%", ">= 60%", True),
    ("(-inf, +inf)", "= 5", True),
    ("[0, 1]", "(2, 3)", False),
    ("(0, 5)", "(1, 2)", True),            # one inside the other
    ("= 0", "(0, 1]", False),
    ("= 0", "[0, 1]", True),
])
def test_overlaps(a, b, expected):
    ia, ib = expr.interval(a), expr.interval(b)
    assert expr.overlaps(ia, ib) is expected
    assert expr.overlaps(ib, ia) is expected


@pytest.mark.parametrize("bands, lo, expected", [
    (["(0, 10%]", "(10%, 20%]"], None, ["(-inf, 0]", "(0.2, +inf)"]),
    (["<= 0", "(0, 10%]", "(10%, 20%]", "(20%, +inf)"], None, []),
    (["[0, 10%)", "(10%, 20%]", "> 20%"], None, ["(-inf, 0)", "[0.1, 0.1]"]),
    (["[0, 10%)", "(10%, 20%]", "> 20%"], D(0), ["[0.1, 0.1]"]),
    (["(20%, +inf)", "[0, 20%]"], D(0), []),               # order does not matter
    (["[90%, +inf)", "[60%, 90%)", "[10%, 60%)"], D(0), ["[0, 0.1)"]),
    (["< 60%", "> 60%"], None, ["[0.6, 0.6]"]),
    (["[0, 1]"], D(0), ["(1, +inf)"]),
])
def test_gaps(bands, lo, expected):
    assert expr.gaps([expr.interval(b) for b in bands], lo) == expected


def test_interval_to_durable_is_exact_order_preserving_text():
    from perfrules.matcher.durable_encoding import interval
    from perfrules.matcher.order import encode
    assert interval(expr.interval("(10%, 20%]"), "v") == [{"$gt": {"v": encode(D("0.1"))}}, {"$lte": {"v": encode(D("0.2"))}}]
    assert interval(expr.interval("= 0"), "v") == [{"v": "1"}]
    assert interval(expr.interval("< -0.5"), "v") == [{"$lt": {"v": encode(D("-0.5"))}}]
    edge = interval(expr.interval("[89.99999999999999999999999999999%, 90%)"), "v")     # 31 digits, kept
    assert edge[0]["$gte"]["v"] == encode(D("0.8999999999999999999999999999999")) < edge[1]["$lt"]["v"]


# ---- issue 8: constants of any length are exact at the edge, in both matchers ---------------

def test_a_20_digit_constant_at_the_edge_is_exact_in_both_matchers():
    from perfrules.matcher.reference import ReferenceMatcher
    from perfrules.service import default
    pol = policy("- {key: 数, type: number, required: true}",
                 'kind: deductions\nrules:\n  - {when: "数 >= 99999999999.9999989", deduct: 1, reason: "扣{扣分}分"}\n'
                 '  - {when: "数 < 0.10000000000000000001", deduct: 2, reason: "扣{扣分}分"}', points=5)
    svc = default()
    for value, expected in [("99999999999.999999", "4"), ("99999999999.999998", "5"), ("0.1", "3"), ("0.100001", "5")]:
        dept = read_department(load_text(f"department: 测试部门\nfacts:\n  数: {value}\n", "<facts>"), pol)
        durable = svc.matcher.fired(svc.prepared(pol), dept)
        assert durable == ReferenceMatcher().fired(pol, dept), value
        assert evaluate_department(pol, dept).score == D(expected), value


# ---- issue 8: keys are told apart the way formulas tell names apart ------------------------

def test_formula_name_is_the_name_a_formula_sees():
    assert expr.formula_name("Ａ率") == expr.formula_name("A率") == "A率"
    assert expr.formula_name("支出率２") == "支出率2" and expr.formula_name("支出率") == "支出率"
    pol = policy("- {key: A率, type: percent, required: true}",
                 'kind: deductions\nrules:\n  - {when: "Ａ率 < 90%", deduct: 1, reason: "扣{扣分}分"}')
    assert score(pol, "A率: 80%") == D(9)             # a full-width name in a formula finds A率


def test_two_fact_keys_a_formula_cannot_tell_apart_are_refused():
    with pytest.raises(InputError) as exc:
        policy("- {key: A率, type: percent, required: true}\n- {key: Ａ率, type: percent, required: true}",
               'kind: deductions\nrules:\n  - {when: "A率 < 90%", deduct: 1, reason: "扣{扣分}分"}')
    (p,) = exc.value.problems
    assert (p.code, p.path) == ("E305", "$.facts[1].key") and "A率" in p.message


def test_a_fact_key_written_full_width_finds_its_fact():
    pol = policy("- {key: A率, type: percent, required: true}",
                 'kind: deductions\nrules:\n  - {when: "A率 < 90%", deduct: 1, reason: "扣{扣分}分"}')
    assert score(pol, "Ａ率: 80%") == D(9)            # as a CSV column Ａ率 and a formula's Ａ率 already do


def test_a_fact_written_in_both_spellings_is_refused_at_the_second():
    pol = policy("- {key: A率, type: percent, required: true}",
                 'kind: deductions\nrules:\n  - {when: "A率 < 90%", deduct: 1, reason: "扣{扣分}分"}')
    with pytest.raises(InputError) as exc:
        run(pol, "A率: 80%\nＡ率: 85%")
    assert [p.code for p in exc.value.problems] == ["E104"] and exc.value.problems[0].line == 5
