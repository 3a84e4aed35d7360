"""validate and evaluate agree: no policy that validate accepts can make scoring fail (exit 3)
on a fact file that the fact reader accepts.

Policies come from the property tests' generator (all eight methods, formulas, conditions,
lists); fact files start as valid ones for that policy and then have values replaced by
anything a clerk might type (text, numbers of every size and sign, percents, units, empty,
lists, mappings). Each fact file is either refused with located problems, or scored by both
matchers alike and rendered in every format and language.
"""
from __future__ import annotations

from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import dump
from perfrules import service
from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.matcher.reference import ReferenceMatcher
from perfrules.problems import InputError
from perfrules.report import to_bytes
from perfrules.score import score
from perfrules.validate import policy_from_document
from test_properties import generated_case

JUNK = st.one_of(
    st.text(max_size=12), st.integers(-10**15, 10**15), st.decimals(allow_nan=False, allow_infinity=False, places=8),
    st.sampled_from(["", "是", "否", "98.83%", "1.5", "150%", "690.47万元", "6,904,700元", "1亿元", "-0", "0", "1e5",
                     "１２３", "N", "yes", "十", None, True, False]),
    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@st.composite
def mutated_case(draw):
    policy, [(raw, _, _)] = draw(generated_case())
    raw = dict(raw)
    keys = sorted(raw)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)) if keys else []:
        value = raw[key]
        if isinstance(value, list) and value and isinstance(value[0], dict) and draw(st.booleans()):
            rec = dict(value[0])
            field = draw(st.sampled_from(sorted(rec)))
            rec[field] = draw(JUNK)
            raw[key] = [rec] + value[1:]
        else:
            raw[key] = draw(JUNK)
    return policy, raw


@settings(max_examples=300)
@given(case=mutated_case())
def test_a_fact_file_the_reader_accepts_is_always_scored(case):
    policy_data, raw = case
    policy = policy_from_document(load_text(dump(policy_data), "<policy>"))
    try:        # a value such as 08 may already be refused when the file is read (E108)
        dept = read_department(load_text(dump({"department": "测试部门", "facts": raw}), "<facts>"), policy)
    except InputError as exc:
        assert exc.problems and all(p.code.startswith("E") and p.file for p in exc.problems)
        event(f"refused {exc.problems[0].code}")
        return
    event("scored")
    result = service.evaluate_department(policy, dept)      # must not raise: no exit 3
    assert Decimal(0) <= result.score <= policy.full_score
    again = score(policy, dept, ReferenceMatcher().fired(policy, dept))
    assert again.score == result.score
    for fmt in ("text", "json", "markdown"):
        for lang in ("zh", "en"):
            assert to_bytes("result", fmt, [result], lang)
