"""Each durable_rules pitfall measured in ../shared/tech/durable-and-peers.md, designed around
and checked here. The engine is driven only through perfrules' own modules."""
import json
import re
import threading

import pytest
import yaml

from conftest import PANYU_FACTS, PANYU_POLICY, RULES
from perfrules.matcher.durable import DurableMatcher
from perfrules.model import EngineError
from perfrules.matcher.durable_encoding import compile_policy, department_facts
from perfrules.service import evaluate_department
from perfrules.facts import read_department
from perfrules.load import load_file, load_text
from perfrules.validate import load_policy

POLICIES = [p for p in RULES.rglob("*.yaml") if not p.name.endswith(".cases.yaml")]


@pytest.fixture(scope="module")
def panyu():
    policy = load_policy(PANYU_POLICY)
    return compile_policy(policy), read_department(load_file(PANYU_FACTS), policy)


def _patterns(compiled):
    for shard in compiled.shards:
        for rules in shard.ruleset.values():
            for rule in rules.values():
                for pattern in rule["all"]:
                    yield from pattern.values()


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_every_pattern_tests_a_fact_kind_first(path):
    """A rule that can match durable's session-state object {sid, id, $s} re-fires forever."""
    compiled = compile_policy(load_policy(path))
    for pattern in _patterns(compiled):
        assert list(pattern) == ["$and"]
        assert pattern["$and"][0] in ({"t": "d"}, {"t": "i"})


def _scalars(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _scalars(v)
    elif isinstance(x, list):
        for v in x:
            yield from _scalars(v)
    else:
        yield x


ORDER_TEXT = re.compile(r"1|2[np][a-z]\d+|0[np][a-z]\d+~")      # matcher/order.py: zero, positive, negative


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_numbers_reach_the_c_core_only_as_order_preserving_text(path):
    """Integer $div by zero kills the process; exponent-form floats are rejected (error 204);
    C doubles hold 0.8999999999999999999 as 0.9. So no arithmetic and no JSON number at all:
    every value in every rule is text, and a number fact is compared with order-preserving text."""
    compiled = compile_policy(load_policy(path))
    rulesets = [shard.ruleset for shard in compiled.shards]
    text = json.dumps(rulesets)
    assert not any(op in text for op in ("$div", "$add", "$sub", "$mul"))
    values = list(_scalars(rulesets))
    assert values and all(type(v) is str for v in values), [v for v in values if type(v) is not str][:5]
    numeric = {k for k, f in compiled.policy.facts.items() if f.expr_type == "number"}
    compared = 0
    for shard in compiled.shards:
        number_codes = {c for k, c in shard.codes.items() if k in numeric} | {"v"}
        for rules in shard.ruleset.values():
            for rule in rules.values():
                for test in rule["all"][0]["m"]["$and"][1:]:
                    (key, inner), = test.items()
                    field, value = next(iter(inner.items())) if key.startswith("$") else (key, inner)
                    if field in number_codes and not isinstance(value, dict):     # a $m compares two facts
                        assert ORDER_TEXT.fullmatch(value), (field, value)
                        compared += 1
    assert compared


def test_department_facts_are_small_flat_text(panyu):
    """No number reaches durable as a JSON number: the rate 682.37 ÷ 690.47 goes in exact, as
    the order-preserving text of all its 28 digits, never rounded to a double or to millionths."""
    from perfrules.matcher.order import encode
    compiled, dept = panyu
    assert len(compiled.shards) == 1          # an ordinary policy: one ruleset, one session per department
    text, listed = department_facts(compiled.shards[0], dept)
    fact, items = json.loads(text + "}"), [json.loads(t + "}") for _, t in listed]   # the matcher closes each
    assert [i for i, _ in listed] == [it["id"] for it in items]
    for f in [fact] + items:
        assert all(type(v) is str for v in f.values()), f
        assert len(f) < 250          # durable refuses facts with more than ~253 properties (error 302)
    rate = dept.values["预算资金支出率"]
    assert len(rate.as_tuple().digits) == 28 and fact[compiled.shards[0].codes["预算资金支出率"]] == encode(rate)
    assert [it["v"] for it in items if it["n"] == "4"] == [encode(dept.items["绩效指标"][4]["差距率"])]


def test_sessions_give_the_c_core_each_record_once_closed_with_its_session_id(panyu):
    """What the C core is given (DurableMatcher.sessions, then asserted; bench.py times the C
    core alone on it): one JSON array per session, every fact in it carrying that session's id;
    a list longer than one session's share goes on in further sessions, each record in one."""
    from perfrules import service
    from perfrules.limits import ITEM_FACTS_PER_SESSION
    from perfrules.matcher.durable import asserted
    compiled, _ = panyu
    n = 2 * ITEM_FACTS_PER_SESSION + 7
    data = yaml.safe_load(PANYU_FACTS.read_text(encoding="utf-8"))
    data["facts"]["绩效指标"] = [{"名称": f"指标{i}", "类别": "产出", "目标值": 100, "实际值": 80 + i % 21} for i in range(n)]
    dept = read_department(load_text(json.dumps(data, ensure_ascii=False), "long.yaml"), compiled.policy)
    matcher = service.default().matcher
    sessions = list(matcher.sessions(service.default().prepared(compiled.policy), dept))
    assert len(sessions) == 3 and len({sid for _, _, sid, _ in sessions}) == 3
    seen = []
    for _, _, sid, facts in sessions:
        given = json.loads(asserted(facts, sid))
        assert len(given) == len(facts) <= ITEM_FACTS_PER_SESSION + 1 and {f["sid"] for f in given} == {sid}
        assert given[0]["t"] == "d"        # the department fact (bare after the first) leads each session
        seen += [f["n"] for f in given[1:]]
    assert sorted(seen, key=int) == [str(i) for i in range(n)]


def test_a_department_with_nothing_to_deduct_gets_full_marks(panyu):
    """durable raises MessageNotHandledException when no rule matches: that is full marks."""
    compiled, _ = panyu
    facts = {"全年预算数": 100, "实际支出数": 100, "绩效指标": [], "有内部财务管理制度": True,
             "有绩效目标管理制度": True, "有绩效运行监控制度": True, "有绩效评价管理制度": True, "有评价结果应用制度": True}
    doc = load_text(json.dumps({"department": "满分部门", "facts": facts}, ensure_ascii=False), "full.yaml")
    result = evaluate_department(compiled.policy, read_department(doc, compiled.policy))
    assert str(result.score) == "100.00" and result.deductions == []


def test_facts_not_events_every_matching_rule_fires(panyu):
    """A posted event is consumed by the first rule; asserted facts reach every rule."""
    compiled, dept = panyu
    result = evaluate_department(compiled.policy, dept)
    assert [d.indicator.id for d in result.deductions] == ["YS-01", "LZ-01", "GL-01"]
    assert len(result.fired) == 1 + 1 + 4     # rate rule, one item band (two items), four checklist items


def test_sessions_are_deleted_so_more_than_1024_departments_run(panyu):
    """durable allows 1,024 live sessions per ruleset; the 1,025th raises MemoryError."""
    compiled, dept = panyu
    scores = {str(evaluate_department(compiled.policy, dept).score) for _ in range(1500)}
    assert scores == {"96.88"}


def test_nothing_is_remembered_per_session(panyu):
    """Peak memory stays flat over a batch: the fact-id hash cache holds item ids, which recur
    from department to department, never session ids, which do not."""
    from perfrules.matcher.durable import fact_hash
    compiled, dept = panyu
    evaluate_department(compiled.policy, dept)
    before = fact_hash.cache_info().currsize
    for _ in range(300):
        evaluate_department(compiled.policy, dept)
    assert fact_hash.cache_info().currsize == before


def test_no_threads_are_started(panyu):
    """A durable Host starts two timer threads that never stop; perfrules uses no Host."""
    compiled, dept = panyu
    before = threading.active_count()
    for _ in range(20):
        evaluate_department(compiled.policy, dept)
    assert threading.active_count() == before


def test_a_ruleset_durable_rejects_is_an_internal_error_not_a_crash(panyu):
    """durable reports a malformed ruleset only as 'error code 202': we raise EngineError (exit 3)."""
    compiled, dept = panyu
    import dataclasses
    name = compiled.name + "_broken"
    shard = dataclasses.replace(compiled.shards[0], name=name, ruleset={name: {"r0": {"all": [{"m": {"$le": {"f0": 1}}}]}}})
    broken = dataclasses.replace(compiled, name=name, shards=(shard,))
    with pytest.raises(EngineError):
        DurableMatcher().fired(broken, dept)


def test_same_input_same_output(panyu):
    from perfrules.report import to_bytes
    compiled, dept = panyu
    assert to_bytes("result", "json", [evaluate_department(compiled.policy, dept)]) == \
        to_bytes("result", "json", [evaluate_department(compiled.policy, dept)])


def test_policies_that_differ_beyond_float_precision_get_their_own_ruleset():
    """durable cannot unregister a ruleset, so its name must be unique to the exact policy."""
    from perfrules.validate import load_policy_text
    base = PANYU_POLICY.read_text("utf-8")
    old = "          limit: 0\n          unit: 1\n          deduct: 2\n"
    assert old in base
    a = load_policy_text(base.replace(old, old.replace("limit: 0", "limit: 0.1000000000000000001"), 1))
    b = load_policy_text(base.replace(old, old.replace("limit: 0", "limit: 0.0999999999999999999"), 1))
    assert a.sha256 != b.sha256
    assert compile_policy(a).name != compile_policy(b).name
