"""Hypothesis properties of scoring (issue "core", item 7).

Two families, each checked on the real pipeline (load.load_text -> validate -> facts ->
validate -> facts -> matcher -> score, durable_rules deciding what fires):

(a) every shipped policy under rules/ (not *.cases.yaml), with random valid facts built by
    hand from the policy's own fact declarations (perfrules.policy.FactDecl);
(b) randomly generated valid policies: a random indicator tree whose points add up, leaves of
    every method kind (proportional, bands, deductions, per_item, checklist, tiered, per_unit,
    manual), and random valid facts for them.

Properties: 0 <= score <= full_score; the leaves' deductions add up to full_score - score
exactly (Decimal); no indicator loses more than its points; every indicator score is rounded
to two places; raising a proportional leaf's rate (or the spending that feeds it) never
lowers the score; turning a checklist fact from false to true never lowers the score;
shuffling rules, bands, items, tiers, facts and indicators changes nothing; and a
differential check against `Reference`, an independent pure-Python reading of the policy
semantics (written from the engine's documented rules, never calling perfrules' scoring).

No hypothesis-jsonschema (tech notes: broken with current hypothesis): strategies are
written by hand. Example counts come from the profile in conftest.py (200 under ci).
"""
from __future__ import annotations

import ast
import copy
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, example, given, note
from hypothesis import strategies as st

from conftest import RULES, dump
from perfrules.matcher.durable_encoding import compile_policy
from perfrules import service
from perfrules.matcher.reference import ReferenceMatcher
from perfrules.score import score
from perfrules.service import evaluate_department
from perfrules.facts import read_department
from perfrules.load import load_file, load_text
from perfrules.model import NUMERIC_TYPES
from perfrules.problems import InputError
from perfrules.validate import policy_from_document

D = Decimal
ONE_MILLIONTH = D("0.000001")
TWO = D("0.01")


def q6(x: Decimal) -> Decimal:
    return x.quantize(ONE_MILLIONTH, rounding=ROUND_HALF_UP)


def r2(x: Decimal) -> Decimal:
    return x.quantize(TWO, rounding=ROUND_HALF_UP)


def dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else D(str(x))


def fmt(x: Decimal) -> str:
    """A Decimal as plain text, no exponent, no trailing zeros."""
    x = dec(x)
    if x == 0:
        return "0"
    return format(x.normalize(), "f")


# ---- YAML in and out (conftest.dump writes the YAML) -------------------------------------------

def compile_dict(data: dict):
    """A policy given as data -> compiled policy, through YAML text like a real file."""
    return compile_policy(policy_from_document(load_text(dump(data), "<policy>")))


def department(compiled, raw_facts: dict):
    doc = load_text(dump({"department": "测试部门", "facts": raw_facts}), "<facts>")
    return read_department(doc, compiled.policy)


def score_of(compiled, raw_facts: dict):
    """The Result, or None when the facts make a derived fact uncomputable (x/0, out of range)."""
    try:
        dept = department(compiled, raw_facts)
    except InputError as exc:
        codes = {p.code for p in exc.problems}
        if codes <= {"E405", "E407"}:       # a derived fact divides by 0 or leaves its min/max
            return None
        raise
    return evaluate_department(compiled.policy, dept)


REFERENCE_MATCHER = ReferenceMatcher()


def check_matchers_agree(policy, dept, result) -> None:
    """durable_rules and the plain-Python reference matcher fire the same rules for the same
    records, so they give the same Result."""
    svc = service.default()
    durable = svc.matcher.fired(svc.prepared(policy), dept)
    reference = REFERENCE_MATCHER.fired(policy, dept)
    assert durable == reference, f"durable fired {durable}, the reference matcher {reference}"
    again = score(policy, dept, reference)
    assert again.score == result.score
    assert {k: r.score for k, r in again.scored.items()} == {k: r.score for k, r in result.scored.items()}


def walk(results):
    for r in results:
        yield r
        yield from walk(r.children)


# ---- the reference: policy semantics in plain Python ----------------------------------------
# Written from the documented behaviour (validate.py, facts.py, score.py and methods/ docstrings), not by
# calling perfrules: conditions and formulas read like Python with exact Decimal arithmetic;
# every number a department gives or derives is kept exact (formulas in 28-digit decimal);
# intervals and constants in the policy are compared exactly; indicator scores are rounded
# half up to two places; deductions stop at the indicator's points (扣完为止); a parent scores
# the sum of its children; the total is clamped to 0..full_score.

_SYMBOLS = {ord("×"): "*", ord("÷"): "/", ord("≥"): ">=", ord("≤"): "<=", ord("≠"): "!=", ord("－"): "-",
            ord("＝"): "="}
_PERCENT_LITERAL = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")


def ref_normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_SYMBOLS)
    return _PERCENT_LITERAL.sub(lambda m: format(D(m.group(1)) / 100, "f"), text)


def ref_eval(text: str, env: dict):
    """Evaluate a formula or condition with Python's meaning and exact Decimal literals."""
    src = ref_normalise(text)
    tree = ast.parse(src, mode="eval")

    def ev(n):
        if isinstance(n, ast.Constant):
            if isinstance(n.value, (bool, str)):
                return n.value
            segment = ast.get_source_segment(src, n) or repr(n.value)
            try:
                return D(segment)
            except ArithmeticError:
                return D(repr(n.value))
        if isinstance(n, ast.Name):
            return env[n.id]
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                    ast.Div: lambda: a / b}[type(n.op)]()
        if isinstance(n, ast.UnaryOp):
            v = ev(n.operand)
            return {ast.USub: lambda: -v, ast.UAdd: lambda: +v, ast.Not: lambda: not v}[type(n.op)]()
        if isinstance(n, ast.BoolOp):
            value = None
            for part in n.values:
                value = ev(part)
                if bool(value) != isinstance(n.op, ast.And):
                    return value
            return value
        if isinstance(n, ast.Compare):
            left = ev(n.left)
            for op, right_node in zip(n.ops, n.comparators):
                right = ev(right_node)
                ok = {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right,
                      ast.Eq: left == right, ast.NotEq: left != right}[type(op)]
                if not ok:
                    return False
                left = right
            return True
        if isinstance(n, ast.IfExp):
            return ev(n.body) if ev(n.test) else ev(n.orelse)
        if isinstance(n, ast.Call):
            args = [ev(a) for a in n.args]
            name = n.func.id
            if name == "round":
                places = int(args[1]) if len(args) > 1 else 0
                return args[0].quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
            return {"min": min, "max": max, "abs": abs}[name](*args)
        raise AssertionError(f"reference does not know {ast.dump(n)}")
    return ev(tree.body)


def ref_number(text) -> Decimal:
    if not isinstance(text, str):
        return dec(text)
    t = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    return D(t[:-1]) / 100 if t.endswith("%") else D(t)


_INF, _NINF = {"+inf", "inf", "+∞", "∞", "正无穷"}, {"-inf", "-∞", "负无穷"}


def ref_interval(text: str):
    """(lo, lo_closed, hi, hi_closed); None is unbounded."""
    t = unicodedata.normalize("NFKC", text).strip().translate(_SYMBOLS)
    m = re.match(r"^([\[(])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\])])$", t)
    if m:
        lo = None if m.group(2).lower() in _NINF else ref_number(m.group(2))
        hi = None if m.group(3).lower() in _INF else ref_number(m.group(3))
        return lo, m.group(1) == "[" and lo is not None, hi, m.group(4) == "]" and hi is not None
    m = re.match(r"^(<=|>=|<|>|==|=)\s*(.+)$", t)
    v = ref_number(m.group(2))
    return {"<": (None, False, v, False), "<=": (None, False, v, True), ">": (v, False, None, False),
            ">=": (v, True, None, False)}.get(m.group(1), (v, True, v, True))


def ref_contains(iv, x: Decimal) -> bool:
    lo, lc, hi, hc = iv
    if lo is not None and (x < lo or (x == lo and not lc)):
        return False
    if hi is not None and (x > hi or (x == hi and not hc)):
        return False
    return True


class Reference:
    """Scores a policy (its YAML data) for typed facts, without perfrules."""

    def __init__(self, data: dict):
        self.data = data
        self.facts = {f["key"]: f for f in data["facts"]}

    def derive(self, decls: list[dict], values: dict, env: dict) -> None:
        todo = [f for f in decls if "formula" in f]
        derived = {f["key"] for f in todo}
        while todo:
            for f in todo:
                names = {n.id for n in ast.walk(ast.parse(ref_normalise(f["formula"]), mode="eval"))
                         if isinstance(n, ast.Name)}
                if names & derived - env.keys():
                    continue
                value = ref_eval(f["formula"], env)      # kept exact, as every fact is
                values[f["key"]] = env[f["key"]] = value
                todo.remove(f)
                break
            else:
                raise AssertionError("reference: derived facts in a loop")

    def values(self, typed: dict, items: dict) -> tuple[dict, dict]:
        values = dict(typed)
        self.derive(self.data["facts"], values, values)
        out_items = {}
        for key, f in self.facts.items():
            if f["type"] != "list":
                continue
            recs = []
            for rec in items.get(key, []):
                rec = dict(rec)
                self.derive(f["fields"], rec, {**values, **rec})
                recs.append(rec)
            out_items[key] = recs
        return values, out_items

    def score(self, typed: dict, items: dict) -> tuple[Decimal, dict]:
        """(total score, {indicator id: score}) for the department."""
        values, items = self.values(typed, items)
        scores: dict[str, Decimal] = {}

        def node(ind) -> Decimal:
            if "children" in ind:
                s = sum((node(c) for c in ind["children"]), D("0.00"))
            else:
                s = self.leaf(ind, values, items)
            scores[ind["id"]] = s
            return s
        total = sum((node(t) for t in self.data["indicators"]), D(0))
        full = dec(self.data["full_score"])
        return r2(min(max(total, D(0)), full)), scores

    def leaf(self, ind, values, items) -> Decimal:
        m, pts = ind["method"], dec(ind["points"])

        def capped(deduction):
            return r2(pts - min(deduction, pts))
        kind = m["kind"]
        if kind == "proportional":
            frac = values[m["rate"]] / ref_number(m.get("full_at", 1))
            return r2(pts * min(max(frac, D(0)), D(1)))
        if kind == "bands":
            v = values[m["value"]]
            hits = [b for b in m["bands"] if ref_contains(ref_interval(b["when"]), v)]
            assert len(hits) == 1, f"reference: {len(hits)} bands hold {v}"
            return r2(dec(hits[0]["score"]))
        if kind == "tiered":
            v = values[m["choice"]]
            return r2(dec(next(t["score"] for t in m["tiers"] if t["value"] == v)))
        if kind == "deductions":
            return capped(sum((dec(r["deduct"]) for r in m["rules"] if ref_eval(r["when"], values)), D(0)))
        if kind == "checklist":
            return capped(sum((dec(i["deduct"]) for i in m["items"] if values[i["fact"]] is False), D(0)))
        if kind == "per_item":
            fired = []
            for rec in items.get(m["items"], []):
                for b in m["bands"]:
                    if ref_contains(ref_interval(b["when"]), rec[m["measure"]]):
                        fired.append(dec(b["deduct"]))
            if not fired:
                return r2(pts)
            return capped(max(fired) if m.get("aggregate") == "worst" else sum(fired, D(0)))
        if kind == "per_unit":
            v, limit, unit = values[m["value"]], ref_number(m["limit"]), ref_number(m["unit"])
            above = m.get("direction", "above") == "above"
            if not (v > limit if above else v < limit):
                return r2(pts)
            units = ((v - limit) if above else (limit - v)) / unit
            units = {"ceil": D(math.ceil(units)), "floor": D(math.floor(units))}.get(m.get("units", "exact"), units)
            return capped(units * dec(m["deduct"]))
        if kind == "manual":
            return r2(min(max(values[m["score"]], D(0)), pts))
        raise AssertionError(kind)


# ---- which facts each leaf reads (for the monotonicity properties) --------------------------

def _names(text: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(ref_normalise(text), mode="eval")) if isinstance(n, ast.Name)}


def _leaves(inds):
    for ind in inds:
        if "children" in ind:
            yield from _leaves(ind["children"])
        else:
            yield ind


def readers(data: dict) -> dict[str, list[tuple[str, str]]]:
    """fact key -> [(kind, role)] for every leaf and formula that reads it."""
    out: dict[str, list] = {}

    def add(key, kind, role):
        out.setdefault(key, []).append((kind, role))
    for leaf in _leaves(data["indicators"]):
        m = leaf["method"]
        k = m["kind"]
        for role in ("rate", "value", "choice", "score", "note", "items"):
            if isinstance(m.get(role), str):
                add(m[role], k, role)
        for r in m.get("rules", []):
            for n in _names(r["when"]):
                add(n, k, "when")
        if k == "checklist":
            for it in m["items"]:
                add(it["fact"], k, "item")
    for f in data["facts"]:
        for decl in [f] + f.get("fields", []):
            if "formula" in decl:
                for n in _names(decl["formula"]):
                    add(n, "formula", decl["key"])
    return out


def raisable_facts(data: dict) -> list[str]:
    """Input facts that raise a proportional leaf's rate and feed nothing else: the rate itself
    when it is given, or the numerator of a derived rate written `A / B` (Panyu's 实际支出数)."""
    facts = {f["key"]: f for f in data["facts"]}
    read = readers(data)
    out = []
    for leaf in _leaves(data["indicators"]):
        m = leaf["method"]
        if m["kind"] != "proportional":
            continue
        rate = facts[m["rate"]]
        if "formula" not in rate:
            candidate, feeds = rate["key"], {rate["key"]}
        else:
            tree = ast.parse(ref_normalise(rate["formula"]), mode="eval").body
            if not (isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div) and isinstance(tree.left, ast.Name)):
                continue
            candidate, feeds = tree.left.id, {tree.left.id, rate["key"]}
            if candidate in _names(ast.unparse(tree.right)) or "formula" in facts.get(candidate, {"formula": 1}):
                continue
        ok = all(
            (k == "proportional" and role == "rate" and key == rate["key"]) or (k == "formula" and role == rate["key"])
            for key in feeds for k, role in read.get(key, []))
        if ok and facts[candidate]["type"] in NUMERIC_TYPES and candidate not in out:
            out.append(candidate)
    return out


def checklist_facts(data: dict) -> list[str]:
    """Boolean facts read only by checklist items."""
    facts = {f["key"]: f for f in data["facts"]}
    return [key for key, uses in readers(data).items()
            if uses and all(k == "checklist" and role == "item" for k, role in uses)
            and "formula" not in facts[key]]


# ---- random valid facts from a policy's declarations ---------------------------------------

DEFAULT_RANGE = {"number": (D(-1000), D(100000)), "percent": (D(0), D("1.5")),
                 "money": (D(0), D(100000)), "count": (D(0), D(30))}
TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=12) \
    .filter(lambda s: s.strip() != "")


def bounds(decl) -> tuple[Decimal, Decimal]:
    lo, hi = DEFAULT_RANGE[decl.type]
    if decl.min is not None:
        lo = decl.min
        hi = max(hi, lo + 1000)
    if decl.max is not None:
        hi = decl.max
        lo = min(lo, hi - 1000) if decl.min is None else lo
    return lo, hi


def typed_number(decl, hints=()):
    """Exact numbers a department can give (six places; whole numbers for counts)."""
    lo, hi = bounds(decl)
    if decl.type == "count":
        a, b = math.ceil(lo), math.floor(hi)
        near = sorted({D(v) for h in hints if isinstance(h, Decimal)
                       for v in (math.floor(h) - 1, math.floor(h), math.ceil(h), math.ceil(h) + 1) if a <= v <= b})
        base = st.integers(a, b).map(D)
    else:
        a, b = math.ceil(lo * 10**6), math.floor(hi * 10**6)
        base = st.one_of(st.integers(a, b).map(lambda n: D(n).scaleb(-6)),
                         st.integers(math.ceil(lo * 100), math.floor(hi * 100)).map(lambda n: D(n).scaleb(-2)))
        near = sorted({q6(dec(h)) + k * ONE_MILLIONTH for h in hints if isinstance(h, Decimal) for k in (-1, 0, 1)
                       if lo <= q6(dec(h)) + k * ONE_MILLIONTH <= hi})
    return st.one_of(base, st.sampled_from(near)) if near else base


def raw_number(decl, v: Decimal):
    """The ways a person writes v in a fact file."""
    t = decl.type
    if t == "percent":            # with its %: only 0 may be bare
        ways: list = [fmt(v * 100) + "%"] + ([v, fmt(v)] if v == 0 else [])
    elif t == "money":            # always with a unit: amounts read together are written alike
        ways = [fmt(v) + "万元", fmt(v * 10000) + "元", format(v * 10000, ",f") + "元"]
    else:
        ways = [v, fmt(v), fmt(v) + ("个" if t == "count" else "项")]
    return st.sampled_from(ways)


def canonical_raw(decl, v):
    if decl.type == "percent":
        return fmt(v * 100) + "%"
    if decl.type == "money":
        return fmt(v) + "万元"
    return v


@st.composite
def fact_value(draw, decl, hints=()):
    """(raw value as written, typed value perfrules should read)."""
    t = decl.type
    if t in NUMERIC_TYPES:
        v = draw(typed_number(decl, hints))
        return draw(raw_number(decl, v)), v
    if t == "boolean":
        return draw(st.sampled_from([(True, True), (False, False), ("是", True), ("否", False), ("有", True),
                                     ("无", False)]))
    if t == "choice":
        v = draw(st.sampled_from(decl.options))
        return v, v
    if t == "text":
        s = draw(st.one_of(TEXT, st.sampled_from([h for h in hints if isinstance(h, str)] or ["文字"])))
        return s, s.strip()
    if t == "texts":
        xs = draw(st.lists(TEXT, max_size=3))
        return xs, [x.strip() for x in xs]
    raise AssertionError(t)


@st.composite
def record(draw, decl, hints):
    raw, typed = {}, {}
    for k, f in decl.fields.items():
        if f.derived:
            continue
        if f.required or draw(st.booleans()):
            raw[k], typed[k] = draw(fact_value(f, hints.get(f"{decl.key}.{k}", ())))
        else:
            typed[k] = f.default
    return raw, typed


@st.composite
def facts_for(draw, policy, hints=None):
    """(raw facts for the fact file, typed top-level values, typed list records)."""
    hints = hints or {}
    raw, typed, items = {}, {}, {}
    for key, decl in policy.facts.items():
        if decl.derived:
            continue
        give = decl.required or draw(st.booleans())
        if decl.type == "list":
            recs = draw(st.lists(record(decl, hints), max_size=5)) if give else []
            if give:
                raw[key] = [r for r, _ in recs]
            items[key] = [t for _, t in recs]
        elif give:
            raw[key], typed[key] = draw(fact_value(decl, hints.get(key, ())))
        else:
            typed[key] = [] if decl.type == "texts" and decl.default is None else decl.default
    return raw, typed, items


def hints_of(data: dict) -> dict[str, list]:
    """Constants a policy compares each fact with: facts are drawn around them too."""
    out: dict[str, list] = {}

    def add(key, value):
        out.setdefault(key, []).append(value)
    for leaf in _leaves(data["indicators"]):
        m = leaf["method"]
        k = m["kind"]
        if k == "bands":
            for b in m["bands"]:
                lo, _, hi, _ = ref_interval(b["when"])
                for x in (lo, hi):
                    if x is not None:
                        add(m["value"], x)
        elif k == "per_item":
            for b in m["bands"]:
                lo, _, hi, _ = ref_interval(b["when"])
                for x in (lo, hi):
                    if x is not None:
                        add(f"{m['items']}.{m['measure']}", x)
        elif k == "per_unit":
            add(m["value"], ref_number(m["limit"]))
        elif k == "proportional":
            add(m["rate"], ref_number(m.get("full_at", 1)))
        elif k == "manual":
            for t in m.get("tiers", []):
                lo, _, hi, _ = ref_interval(t["when"])
                for x in (lo, hi):
                    if x is not None:
                        add(m["score"], x * dec(leaf["points"]))
        elif k == "deductions":
            for r in m["rules"]:
                tree = ast.parse(ref_normalise(r["when"]), mode="eval")
                consts = [ref_eval(ast.unparse(n), {}) for n in ast.walk(tree)
                          if isinstance(n, ast.Constant) and not isinstance(n.value, bool)]
                for name in _names(r["when"]):
                    for c in consts:
                        add(name, c)
    return out


# ---- the properties every result must have --------------------------------------------------

def check_invariants(result) -> None:
    full = result.policy.full_score
    assert 0 <= result.score <= full, f"score {result.score} outside 0..{full}"
    assert result.score == r2(result.score)
    lost = sum((leaf.deduction for leaf in result.leaves()), D(0))
    assert lost == full - result.score, f"deductions add up to {lost}, but {full} - {result.score} = {full - result.score}"
    for ir in walk(result.indicators):
        ind = ir.indicator
        assert ir.score == r2(ir.score) and ir.score.as_tuple().exponent == -2, \
            f"{ind.id}: score {ir.score!r} is not rounded to two places"
        assert ir.score >= 0, f"{ind.id}: negative score {ir.score}"
        assert 0 <= ir.deduction <= ind.points, f"{ind.id} loses {ir.deduction} of its {ind.points} points"
        if ir.children:
            assert ir.score == sum((c.score for c in ir.children), D(0))
        elif ir.deduction > 0:
            assert ir.reasons and ir.reasons_en, f"{ind.id} loses {ir.deduction} without a reason"


def deductions(result) -> dict[str, Decimal]:
    return {ir.indicator.id: ir.deduction for ir in walk(result.indicators)}


def check_reference(data: dict, result, typed: dict, items: dict) -> None:
    total, scores = Reference(data).score(typed, items)
    got = {ir.indicator.id: ir.score for ir in walk(result.indicators)}
    assert got == scores, "indicator scores differ from the reference: " + ", ".join(
        f"{k}: perfrules {got.get(k)} reference {scores.get(k)}" for k in scores if got.get(k) != scores.get(k))
    assert result.score == total


def check_facts_read(dept, typed: dict, items: dict) -> None:
    """perfrules reads every given fact as the strategy meant it."""
    for key, v in typed.items():
        assert dept.values[key] == v, f"{key}: read {dept.values[key]!r}, meant {v!r}"
    for key, recs in items.items():
        got = [{k: r[k] for k in rec} for r, rec in zip(dept.items[key], recs)]
        assert got == recs, f"{key}: read {got}, meant {recs}"


# ---- (a) shipped policies -------------------------------------------------------------------

SHIPPED = sorted(p for p in RULES.rglob("*.yaml")
                 if not p.name.endswith(".cases.yaml") and not p.parent.name.endswith(".cases"))
_CACHE: dict = {}


def shipped(path):
    """(raw data, compiled policy, hints) for a shipped policy; compiled once per process."""
    if path not in _CACHE:
        doc = load_file(path)
        _CACHE[path] = (doc.data, compile_policy(policy_from_document(doc)), hints_of(doc.data))
    return _CACHE[path]


def _pid(path) -> str:
    return path.relative_to(RULES).with_suffix("").as_posix()


def drawn_department(path, data):
    """(raw policy, compiled, department, typed facts, list records) for facts drawn for a
    shipped policy; None where the policy rightly refuses them (a divisor of 0, a derived fact
    past its min/max: E405, E407), any other refusal fails the test."""
    raw_policy, compiled, hints = shipped(path)
    raw, typed, items = data.draw(facts_for(compiled.policy, hints), label="facts")
    try:
        dept = department(compiled, raw)
    except InputError as exc:
        assume({p.code for p in exc.problems} <= {"E405", "E407"})
        return None
    return raw_policy, compiled, dept, typed, items


@pytest.mark.parametrize("path", SHIPPED, ids=_pid)
@given(data=st.data())
def test_shipped_invariants_and_reference(path, data):
    drawn = drawn_department(path, data)
    if drawn is None:
        return
    raw_policy, compiled, dept, typed, items = drawn
    check_facts_read(dept, typed, items)
    result = evaluate_department(compiled.policy, dept)
    check_invariants(result)
    check_reference(raw_policy, result, typed, items)
    check_matchers_agree(compiled.policy, dept, result)


@pytest.mark.parametrize("path", [p for p in SHIPPED if raisable_facts(load_file(p).data)], ids=_pid)
@given(data=st.data())
def test_shipped_more_spending_never_lowers_the_score(path, data):
    raw_policy, compiled, hints = shipped(path)
    raw, typed, items = data.draw(facts_for(compiled.policy, hints), label="facts")
    key = data.draw(st.sampled_from(raisable_facts(raw_policy)), label="raised")
    decl = compiled.policy.facts[key]
    _, hi = bounds(decl)
    old = typed[key]
    new = data.draw(st.one_of(st.integers(0, 10**6), st.integers(0, 10**12)).map(
        lambda n: min(old + D(n).scaleb(-6), hi)), label="raised to")
    if decl.type == "count":
        new = D(math.floor(new))
    assume(new >= old)
    before, after = score_of(compiled, raw), score_of(compiled, {**raw, key: canonical_raw(decl, new)})
    assume(before is not None and after is not None)
    note(f"{key}: {old} -> {new}; score {before.score} -> {after.score}")
    assert after.score >= before.score


@pytest.mark.parametrize("path", [p for p in SHIPPED if checklist_facts(load_file(p).data)], ids=_pid)
@given(data=st.data())
def test_shipped_checklist_true_never_lowers_the_score(path, data):
    raw_policy, compiled, hints = shipped(path)
    raw, typed, items = data.draw(facts_for(compiled.policy, hints), label="facts")
    key = data.draw(st.sampled_from(checklist_facts(raw_policy)), label="checklist fact")
    no, yes = score_of(compiled, {**raw, key: False}), score_of(compiled, {**raw, key: True})
    assume(no is not None and yes is not None)
    assert yes.score >= no.score


def shuffled(data: dict, rnd) -> dict:
    """The same policy with every order that carries no meaning shuffled."""
    data = copy.deepcopy(data)
    rnd.shuffle(data["facts"])
    for f in data["facts"]:
        if "fields" in f:
            rnd.shuffle(f["fields"])

    def inds(xs):
        rnd.shuffle(xs)
        for x in xs:
            if "children" in x:
                inds(x["children"])
            else:
                m = x["method"]
                for k in ("rules", "bands", "items", "tiers"):
                    if isinstance(m.get(k), list):
                        rnd.shuffle(m[k])
    inds(data["indicators"])
    data["version"] = f"{data['version']}-shuffled"    # a policy of its own (another ruleset)
    return data


@pytest.mark.parametrize("path", SHIPPED, ids=_pid)
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_shipped_shuffled_policy_scores_the_same(path, data, rnd):
    raw_policy, compiled, hints = shipped(path)
    other = compile_dict(shuffled(raw_policy, rnd))
    for _ in range(3):
        raw, _, _ = data.draw(facts_for(compiled.policy, hints), label="facts")
        a, b = score_of(compiled, raw), score_of(other, raw)
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert b.score == a.score
        assert deductions(b) == deductions(a)


# ---- regressions: inputs these properties failed on, kept as explicit examples ---------------

def _one_leaf(facts: list[dict], method: dict, points=D(10)) -> dict:
    return {"id": "test/regression", "title": "回归用例", "year": 2023, "version": "1", "full_score": points,
            "grades": [{"grade": "优", "min": r2(points * D("0.9"))}, {"grade": "差", "min": 0}],
            "facts": facts, "indicators": [{"id": "A", "name": "甲", "points": points, "method": method}]}


_X = [{"key": "x", "type": "number", "required": True}]
_R = "扣{扣分}分"
# a constant with a seventh decimal: 'x < 1.0000004' held for x = 1 only after the fix
SEVENTH_DECIMAL = (_one_leaf(_X, {"kind": "deductions", "rules": [
    {"when": "1 <= x < 1.0000001", "deduct": 1, "reason": _R}, {"when": "x < 1.0000004", "deduct": 2, "reason": _R},
    {"when": "x == 1.0000001", "deduct": 3, "reason": _R}, {"when": "x != 1.0000001", "deduct": D("0.5"), "reason": _R}]}),
    [({"x": D(1)}, {"x": D("1.000000")}, {})])
# a band bound with a seventh decimal: x = 1 fell into '>= 1.0000004'
BAND_BOUND = (_one_leaf(_X, {"kind": "bands", "value": "x", "bands": [
    {"when": "< 1.0000004", "score": 1, "reason": _R}, {"when": ">= 1.0000004", "score": 10}]}),
    [({"x": D(1)}, {"x": D("1.000000")}, {})])
# a band or tier scoring 1.234 (or 10): the indicator score was not rounded to two places
BAND_SCORE = (_one_leaf(_X + [{"key": "档", "type": "choice", "options": ["好", "差"], "required": True}], {
    "kind": "bands", "value": "x", "bands": [{"when": "< 2", "score": D("1.234"), "reason": _R}, {"when": ">= 2", "score": 10}]}),
    [({"x": D(1), "档": "好"}, {"x": D("1.000000"), "档": "好"}, {}),
     ({"x": D(5), "档": "好"}, {"x": D("5.000000"), "档": "好"}, {})])
# a number or text used as a yes/no: '个数 and 有制度' never fired for 个数 = 2, 'not 文字' fired for '0'
TRUTHINESS = (_one_leaf([{"key": "个数", "type": "count", "required": True}, {"key": "有制度", "type": "boolean", "required": True},
                         {"key": "文字", "type": "text", "required": True}], {"kind": "deductions", "rules": [
    {"when": "个数 and 有制度", "deduct": 1, "reason": _R}, {"when": "not 文字", "deduct": 2, "reason": _R},
    {"when": "not 个数 or 文字", "deduct": 3, "reason": _R}]}),
    [({"个数": 2, "有制度": True, "文字": "0"}, {"个数": D("2.000000"), "有制度": True, "文字": "0"}, {}),
     ({"个数": 0, "有制度": True, "文字": "无"}, {"个数": D("0.000000"), "有制度": True, "文字": "无"}, {})])
# constants beyond Decimal's reach: compile crashed with decimal.InvalidOperation (exit 3)
HUGE_CONSTANT = (_one_leaf(_X, {"kind": "deductions", "rules": [
    {"when": "x < 1e400", "deduct": 1, "reason": _R}, {"when": "x > 100000000000000000000000000", "deduct": 2, "reason": _R},
    {"when": "x > -1e13", "deduct": 3, "reason": _R}]}),
    [({"x": D(1)}, {"x": D("1.000000")}, {})])
REGRESSIONS = [SEVENTH_DECIMAL, BAND_BOUND, BAND_SCORE, TRUTHINESS, HUGE_CONSTANT]


def _examples(*cases):
    def wrap(test):
        for case in reversed(cases):
            test = example(case=case)(test)
        return test
    return wrap


@example(fine=D("0.001"))
@given(fine=st.integers(1, 99999).filter(lambda n: n % 10).map(lambda n: D(n).scaleb(-3)))
def test_points_finer_than_a_cent_are_refused(fine):
    """99.999 + 0.001 points: an indicator lost 100.00 of its 99.999 and the deductions did not
    add up to full - score; validate now refuses points finer than a cent (E205)."""
    method = {"kind": "checklist", "items": [{"fact": "b", "label": "制度", "deduct": D("0.001")}], "reason": _R}
    data = _one_leaf([{"key": "b", "type": "boolean", "required": True}], method, D(100))
    data["indicators"] = [dict(data["indicators"][0], points=D(100) - fine),
                          dict(data["indicators"][0], id="B", points=fine)]
    with pytest.raises(InputError) as exc:
        compile_dict(data)
    assert any(p.code == "E205" and p.line for p in exc.value.problems)


# ---- (b) generated policies ----------------------------------------------------------------

KINDS = ("proportional", "bands", "deductions", "per_item", "checklist", "tiered", "per_unit", "manual")
OPTIONS = ["优秀", "良好", "一般", "较差", "差", "A", "B"]


class _Gen:
    """Builds one random valid policy (as YAML data) with hypothesis' draw."""

    def __init__(self, draw):
        self.draw = draw
        self.facts: list[dict] = []
        self.n = 0
        self.pool = None
        # rare, sharper inputs: three-decimal scores and deductions, constants finer than 1e-6
        self.fine = draw(st.integers(0, 9)) == 0
        self.edgy = draw(st.integers(0, 4)) == 0

    def i(self) -> int:
        self.n += 1
        return self.n

    # -- numbers
    def amount(self, points: Decimal, zero=False, unit=None) -> Decimal:
        unit = unit or (D("0.001") if self.fine else TWO)
        n = int(points / unit)
        return D(self.draw(st.integers(0 if zero else 1, max(n, 1)))) * unit

    def const(self, t: str, lo=None) -> Decimal:
        """A constant for a fact of type t (above lo when given)."""
        d = self.draw
        base = D(0) if lo is None else lo
        if t == "count":
            x = base + d(st.integers(1, 30))
        elif t == "percent":
            x = base + D(d(st.integers(1, 15000))).scaleb(-4)
        else:
            x = base + d(st.sampled_from([D(1), TWO, ONE_MILLIONTH])) * d(st.integers(1, 100000))
        if self.edgy and d(st.integers(0, 2)) == 0:
            x += D(d(st.integers(1, 9))).scaleb(-7)          # a seventh decimal place
        return x

    def ntext(self, x: Decimal, t: str) -> str:
        """A constant as a policy writes it: with % against a percent fact (0 may be bare)."""
        if t == "percent" and (x != 0 or self.draw(st.booleans())):
            return fmt(x * 100) + "%"
        return fmt(x)

    # -- intervals
    def cuts(self, t: str, lo) -> list[Decimal]:
        k = self.draw(st.integers(0, 4))
        return sorted({self.const(t, lo) for _ in range(k)})

    def cover(self, cuts, lo) -> list[tuple]:
        """Intervals that neither overlap nor leave a gap from lo (or -inf) up."""
        d = self.draw
        start = (None, False) if lo is None or d(st.booleans()) else (lo, True)
        out, (a, ac) = [], start
        for c in cuts:
            how = d(st.sampled_from(["left", "right", "point"]))
            if how == "left":
                out.append((a, ac, c, True))
                a, ac = c, False
            elif how == "right":
                out.append((a, ac, c, False))
                a, ac = c, True
            else:
                out += [(a, ac, c, False), (c, True, c, True)]
                a, ac = c, False
        out.append((a, ac, None, False))
        return out

    def itext(self, iv, t) -> str:
        d = self.draw
        lo, lc, hi, hc = iv
        if lo is not None and lo == hi:
            return d(st.sampled_from(["[{0}, {0}]", "= {0}", "== {0}"])).format(self.ntext(lo, t))
        if lo is None and hi is None:
            return "(-inf, +inf)"
        if lo is None:
            h = self.ntext(hi, t)
            return d(st.sampled_from([f"(-inf, {h}{']' if hc else ')'}", f"(-∞, {h}{']' if hc else ')'}",
                                      f"{'<=' if hc else '<'} {h}", f"{'≤' if hc else '<'} {h}"]))
        if hi is None:
            lt = self.ntext(lo, t)
            return d(st.sampled_from([f"{'[' if lc else '('}{lt}, +inf)", f"{'[' if lc else '('}{lt}, ∞)",
                                      f"{'>=' if lc else '>'} {lt}", f"{'≥' if lc else '>'} {lt}"]))
        return f"{'[' if lc else '('}{self.ntext(lo, t)}, {self.ntext(hi, t)}{']' if hc else ')'}"

    def fact(self, **f) -> str:
        self.facts.append(f)
        return f["key"]

    # -- leaves, one per method kind
    def m_proportional(self, points):
        d, n = self.draw, self.i()
        if d(st.booleans()):
            rate = self.fact(key=f"执行率{n}", type="percent", required=True)
        else:
            b = self.fact(key=f"预算数{n}", type="money", required=True, min=ONE_MILLIONTH)
            a = self.fact(key=f"支出数{n}", type="money", required=True)
            rate = self.fact(key=f"执行率{n}", type="percent", formula=d(st.sampled_from([f"{a} / {b}", f"{a} ÷ {b}"])))
        m = {"kind": "proportional", "rate": rate}
        full_at = d(st.sampled_from([None, "100%", "90%", "95%", "95.5%", "80%"]))
        if full_at is not None:
            m["full_at"] = full_at
        m["reason"] = f"支出率{{{rate}:%}}，扣{{扣分}}分"
        return m

    def m_bands(self, points):
        d, n = self.draw, self.i()
        t = d(st.sampled_from(["percent", "number", "money", "count"]))
        decl = {"key": f"分档值{n}", "type": t, "required": True}
        lo = D(0) if t in ("money", "count") else None
        if t in ("number", "percent") and d(st.booleans()):
            lo = decl["min"] = D(0)
        key = self.fact(**decl)
        bands = []
        for iv in self.cover(self.cuts(t, lo), lo):
            s = self.amount(points, zero=True, unit=D("0.001") if self.fine else None)
            band = {"when": self.itext(iv, t), "score": s}
            if s < points or d(st.booleans()):
                band["reason"] = "{" + key + "}落在{区间}，得{得分}分，扣{扣分}分"
            bands.append(band)
        return {"kind": "bands", "value": key, "bands": d(st.permutations(bands))}

    def cond_pool(self):
        if self.pool is None:
            f = self.fact
            self.pool = {
                "number": [f(key="条件数", type="number", required=True), f(key="条件率", type="percent", required=True),
                           f(key="条件额", type="money", default=0), f(key="条件个", type="count", default=0)],
                "boolean": [f(key="条件是", type="boolean", required=True), f(key="条件否", type="boolean", default=False)],
                "text": [f(key="条件选", type="choice", options=["甲", "乙", "丙"], default="甲"),
                         f(key="条件文", type="text", default="无")],
            }
            self.pool["number"].append(f(key="条件差", type="number", formula="条件数 - 条件额"))
            self.pool["boolean"].append(f(key="条件超", type="boolean", formula="条件额 > 条件数"))
        return self.pool

    def cond(self, depth=0) -> str:
        d, pool = self.draw, self.cond_pool()
        form = d(st.integers(0, 9 if depth < 2 else 6))
        ops = ["<", "<=", ">", ">=", "==", "!=", "≥", "≤", "≠"]
        if form <= 2:
            name = d(st.sampled_from(pool["number"]))
            op = d(st.sampled_from(ops))
            t = "percent" if name == "条件率" else ("count" if name == "条件个" else "number")
            if d(st.integers(0, 3)) == 0:
                rhs = d(st.sampled_from(pool["number"]))
            else:
                c = self.const(t) * d(st.sampled_from([1, 1, -1]))
                if self.edgy and d(st.integers(0, 5)) == 0:
                    c = D(d(st.sampled_from(["1e13", "-1e13", "1e15", "9223372036854.775807"])))
                rhs = self.ntext(c, t) if c >= 0 else "-" + self.ntext(-c, t)
            return f"{rhs} {op} {name}" if d(st.booleans()) else f"{name} {op} {rhs}"
        if form == 3:
            name = d(st.sampled_from(pool["number"]))
            t = "percent" if name == "条件率" else "number"
            a, b = sorted([self.const("number"), self.const("number")])
            return f"{self.ntext(a, t)} {d(st.sampled_from(['<', '<=']))} {name} {d(st.sampled_from(['<', '<=']))} {self.ntext(b, t)}"
        if form == 4:
            name = d(st.sampled_from(pool["boolean"]))
            other = d(st.sampled_from(pool["boolean"]))
            return d(st.sampled_from([name, f"not {name}", f"{name} == True", f"{name} != False", f"{name} == {other}",
                                      f"{name} != {other}"]))
        if form == 5:
            name = d(st.sampled_from(pool["text"]))
            s = d(st.sampled_from(["甲", "乙", "丙", "丁", "无", "有"]))
            op = d(st.sampled_from(["==", "!="]))
            return d(st.sampled_from([f"{name} {op} '{s}'", f'"{s}" {op} {name}']))
        if form == 6:
            return d(st.sampled_from(["True", "False", "1 < 2", "2 <= 1", "0 == 0"]))
        if form == 7:
            parts = [self.cond(depth + 1) for _ in range(d(st.integers(2, 3)))]
            return f" {d(st.sampled_from(['and', 'or']))} ".join(f"({p})" for p in parts)
        if form == 8:
            return f"not ({self.cond(depth + 1)})"
        # a number or text where a yes/no is expected: Python's truthiness
        name = d(st.sampled_from(pool["number"] + pool["text"]))
        return d(st.sampled_from([f"{name} and ({self.cond(depth + 1)})", f"({self.cond(depth + 1)}) or {name}",
                                  f"not {name}"]))

    def m_deductions(self, points):
        rules = [{"when": self.cond(), "deduct": self.amount(points), "reason": "条件成立，扣{扣分}分"}
                 for _ in range(self.draw(st.integers(1, 4)))]
        return {"kind": "deductions", "rules": rules}

    def m_per_item(self, points):
        d, n = self.draw, self.i()
        fields = [{"key": "名称", "type": "text", "required": True}]
        variant = d(st.integers(0, 2))
        if variant == 0:
            fields += [{"key": "目标值", "type": "number", "required": True, "min": TWO},
                       {"key": "实际值", "type": "number", "required": True, "min": 0},
                       {"key": "差距率", "type": "percent", "formula": "max(0, (目标值 - 实际值) / 目标值)"}]
            measure, t, lo = "差距率", "percent", D(0)
        elif variant == 1:
            fields.append({"key": "完成率", "type": "percent", "required": True})
            measure, t, lo = "完成率", "percent", None
        else:
            fields.append({"key": "逾期天数", "type": "number", "min": 0, "default": 0})
            measure, t, lo = "逾期天数", "number", D(0)
        key = self.fact(key=f"清单{n}", type="list", fields=d(st.permutations(fields)))
        ivs = self.cover(self.cuts(t, lo), lo)
        keep = d(st.lists(st.sampled_from(range(len(ivs))), min_size=1, unique=True))
        bands = [{"when": self.itext(ivs[i], t), "deduct": self.amount(points), "reason": "{项目}共{个数}项，扣{扣分}分"}
                 for i in sorted(keep)]
        m = {"kind": "per_item", "items": key, "measure": measure}
        if d(st.booleans()):
            m["item_label"] = "名称"
        agg = d(st.sampled_from([None, "each", "worst"]))
        if agg:
            m["aggregate"] = agg
        m["bands"] = bands
        return m

    def m_checklist(self, points):
        d, n = self.draw, self.i()
        items = []
        for j in range(d(st.integers(1, 5))):
            decl = {"key": f"有制度{n}_{j}", "type": "boolean"}
            if d(st.booleans()):
                decl["required"] = True
            else:
                decl["default"] = d(st.booleans())
            items.append({"fact": self.fact(**decl), "label": f"制度{j}", "deduct": self.amount(points)})
        return {"kind": "checklist", "items": items, "reason": "缺少{缺少项}（{缺少个数}项），扣{扣分}分"}

    def m_tiered(self, points):
        d, n = self.draw, self.i()
        options = d(st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=4, unique=True))
        decl = {"key": f"等级{n}", "type": "choice", "options": options}
        if d(st.booleans()):
            decl["required"] = True
        else:
            decl["default"] = d(st.sampled_from(options))
        key = self.fact(**decl)
        tiers = []
        for o in d(st.permutations(options)):
            s = self.amount(points, zero=True, unit=D("0.001") if self.fine else None)
            tier = {"value": o, "score": s}
            if s < points:
                tier["reason"] = "评为{档次}，扣{扣分}分"
            tiers.append(tier)
        return {"kind": "tiered", "choice": key, "tiers": tiers}

    def m_per_unit(self, points):
        d, n = self.draw, self.i()
        t = d(st.sampled_from(["count", "number", "percent", "money"]))
        key = self.fact(key=f"违规数{n}", type=t, default=0) if d(st.booleans()) else \
            self.fact(key=f"违规数{n}", type=t, required=True)
        limit = self.const(t) - (1 if t == "count" else 0)
        m = {"kind": "per_unit", "value": key, "limit": self.ntext(limit, t) if t == "percent" else limit,
             "unit": d(st.sampled_from(["1%", "5%", "0.5%"] if t == "percent" else [1, 2, D("0.5"), D("0.1"), 10]
                                       + (["1%", "5%"] if t == "number" else []))), "deduct": self.amount(points)}
        for opt, values in (("direction", ["above", "below"]), ("units", ["exact", "ceil", "floor"])):
            v = d(st.sampled_from([None] + values))
            if v:
                m[opt] = v
        m["reason"] = "超出{超出}个单位，扣{扣分}分"
        return m

    def m_manual(self, points):
        d, n = self.draw, self.i()
        key = self.fact(key=f"手评{n}", type="number", required=True, min=0, max=points)
        note_key = self.fact(key=f"手评说明{n}", type="text", required=True)
        m = {"kind": "manual", "score": key, "note": note_key}
        if d(st.booleans()):
            ivs = self.cover(sorted({D(d(st.integers(1, 99))).scaleb(-2) for _ in range(d(st.integers(0, 3)))}), D(0))
            m["tiers"] = [{"label": f"第{i + 1}档", "when": self.itext(iv, "percent")} for i, iv in enumerate(ivs)]
        m["reason"] = "手工评分：{说明}（{档次}），扣{扣分}分"
        return m

    # -- the tree
    def split(self, total: Decimal, sizes: list[int], unit: Decimal) -> list[Decimal]:
        """total split into len(sizes) parts, part i at least sizes[i] units."""
        spare = int(total / unit) - sum(sizes)
        cuts = sorted(self.draw(st.lists(st.integers(0, spare), min_size=len(sizes) - 1, max_size=len(sizes) - 1)))
        edges = [0] + cuts + [spare]
        return [(s + edges[i + 1] - edges[i]) * unit for i, s in enumerate(sizes)]

    def group(self, kinds: list[str], points: Decimal, prefix: str, depth: int, unit: Decimal) -> list[dict]:
        d = self.draw
        k = len(kinds) if depth >= 3 else d(st.integers(1, len(kinds)))
        cuts = sorted(d(st.lists(st.integers(1, len(kinds) - 1), min_size=k - 1, max_size=k - 1, unique=True))) \
            if k > 1 else []
        groups = [kinds[a:b] for a, b in zip([0] + cuts, cuts + [len(kinds)])]
        out = []
        for i, (grp, pts) in enumerate(zip(groups, self.split(points, [len(g) for g in groups], unit))):
            ind = {"id": f"{prefix}{i + 1}", "name": f"指标{prefix}{i + 1}", "points": pts}
            if len(grp) == 1 and (depth >= 2 or d(st.integers(0, 3)) > 0):
                ind["method"] = getattr(self, "m_" + grp[0])(pts)
            else:
                ind["children"] = self.group(grp, pts, f"{prefix}{i + 1}-", depth + 1, unit)
            out.append(ind)
        return out

    def policy(self, require=()) -> dict:
        d = self.draw
        full = d(st.one_of(st.just(D(100)), st.integers(1, 1000).map(D), st.integers(100, 100000).map(lambda n: D(n).scaleb(-2))))
        kinds = list(d(st.permutations(list(d(st.lists(st.sampled_from(KINDS), min_size=1, max_size=7))) + list(require))))
        tops = self.group(kinds, full, "I", 0, TWO)      # points to the cent (validate refuses finer)
        return {"id": "test/generated", "title": "随机生成的评分办法", "year": 2023, "version": "1", "full_score": full,
                "grades": [{"grade": "优", "min": r2(full * D("0.9"))}, {"grade": "良", "min": r2(full * D("0.8"))},
                           {"grade": "差", "min": 0}],
                "facts": self.facts, "indicators": tops}


@st.composite
def generated_policy(draw, require=()):
    return _Gen(draw).policy(require)


def validated(data: dict):
    note(dump(data))
    try:
        return policy_from_document(load_text(dump(data), "<policy>"))
    except InputError as exc:
        raise AssertionError("a generated policy did not validate: "
                             + "; ".join(f"{p.code} {p.path} {p.message}" for p in exc.problems)) from None


@st.composite
def generated_case(draw, require=(), departments=1):
    """(policy data, [(raw facts, typed values, typed records), ...]): plain data, so that a
    failing case can be kept as an @example."""
    data = draw(generated_policy(require))
    policy = validated(data)
    return data, [draw(facts_for(policy, hints_of(data))) for _ in range(departments)]


@_examples(*REGRESSIONS)
@given(case=generated_case(departments=2))
def test_generated_invariants(case):
    policy, departments = case
    compiled = compile_dict(policy)
    for raw, typed, items in departments:
        dept = department(compiled, raw)
        check_facts_read(dept, typed, items)
        check_invariants(evaluate_department(compiled.policy, dept))


@_examples(*REGRESSIONS)
@given(case=generated_case(departments=3))
def test_generated_matches_reference(case):
    policy, departments = case
    compiled = compile_dict(policy)
    for raw, typed, items in departments:
        dept = department(compiled, raw)
        result = evaluate_department(compiled.policy, dept)
        check_reference(policy, result, typed, items)
        check_matchers_agree(compiled.policy, dept, result)


@given(case=generated_case(require=("proportional",)), data=st.data())
def test_generated_higher_rate_never_lowers_the_score(case, data):
    policy, [(raw, typed, _)] = case
    compiled = compile_dict(policy)
    key = data.draw(st.sampled_from(raisable_facts(policy)), label="raised")
    decl = compiled.policy.facts[key]
    _, hi = bounds(decl)
    new = data.draw(st.integers(0, 10**9).map(lambda n: min(typed[key] + D(n).scaleb(-6), hi)), label="raised to")
    if decl.type == "count":
        new = D(math.floor(new))
    assume(new >= typed[key])
    before, after = score_of(compiled, raw), score_of(compiled, {**raw, key: canonical_raw(decl, new)})
    assume(before is not None and after is not None)
    note(f"{key}: {typed[key]} -> {new}; score {before.score} -> {after.score}")
    assert after.score >= before.score


@given(case=generated_case(require=("checklist",)), data=st.data())
def test_generated_checklist_true_never_lowers_the_score(case, data):
    policy, [(raw, _, _)] = case
    compiled = compile_dict(policy)
    key = data.draw(st.sampled_from(checklist_facts(policy)), label="checklist fact")
    no, yes = score_of(compiled, {**raw, key: False}), score_of(compiled, {**raw, key: True})
    assert yes.score >= no.score


@given(case=generated_case(departments=2), rnd=st.randoms(use_true_random=False))
def test_generated_shuffled_policy_scores_the_same(case, rnd):
    policy, departments = case
    compiled, other = compile_dict(policy), compile_dict(shuffled(policy, rnd))
    for raw, _, _ in departments:
        a, b = evaluate_department(compiled.policy, department(compiled, raw)), evaluate_department(other.policy, department(other, raw))
        assert b.score == a.score
        assert deductions(b) == deductions(a)
