"""batch.rows writes a JSON Lines row from fragments; to_dict is the row's one definition.
Both must give the same bytes for every department, policy and language."""
from __future__ import annotations

import importlib.util
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, ROOT
from test_properties import SHIPPED, _pid, compile_dict, department, drawn_department, generated_case

from perfrules import service
from perfrules.batch import rows
from perfrules.batch.writers import jsonl_line
from perfrules.facts import read_department
from perfrules.load import load_file, load_text
from perfrules.problems import InputError
from perfrules.report.json import to_dict

LANGS = ("zh", "en")


def check(source: str, result) -> None:
    for lang in LANGS:
        fast = rows.jsonl_row(source, result, lang)
        assert fast == jsonl_line(source, to_dict(result, lang)), lang
        assert json.loads(fast)["source"] == source


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_departments_give_the_same_rows():
    policy = service.policy("guangzhou/panyu/2023")
    for i, record in enumerate(_generator().departments(400, seed=11)):
        doc = load_text(json.dumps(record, ensure_ascii=False), f"<dept {i}>")
        check(f"depts.jsonl:{i + 1}", service.evaluate_department(policy, read_department(doc, policy)))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_fact_files_give_the_same_rows(example):
    doc = load_file(example)
    try:
        policy = service.policy_for(doc, None)
    except InputError:
        pytest.skip("names no shipped policy")
    check('a "quoted"\n\u2028 source', service.evaluate_department(policy, read_department(doc, policy)))


@pytest.mark.parametrize("path", SHIPPED, ids=_pid)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_shipped_policies_give_the_same_rows(path, data):
    drawn = drawn_department(path, data)
    if drawn is not None:
        _, compiled, dept, _, _ = drawn
        check("x.jsonl:1", service.evaluate_department(compiled.policy, dept))


@settings(max_examples=150, deadline=None)
@given(case=generated_case(departments=2))
def test_generated_policies_give_the_same_rows(case):
    policy, departments = case
    compiled = compile_dict(policy)
    for raw, _, _ in departments:
        check("x.jsonl:2", service.evaluate_department(compiled.policy, department(compiled, raw)))


SPELLINGS = [  # one fact each, the same value written otherwise, and rows written one after another
    ("未完成重点工作任务数", ["0", "'0'", "0.0", "1", "'1'"]),
    ("资产管理违规事项数", ["0", "'0'", "2"]),
    ("按时编制预算", ["true", "false"]),
    ("已有内部管理制度", ["[财务审批制度]", "[财务审批制度, 合同管理办法]", "'财务审批制度'", "[]"]),
    ("全年预算数", ["690.47万元", "6904700元", "'690.47'", "690.470万元"]),
]


@pytest.mark.parametrize("key,spellings", SPELLINGS, ids=[k for k, _ in SPELLINGS])
def test_a_leaf_remembered_by_its_values_still_shows_each_spelling(key, spellings):
    """rows remembers a full-marks leaf's text by its facts' values and spellings: a value
    written otherwise (0 and '0', 万元 and 元, true and false) must still be shown as written."""
    policy = service.policy("guangzhou/panyu/2023")
    base = (EXAMPLES / "panyu-jiguan-gongwei-2023.yaml").read_text(encoding="utf-8").split("# 报告自评结论")[0]
    shown = set()
    for round_ in range(2):                       # the second round meets every text remembered
        for spelling in spellings:
            text = base.replace("facts:\n", f"facts:\n  {key}: {spelling}\n", 1) if key not in base else \
                "\n".join(f"  {key}: {spelling}" if line.startswith(f"  {key}:") else line for line in base.splitlines())
            try:
                doc = load_text(text, f"<{spelling}>")
                result = service.evaluate_department(policy, read_department(doc, policy))
            except InputError:
                continue                          # a spelling the policy refuses has no row
            check(f"{spelling}.yaml", result)
            shown.add(rows.jsonl_row("x", result, "zh"))
    assert len(shown) >= 2, "the spellings should not all give one row"


_ROW_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),      # st.text() draws lone surrogates and controls too
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(data=_ROW_DATA)
def test_dumps_writes_what_json_writes(data):
    """rows.dumps (orjson, json where orjson refuses) gives json.dumps' text as UTF-8 for every
    kind of value a row holds: text of any character, ints of any size, yes/no, null, lists and
    maps; a lone surrogate (UTF-8 cannot hold one) as its JSON escape, as the file holds it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    assert rows.dumps(data) == text.encode("utf-8", "backslashreplace")


def test_a_lone_surrogate_is_written_as_its_json_escape():
    assert rows.dumps({"a\udce4": ["\udce4", "한글"]}) == '{"a\\udce4":["\\udce4","한글"]}'.encode("utf-8")


def test_a_source_named_with_a_lone_surrogate_gives_the_same_row():
    policy = service.policy("guangzhou/panyu/2023")
    doc = load_file(EXAMPLES / "panyu-jiguan-gongwei-2023.yaml")
    check("部门\udce4.yaml", service.evaluate_department(policy, read_department(doc, policy)))
