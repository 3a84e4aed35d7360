"""facts.read_department's fast reading of plain values (values.fast_coercer, through
read_plan) gives exactly what the general coercers give: the same values, written the same
way (Decimal('0.985'), not Decimal('0.98500')), and the same located problems, on the
benchmark's generated departments, on generated policies with values replaced by anything a
clerk might type, and value by value over numbers, percents, units and odd spellings."""
from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, dump
from perfrules import read_plan, service, values
from perfrules.facts import read_department
from perfrules.load import Document, load_text
from perfrules.model import FactDecl
from perfrules.problems import InputError
from perfrules.validate import policy_from_document
from test_agreement import mutated_case

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402


def _typed(x):
    """A value with its type and spelling (Decimal('1.0') == Decimal('1') must not hide a change)."""
    if isinstance(x, dict):
        return [(k, _typed(v)) for k, v in x.items()]
    if isinstance(x, (list, tuple)):
        return [_typed(v) for v in x]
    if isinstance(x, Decimal):
        return ("Decimal", x.as_tuple())
    return (type(x).__name__, repr(x))


def _outcome(read):
    """Everything a read gives: the department's facts as read and noted, or its problems."""
    try:
        dept = read()
    except InputError as exc:
        return [(p.code, p.file, p.line, p.col, p.path, p.message, p.message_en, p.hint, p.hint_en) for p in exc.problems]
    return _typed([dept.values, dept.items, dept.written, dept.warnings, dept.name, dept.code, dept.year])


def _both(read, monkeypatch):
    """(fast, general): the general path is every fact read by values.coercer."""
    fast = _outcome(read)
    with monkeypatch.context() as m:
        m.setattr(read_plan, "fast_coercer", values.coercer)
        read_plan.plan.cache_clear()
        general = _outcome(read)
    read_plan.plan.cache_clear()
    return fast, general


def test_benchmark_departments_read_alike(monkeypatch):
    policy = service.policy(generate.POLICY)
    for i, line in enumerate(generate.lines(300, 7)):
        data = json.loads(line, parse_float=Decimal)
        fast, general = _both(lambda: read_department(Document(f"<line {i}>", data, None), policy), monkeypatch)
        assert fast == general


@settings(max_examples=150, deadline=None)
@given(case=mutated_case())
def test_generated_policies_and_junk_read_alike(case):
    policy_data, raw = case
    policy = policy_from_document(load_text(dump(policy_data), "<policy>"))
    try:
        doc_text = dump({"department": "测试部门", "facts": raw})
        load_text(doc_text, "<facts>")
    except InputError:
        return          # refused before any fact is read
    with pytest.MonkeyPatch.context() as mp:
        fast, general = _both(lambda: read_department(load_text(doc_text, "<facts>"), policy), mp)
    assert fast == general


# ---- value by value ----------------------------------------------------------------------

_NUMBER_TEXT = st.builds(
    lambda sign, whole, frac, unit, pad: f"{pad}{sign}{whole}{frac}{unit}{pad}",
    st.sampled_from(["", "+", "-"]), st.sampled_from(["0", "1", "5", "98", "100", "0100", "123456789012", "9" * 30, "１２", "٣"]),
    st.sampled_from(["", ".5", ".83", ".000", ".", "." + "7" * 30]),
    st.sampled_from(["", "%", "万元", "元", "千元", "亿元", "人次", "％", "万 元", "%%"]), st.sampled_from(["", " "]))
RAWS = st.one_of(
    _NUMBER_TEXT, st.integers(-10**13, 10**13), st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([True, False, None, 1.5, float("inf"), "", "1,000", "6,904,700元", "1e5", "abc", [], {}]))
DECLS = [FactDecl("x", t, min=lo, max=hi, unit=unit)
         for t in ("number", "percent", "money", "count")
         for lo, hi in ((None, None), (Decimal(0), None), (Decimal("0.5"), Decimal(100)))
         for unit in ((["万元", "元", "亿元"] if t == "money" else [""]))]


@settings(max_examples=3000, deadline=None)
@given(decl=st.sampled_from(DECLS), raw=RAWS)
def test_fast_coercer_reads_as_the_general_one(decl, raw):
    fast = values.fast_coercer(decl)(decl, raw)
    general = values.coerce(decl, raw)
    assert _typed(fast) == _typed(general)


@given(raw=st.one_of(_NUMBER_TEXT, st.text(max_size=6)))
def test_form_is_the_same_cached(raw):
    assert values._cached_suffix(raw) == values._text_suffix(raw)
    assert values._cached_form(raw) == values._text_form(raw)
