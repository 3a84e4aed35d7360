"""durable_rules' C-core limits that a valid policy or fact file can reach (issue 8), each
reproduced and now either designed around (the score equals the reference matcher's) or
refused before anything runs (a located E315/E407, exit 2) — never a signal, a hang or exit 3.

The findings run the CLI in a subprocess with a timeout (before the fix several killed the
process or never returned); the raw engine's limits are also pinned on durable itself, in a
subprocess, so that a future durable_rules that moves them is noticed. The hypothesis
properties generate policies and facts near each limit and require the durable matcher to fire
what matcher/reference.py fires, or a located refusal.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PANYU_POLICY, ROOT, dump
from perfrules import limits, service
from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.matcher import durable as durable_module
from perfrules.matcher.durable_encoding import compile_policy
from perfrules.matcher.durable_shards import stack_bound
from perfrules.matcher.reference import ReferenceMatcher
from perfrules.model import Department
from perfrules.problems import InputError
from perfrules.score import score
from perfrules.validate import load_policy, load_policy_text

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
SMALL = settings(max_examples=4, deadline=None)


# ---- policies at the limits ------------------------------------------------------------------

def policy(facts: list, leaves: list) -> dict:
    total = sum(Decimal(str(leaf["points"])) for leaf in leaves)
    return {"id": "limits/test", "title": "上限", "year": 2023, "version": "1", "full_score": total,
            "grades": [{"grade": "合格", "min": 0}], "facts": facts,
            "indicators": [{"id": "A", "name": "甲", "points": total, "children": leaves}]}


def checklist(values: list[bool]):
    facts = [{"key": f"有{i}", "type": "boolean", "required": True} for i in range(len(values))]
    leaf = {"id": "A-1", "name": "清单", "points": 100, "method": {"kind": "checklist", "reason": "缺{缺少项}", "items": [
        {"fact": f"有{i}", "label": f"项{i}", "deduct": Decimal("0.01")} for i in range(len(values))]}}
    return policy(facts, [leaf]), {f"有{i}": v for i, v in enumerate(values)}


def banded(values: list[str]):
    facts = [{"key": f"率{i}", "type": "percent", "required": True, "min": 0} for i in range(len(values))]
    leaves = [{"id": f"A-{i}", "name": f"带{i}", "points": 1, "method": {"kind": "bands", "value": f"率{i}", "bands": [
        {"when": "[0, 90%)", "score": 0, "reason": "低"}, {"when": "[90%, 95%)", "score": Decimal("0.5"), "reason": "中"},
        {"when": "[95%, +inf)", "score": 1}]}} for i in range(len(values))]
    return policy(facts, leaves), {f"率{i}": v for i, v in enumerate(values)}


def ored(values: list[bool]):
    facts = [{"key": f"b{i}", "type": "boolean", "required": True} for i in range(len(values))]
    leaf = {"id": "A-1", "name": "或", "points": 10, "method": {"kind": "deductions", "rules": [
        {"when": " or ".join(f"b{i}" for i in range(len(values))), "deduct": 1, "reason": "扣{扣分}"}]}}
    return policy(facts, [leaf]), {f"b{i}": v for i, v in enumerate(values)}


def tiered(options: int, chosen: int):
    opts = [f"档{i}" for i in range(options)]
    facts = [{"key": "等次", "type": "choice", "options": opts, "required": True}]
    leaf = {"id": "A-1", "name": "档", "points": 10, "method": {"kind": "tiered", "choice": "等次", "tiers": [
        {"value": o, "score": 10 if i == 0 else Decimal(i % 10), **({} if i == 0 else {"reason": "低"})}
        for i, o in enumerate(opts)]}}
    return policy(facts, [leaf]), {"等次": opts[chosen]}


def wide(values: list[int]):
    """One deduction rule per number fact: the rules read len(values) facts."""
    facts = [{"key": f"数{i}", "type": "count", "required": True} for i in range(len(values))]
    leaf = {"id": "A-1", "name": "宽", "points": 100, "method": {"kind": "deductions", "rules": [
        {"when": f"数{i} > 0", "deduct": Decimal("0.01"), "reason": f"扣{i}"} for i in range(len(values))]}}
    return policy(facts, [leaf]), {f"数{i}": v for i, v in enumerate(values)}


def same_condition(rules: int, x: int):
    facts = [{"key": "x", "type": "number", "required": True}]
    leaf = {"id": "A-1", "name": "同", "points": 100, "method": {"kind": "deductions", "rules": [
        {"when": "x < 1", "deduct": Decimal("0.01"), "reason": f"扣{i}"} for i in range(rules)]}}
    return policy(facts, [leaf]), {"x": x}


def listed(gaps: list[str]):
    facts = [{"key": "表", "type": "list", "required": True, "fields": [
        {"key": "名称", "type": "text", "required": True}, {"key": "差距", "type": "percent", "required": True}]}]
    leaf = {"id": "A-1", "name": "项", "points": 10, "method": {"kind": "per_item", "items": "表", "measure": "差距",
            "item_label": "名称", "bands": [{"when": "(0, 10%]", "deduct": Decimal("0.5"), "reason": "差{项目}"},
                                             {"when": "(10%, +inf)", "deduct": 1, "reason": "差距大{项目}"}]}}
    return policy(facts, [leaf]), {"表": [{"名称": f"指标{i}", "差距": g} for i, g in enumerate(gaps)]}


def texted(constant: str, value: str):
    facts = [{"key": "名", "type": "text", "required": True}]
    leaf = {"id": "A-1", "name": "文", "points": 10, "method": {"kind": "deductions", "rules": [
        {"when": f"名 == '{constant}'", "deduct": 1, "reason": "同名"}]}}
    return policy(facts, [leaf]), {"名": value}


def long_option(n: int, ch: str):
    """A tiered choice whose first option is n characters long, chosen."""
    facts = [{"key": "等次", "type": "choice", "options": [ch * n, "短"], "required": True}]
    leaf = {"id": "A-1", "name": "档", "points": 10, "method": {"kind": "tiered", "choice": "等次", "tiers": [
        {"value": ch * n, "score": 5, "reason": "长"}, {"value": "短", "score": 10}]}}
    return policy(facts, [leaf]), {"等次": ch * n}


# ---- running them ------------------------------------------------------------------------------

def reference_score(data: dict, facts: dict) -> str:
    pol = load_policy_text(dump(data))
    dept = read_department(load_text(dump({"department": "测试部门", "facts": facts}), "<facts>"), pol)
    return str(score(pol, dept, ReferenceMatcher().fired(pol, dept)).score)


def cli(tmp_path: Path, data: dict, facts: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    (tmp_path / "policy.yaml").write_text(dump(data), "utf-8")
    (tmp_path / "facts.yaml").write_text(dump({"department": "测试部门", "policy": "policy.yaml", "facts": facts}), "utf-8")
    return subprocess.run([sys.executable, "-m", "perfrules", "evaluate", "facts.yaml", "-f", "json"], cwd=tmp_path,
                          env=ENV, capture_output=True, text=True, timeout=timeout)


def scored_or_refused(tmp_path: Path, data: dict, facts: dict, refused: str | None = None) -> None:
    out = cli(tmp_path, data, facts)
    if refused is None:
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout)["score"] == reference_score(data, facts)
    else:
        assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
        first = json.loads(out.stderr)["problems"][0]
        assert first["code"] == refused and first["line"] > 0 and first["path"] != "$", first


def agree(data: dict, facts: dict) -> None:
    """In-process: durable (through the service) fires what the reference matcher fires."""
    pol = load_policy_text(dump(data))
    dept = read_department(load_text(dump({"department": "测试部门", "facts": facts}), "<facts>"), pol)
    svc = service.default()
    assert svc.matcher.fired(svc.prepared(pol), dept) == ReferenceMatcher().fired(pol, dept)


def refusal(data: dict, facts: dict | None = None) -> list:
    """The problems validate (or, with facts, the fact reader) reports."""
    with pytest.raises(InputError) as exc:
        pol = load_policy_text(dump(data), "policy.yaml")
        if facts is not None:
            read_department(load_text(dump({"department": "测试部门", "facts": facts}), "facts.yaml"), pol)
    return exc.value.problems


# ---- the findings, through the CLI --------------------------------------------------------------

FINDINGS = {
    "checklist of 65 false items": (checklist([False] * 65), None),
    "22 banded indicators at 95%": (banded(["95%"] * 22), None),
    "70-way or, all true": (ored([True] * 70), None),
    "rules reading 260 facts": (wide([1] * 260), None),
    "checklist of 260 true items": (checklist([True] * 260), None),
    "512-option tiered choice": (tiered(512, 511), None),
    "171 banded indicators": (banded(["95%"] * 171), None),
    "257 rules on one condition": (same_condition(257, 0), None),
    "4,100 rules": (checklist([False] * 4100), "E315"),
    "1,001 list records": (listed(["5%"] * 1001), "E407"),
    "text of 65,539 characters": (texted("甲甲甲", "甲甲甲" + "a" * 65536), "E407"),
}


@pytest.mark.parametrize("case", FINDINGS, ids=list(FINDINGS))
def test_each_finding_is_scored_like_the_reference_or_refused(tmp_path, case):
    (data, facts), refused = FINDINGS[case]
    scored_or_refused(tmp_path, data, facts, refused)


def test_an_option_beyond_the_text_limit_is_refused_in_the_policy():
    data, _ = long_option(limits.MAX_TEXT + 1, "甲")
    problems = refusal(data)
    assert [p.code for p in problems] == ["E315"] and problems[0].path == "$.facts[0].options[0]"


def test_a_condition_of_too_many_alternatives_or_facts_is_refused():
    data, _ = ored([True] * (limits.MAX_ALTERNATIVES + 1))
    assert [p.code for p in refusal(data)] == ["E315"]
    data, _ = wide([0] * (limits.MAX_FACTS_PER_ALTERNATIVE + 1))
    rule = data["indicators"][0]["children"][0]["method"]["rules"]
    rule[:] = [{"when": " and ".join(f"数{i} > 0" for i in range(limits.MAX_FACTS_PER_ALTERNATIVE + 1)), "deduct": 1, "reason": "宽"}]
    assert [p.code for p in refusal(data)] == ["E315"]
    rule[:] = [{"when": " and ".join(f"数{i} < 数{i + 1}" for i in range(60)), "deduct": 1, "reason": "比"}]
    agree(data, {f"数{i}": i for i in range(limits.MAX_FACTS_PER_ALTERNATIVE + 1)})    # 60 fact-to-fact tests: fine


# ---- the raw engine's limits, pinned on durable itself (a subprocess each: they crash or hang) --

RAW = textwrap.dedent("""
    import json, sys, durable_rules_engine as core
    kind, n = sys.argv[1], int(sys.argv[2])
    rules = {"sentinel": {"all": [{"m": {"t": "d"}}]}}
    fact = {"t": "d", "sid": "1", "id": "d"}
    if kind == "stack":      # n tests holding at once on one fact
        rules.update({f"r{i}": {"all": [{"m": {"$and": [{"t": "d"}, {f"f{i}": 0}]}}]} for i in range(n)})
        fact.update({f"f{i}": 0 for i in range(n)})
    elif kind == "tests":    # n distinct tests under one node
        rules.update({f"r{i}": {"all": [{"m": {"$and": [{"t": "d"}, {"c": i}]}}]} for i in range(n)})
    elif kind == "beta":     # n rules ending on one test
        rules.update({f"r{i}": {"all": [{"m": {"$and": [{"t": "d"}, {"c": 1}]}}]} for i in range(n)})
    elif kind == "properties":
        fact.update({f"f{i}": 0 for i in range(n)})
    h = core.create_ruleset("raw", json.dumps(rules))
    code, state = core.assert_facts(h, json.dumps([fact]))
    message = core.start_action_for_state(h, state)
    while message and message[1]:
        message = (0, core.complete_and_start_action(h, state))
    core.delete_state(h, "1")
    print("ok")
""")


@pytest.mark.parametrize("kind, safe, broken, how", [
    ("stack", limits.SHARD_STACK, 65, "error code: 303"),
    ("tests", limits.SHARD_TESTS_PER_NODE, 512, "hang"),
    ("beta", limits.SHARD_RULES_PER_TEST, 257, "error code: 108"),
    ("properties", limits.SHARD_FIELDS, 252, "signal"),     # t, sid, id and 252: the 255th property
])
def test_durable_rules_own_limits_are_where_limits_py_says(tmp_path, kind, safe, broken, how):
    script = tmp_path / "raw.py"
    script.write_text(RAW, "utf-8")

    def run(n: int):
        try:
            return subprocess.run([sys.executable, str(script), kind, str(n)], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
    ok = run(safe)
    assert ok is not None and ok.returncode == 0 and ok.stdout.strip() == "ok", ok
    bad = run(broken)
    if how == "hang":
        assert bad is None
    elif how == "signal":
        assert bad is not None and bad.returncode < 0, bad
    else:
        assert bad is not None and bad.returncode != 0 and how in bad.stderr + str(bad.returncode), bad


# ---- list records: chunks, and durable's 32-bit fact ids -----------------------------------------

LIST_SCRIPT = textwrap.dedent("""
    import sys
    from decimal import Decimal
    sys.path.insert(0, sys.argv[2])
    from test_limits import listed
    from conftest import dump
    from perfrules.validate import load_policy_text
    from perfrules.model import Department
    from perfrules.matcher.durable import DurableMatcher
    from perfrules.matcher.reference import ReferenceMatcher
    data, _ = listed([])
    pol = load_policy_text(dump(data))
    n = int(sys.argv[1])
    dept = Department("x", "x", {}, {"表": [{"名称": f"指标{i}", "差距": Decimal(i % 1000) / 5000} for i in range(n)]})
    m = DurableMatcher()
    prepared = m.prepare(pol)
    want = ReferenceMatcher().fired(pol, dept)
    print(all(m.fired(prepared, dept) == want for _ in range(3)))
""")


def test_40000_records_past_the_reader_lose_none(tmp_path):
    """Before: one session of 40,000 item facts lost a record in about one session in seven
    (durable's 32-bit fact ids collided; the loss was silent). The fact reader now stops at
    1,000 records; the matcher itself, given more, still loses none."""
    script = tmp_path / "lists.py"
    script.write_text(LIST_SCRIPT, "utf-8")
    out = subprocess.run([sys.executable, str(script), "40000", str(ROOT / "tests")], env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr[-2000:]


def test_our_model_of_durables_fact_hash_is_durables(tmp_path):
    """Two ids with the same fnv1-32 are one fact to durable (the second refused, code 2);
    durable_hash says which ids those are, so the matcher never puts two in one session."""
    a, b = "0fpnm3p95t", "n8zd9ansh5"
    assert durable_module.durable_hash(a) == durable_module.durable_hash(b)
    import durable_rules_engine as core
    h = core.create_ruleset("limits_hash_model", json.dumps({"s": {"all": [{"m": {"t": "d"}}]}}))
    try:
        codes = [core.assert_fact(h, json.dumps({"t": "d", "sid": "1", "id": i}))[0] for i in (a, b, a + "x")]
        state = core.assert_fact(h, json.dumps({"t": "d", "sid": "1", "id": "last"}))[1]
        started = core.start_action_for_state(h, state)
        message = started[1] if started else None
        while message:
            message = core.complete_and_start_action(h, state)
        core.delete_state(h, "1")
    finally:
        core.delete_ruleset(h)
    assert codes == [0, 2, 0]


def test_a_duplicate_durable_reports_anyway_loses_no_record(monkeypatch):
    """If durable ever refused a fact as already observed, the chunk is asserted again one
    fact per call and the refused record is matched in a fresh session."""
    data, facts = listed(["5%", "15%", "5%"])
    pol = load_policy_text(dump(data))
    dept = read_department(load_text(dump({"department": "x", "facts": facts})), pol)
    real = durable_module.department_facts

    def colliding(shard, d):
        fact, items = real(shard, d)
        for n, new_id in ((0, "0fpnm3p95t"), (1, "n8zd9ansh5")):     # one hash in durable
            old_id, text = items[n]
            items[n] = (new_id, text.replace(f'"id":"{old_id}"', f'"id":"{new_id}"'))
        return fact, items
    monkeypatch.setattr(durable_module, "department_facts", colliding)
    monkeypatch.setattr(durable_module, "fact_hash", lambda text: hash(text))   # we do not notice
    m = durable_module.DurableMatcher()
    assert m.fired(m.prepare(pol), dept) == ReferenceMatcher().fired(pol, dept) == [(0, 0), (0, 2), (1, 1)]


# ---- the shards ---------------------------------------------------------------------------------

def test_an_ordinary_policy_is_one_shard_and_a_wide_one_several_within_bounds():
    assert len(compile_policy(load_policy(PANYU_POLICY)).shards) == 1
    data, _ = banded(["95%"] * 22)
    compiled = compile_policy(load_policy_text(dump(data)))
    assert len(compiled.shards) == 3
    from perfrules.matcher.durable_shards import Part
    for shard in compiled.shards:
        parts = [Part(n, 0, "d", tuple(r["all"][0]["m"]["$and"][1:])) for n, r in shard.ruleset[shard.name].items()]
        assert stack_bound(parts) <= limits.SHARD_STACK


def test_the_stack_bound_counts_what_durable_pushes():
    from perfrules.matcher.durable_shards import Part
    bands = [Part(f"r{i}", i, "d", ({"$gte": {f"f{i // 3}": 900000 * (i % 3)}}, {"$lt": {f"f{i // 3}": 1}})) for i in range(66)]
    assert stack_bound(bands) == 66                 # 22 indicators x 3 lower bounds, all holding at 95%
    tiers = [Part(f"r{i}", i, "d", ({"f0": f"档{i}"},)) for i in range(500)]
    assert stack_bound(tiers) == 1                  # of 500 equalities on one field, one holds
    chain = [Part("r0", 0, "d", tuple({f"f{i}": 1} for i in range(40)))]
    assert stack_bound(chain) == 1                  # one conjunction: one entry at a time


# ---- hypothesis: near each limit, the same firings as the reference, or a located refusal -----

@SMALL
@given(st.lists(st.booleans(), min_size=50, max_size=130))
def test_checklists_near_the_stack(values):
    agree(*checklist(values))


@SMALL
@given(st.integers(400, 700), st.data())
def test_tiered_choices_near_the_hash_set(options, data):
    agree(*tiered(options, data.draw(st.integers(0, options - 1))))


@SMALL
@given(st.lists(st.sampled_from(["0%", "89.99%", "90%", "94%", "95%", "120%"]), min_size=20, max_size=180))
def test_many_banded_indicators(values):
    agree(*banded(values))


@SMALL
@given(st.lists(st.booleans(), min_size=50, max_size=100))
def test_or_conditions_of_many_alternatives(values):
    agree(*ored(values))


@SMALL
@given(st.lists(st.integers(0, 2), min_size=240, max_size=300))
def test_rules_reading_many_facts(values):
    agree(*wide(values))


@SMALL
@given(st.integers(240, 280), st.integers(0, 1))
def test_many_rules_on_one_condition(rules, x):
    agree(*same_condition(rules, x))


@SMALL
@given(st.integers(limits.MAX_RECORDS - 5, limits.MAX_RECORDS + 5), st.sampled_from(["0%", "5%", "15%"]))
def test_lists_near_the_record_limit(n, gap):
    data, facts = listed([gap if i % 3 else "5%" for i in range(n)])
    if n <= limits.MAX_RECORDS:
        agree(data, facts)
    else:
        problems = refusal(data, facts)
        assert [p.code for p in problems] == ["E407"] and problems[0].path == f"$.facts.表[{limits.MAX_RECORDS}]"


@SMALL
@given(st.integers(limits.MAX_TEXT - 5, limits.MAX_TEXT + 5), st.sampled_from(["甲", "a"]), st.booleans())
def test_texts_near_the_text_limit(n, ch, option):
    """A long text fact compared with a constant sharing its first 20 characters, or a long
    option of a tiered choice, chosen."""
    data, facts = long_option(n, ch) if option else texted(ch * 20, ch * n)
    if n <= limits.MAX_TEXT:
        agree(data, facts)
    else:
        problems = refusal(data, facts)
        assert [p.code for p in problems] == (["E315"] if option else ["E407"])
        assert problems[0].path == ("$.facts[0].options[0]" if option else "$.facts.名")


@SMALL
@given(st.integers(limits.MAX_RULES - 3, limits.MAX_RULES + 3))
def test_policies_near_the_rule_limit(n):
    data, facts = checklist([i % 7 == 0 for i in range(n)])
    if n <= limits.MAX_RULES:
        agree(data, facts)
    else:
        problems = refusal(data)
        assert [p.code for p in problems] == ["E315"]
        assert problems[0].path == f"$.indicators[0].children[0].method.items[{limits.MAX_RULES}]"


def test_department_values_are_untouched_by_sharding():
    """A department fact per shard holds only that shard's facts, and no more than SHARD_FIELDS."""
    data, _ = wide([1] * 260)
    compiled = compile_policy(load_policy_text(dump(data)))
    dept = Department("x", "x", {f"数{i}": Decimal(1) for i in range(260)})
    fields = [set(s.codes) for s in compiled.shards]
    assert all(len(f) <= limits.SHARD_FIELDS for f in fields) and set().union(*fields) == set(dept.values)
