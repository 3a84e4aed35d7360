"""Reasons that agree with the decision (issue 9): a value never shown across the edge it was
decided against, intervals in prose, and a capped deduction that says what was due and what
was given. Expected sentences are written by hand."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfrules import expr, template
from test_methods import per_unit, policy, run

D = Decimal


@pytest.mark.parametrize("text, zh, en", [
    ("[80%, 90%)", "80%（含）至90%（不含）", "80% (inclusive) to 90% (exclusive)"),
    ("(10%, 20%]", "10%（不含）至20%（含）", "10% (exclusive) to 20% (inclusive)"),
    ("[0, 1]", "0（含）至1（含）", "0 to 1 (both inclusive)"),
    ("(0, 1)", "0（不含）至1（不含）", "0 to 1 (both exclusive)"),
    ("[90%, +inf)", "90%及以上", "90% or more"),
    (">= 0.9", "0.9及以上", "0.9 or more"),
    ("> 20%", "高于20%", "above 20%"),
    ("< 60%", "低于60%", "below 60%"),
    ("(-inf, 60%]", "60%及以下", "60% or less"),
    ("= 0", "等于0", "exactly 0"),
    ("[5, 5]", "等于5", "exactly 5"),
    ("（10%，20%］", "10%（不含）至20%（含）", "10% (exclusive) to 20% (inclusive)"),
    ("(-inf, +inf)", "任意值", "any value"),
])
def test_an_interval_reads_as_prose(text, zh, en):
    iv = expr.interval(text)
    assert expr.prose(iv) == zh and expr.prose(iv, "en") == en


@pytest.mark.parametrize("value, spec, edges, shown", [
    (D("0.8999999"), "%", (), "90.00%"),                       # no edge: two places as asked
    (D("0.8999999"), "%", (D("0.9"),), "89.99999%"),           # below the 90% edge it was decided against
    (D("0.9000001"), "%", (D("0.9"),), "90.00001%"),           # above it
    (D("0.9"), "%", (D("0.9"),), "90.00%"),                    # on it
    (D("0.89999999999999999999"), ".1%", (D("0.9"),), "89.999999999999999999%"),
    (D("0.8999999"), "%", (D("0.8999999"),), "89.99999%"),     # on an edge finer than the places asked
    (D("2.9999999"), ".2f", (D(3),), "2.9999999"),
    (D("0.0000001"), "", (D(0),), "0.0000001"),                # never 0 beside a 0 edge
    (D("0.1234567"), "", (), "0.123457"),
])
def test_a_number_is_never_shown_across_its_edge(value, spec, edges, shown):
    assert template.show(value, spec, "zh", edges) == shown


@settings(max_examples=2000, deadline=None)
@given(v=st.decimals(min_value=-10**12, max_value=10**12, places=None, allow_nan=False, allow_infinity=False),
       places=st.integers(0, 12),
       edges=st.lists(st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False), max_size=3))
def test_rounded_is_half_up_and_keeps_every_side(v, places, edges):
    """template.rounded: half-up to `places` where that keeps the value on its side of (or on)
    each edge; otherwise as few more places as that takes, and never fewer digits than given."""
    got = template.rounded(v, places, edges)
    with localcontext() as ctx:
        ctx.prec = 200
        assert all((got > e) - (got < e) == (v > e) - (v < e) for e in edges)
        wanted = places
        while True:           # the fewest places from `places` on that keep every side
            shown = v.quantize(D(1).scaleb(-wanted), rounding=ROUND_HALF_UP)
            if -v.as_tuple().exponent <= wanted or all((shown > e) - (shown < e) == (v > e) - (v < e) for e in edges):
                break
            wanted += 1
        assert got == shown and got.as_tuple().exponent == shown.as_tuple().exponent


@settings(max_examples=2000, deadline=None)
@given(v=st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [D("0"), D("-0"), D("0.0"), D("-0.00"), D("1.50"), D("100"), D("1E+2"), D("0.0000001"), D("5.0"),
     D("12345678901234567890123456.7"), D("1234567890123456789012345678.9"), D("0.12345678901234567890123456789")]))
def test_fmt_drops_trailing_zeros_and_never_writes_an_exponent(v):
    """expr.fmt returns str(v) where that already is its text: the same as the integral value,
    or the value normalised (to the context's 28 digits), written without an exponent."""
    wanted = format(v.to_integral_value(), "f") if v == v.to_integral_value() else format(v.normalize(), "f")
    assert expr.fmt(v) == wanted


BANDS = """
kind: bands
value: 率
bands:
  - {when: "[90%, +inf)", score: 5}
  - {when: "[80%, 90%)", score: 4, reason: "率{率:%}，在{区间}档，得{得分}分"}
  - {when: "< 80%", score: 0, reason: "率{率:%}，{区间}，不得分"}
"""


def test_a_band_reason_agrees_with_the_band():
    """Issue 9: 8,999,999 ÷ 10,000,000 read 90.00% in the [80%, 90%) band."""
    pol = policy("- {key: 数, type: number, required: true}\n- {key: 率, type: percent, formula: 数 / 10000000}", BANDS, points=5)
    result, leaf = run(pol, "数: 8999999")
    assert result.score == 4
    assert leaf.reasons == ["率89.99999%，在80%（含）至90%（不含）档，得4分"]
    assert leaf.reasons_en == ["率89.99999%，在80%（含）至90%（不含）档，得4分"]      # no reason_en: the Chinese sentence
    result, leaf = run(pol, "数: 7999999.9")
    assert leaf.reasons == ["率79.999999%，低于80%，不得分"]
    result, leaf = run(pol, "数: 8500000")
    assert leaf.reasons == ["率85.00%，在80%（含）至90%（不含）档，得4分"]     # away from an edge: as asked


def test_a_condition_reason_agrees_with_the_condition():
    pol = policy("- {key: 率, type: percent, required: true}", """
    kind: deductions
    rules:
      - {when: "率 < 90%", deduct: 1, reason: "率{率:%}，低于90%，扣{扣分}分"}
    """, points=5)
    _, leaf = run(pol, "率: 89.99999%")
    assert leaf.reasons == ["率89.99999%，低于90%，扣1分"]


def test_a_proportional_reason_never_reads_100_percent_below_full_marks():
    pol = policy("- {key: 率, type: percent, required: true}", """
    kind: proportional
    rate: 率
    reason: 执行率{率:%}，扣{扣分}分
    """, points=1000)
    _, leaf = run(pol, "率: 99.999%")            # 1000 × 0.99999 = 999.99: 0.01 lost
    assert leaf.reasons == ["执行率99.999%，扣0.01分"]


def test_a_capped_deduction_states_what_was_due_and_what_was_given():
    """Issue 9: '按15个百分点扣5分；…扣完为止' where 15 × 0.5 = 7.5."""
    pol = policy("- {key: 率, type: percent, required: true}", """
    kind: per_unit
    value: 率
    limit: 0
    unit: 1%
    deduct: 0.5
    reason: 超支{率:%}，按{超出}个百分点计扣{扣分}分
    reason_en: "{率:%} over: {超出} points, -{扣分}"
    """, points=5)
    result, leaf = run(pol, "率: 15%")
    assert result.score == 0 and leaf.deduction == 5
    assert leaf.reasons == ["超支15.00%，按15个百分点计扣7.5分", "甲指标各项扣分合计7.5分，超过本项分值5分，扣完为止，实扣5分"]
    assert leaf.reasons_en[-1] == "Indicator A: deductions add up to 7.5, more than its 5 points; capped, 5 deducted"


def test_units_counted_are_never_shown_as_zero():
    result, leaf = run(per_unit(deduct=10, points=10), "值: 1.0006")      # 0.0006 units × 10 = 0.006: 9.994 -> 9.99
    assert leaf.deduction == D("0.01") and leaf.reasons == ["超出0.0006个单位，扣0.01分"]


# ---- proportional above full_at: the policy chooses, the report states it --------------------

ABOVE = """
kind: proportional
rate: 执行率
reason: 执行率{执行率:%}，扣{扣分}分
"""
DEVIATION = ABOVE + """above:
  unit: 1%
  deduct: 0.5
  from: 110%
  reason: 执行率{执行率:%}，超过110%，偏离{超出}个百分点，扣{扣分}分
  reason_en: "rate {执行率:%}, {超出} point(s) beyond 110%, -{扣分}"
"""
RATE = "- {key: 执行率, type: percent, required: true}"


@pytest.mark.parametrize("value, note", [
    ("102.59%", "执行率102.59%，按100%计"),
    ("100.0000001%", "执行率100.0000001%，按100%计"),     # never "100.00%，按100%计"
])
def test_above_full_at_is_capped_by_default_and_says_so(value, note):
    for method in (ABOVE, ABOVE + "above: cap\n"):
        result, leaf = run(policy(RATE, method), f"执行率: {value}")
        assert result.score == 10 and leaf.reasons == [] and leaf.note_texts("zh") == [note]
    _, leaf = run(policy(RATE, ABOVE), "执行率: 100%")          # at full_at: nothing to state
    assert leaf.note_texts("zh") == []


@pytest.mark.parametrize("value, score, reasons", [
    ("105%", "10", []),                                       # above full_at, not beyond from: counted as 100%
    ("110%", "10", []),
    ("115%", "7.5", ["执行率115.00%，超过110%，偏离5个百分点，扣2.5分"]),
    ("150%", "0", ["执行率150.00%，超过110%，偏离40个百分点，扣20分",
                   "甲指标各项扣分合计20分，超过本项分值10分，扣完为止，实扣10分"]),
])
def test_above_with_a_deviation_penalty(value, score, reasons):
    result, leaf = run(policy(RATE, DEVIATION), f"执行率: {value}")
    assert result.score == D(score) and leaf.reasons == reasons
    assert leaf.note_texts("zh") == [f"执行率{value[:-1]}.00%，按100%计"]


@pytest.mark.parametrize("change, code", [
    (("from: 110%", "from: 90%"), "E204"),          # a penalty cannot start below full_at
    (("unit: 1%", "unit: 0"), "E204"),
    (("deduct: 0.5", "deduct: 11"), "E303"),        # more than the indicator's points per unit
    (("deduct: 0.5", "deduct: 0.5\n  units: round"), "E204"),
    (("deduct: 0.5", "deduct: 0.5\n  color: red"), "E203"),
    (("  reason: 执行率", "  note: 执行率"), "E203"),
])
def test_a_deviation_penalty_is_validated(change, code):
    from perfrules.problems import InputError
    with pytest.raises(InputError) as exc:
        policy(RATE, DEVIATION.replace(*change))
    assert code in [p.code for p in exc.value.problems]
