"""Everything durable_rules sees, encoded: a policy's rules as rulesets ("shards"), and a
department as small flat facts.

    {"t": "d", "id": "d", "f0": …, "f1": …}          the department: only the facts the shard's rules read
    {"t": "i", "id": "i3_0", "k": "3", "n": "0", "v": …}  one list record, for per_item leaf 3, its measure
    {"t": "i", "id": "i4_0", "k": "4", "n": "0", "a": …, "b": …, "c": …}   one record of weighted leaf 4:
                                                      the two fields compared and its choice field

Each rule is one durable rule, except a deduction condition, which is one durable rule per
alternative (limits.alternatives: `a or b` is two, each a plain conjunction), so durable never
sees `$or` and every pattern is one flat `$and`. The rules are packed into shards that durable
can hold (durable_shards.py); an ordinary policy is one shard. Every value durable sees is
text: numbers (facts and constants alike, exact, never rounded) in the order-preserving text of
order.py, so that durable's byte-wise string comparison decides exactly what Python's Decimal
comparison decides, for any number of digits; yes/no as "true"/"false"; text as it is; a
record's leaf and index as decimal text. durable so never meets a float, an exponent form or
its integer division (which its C core trips on). Every pattern starts
with a positive test on "t", so no rule can match durable's own session-state object (which
would loop forever). Facts carry their own "id", so durable never has to hash one (its 32-bit
fact hashes collide, and a colliding fact is silently dropped as a "duplicate").
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

from ..expr import Interval
from ..limits import MAX_ALTERNATIVES, Test, alternatives, count_alternatives
from ..model import Compare, Department, EngineError, Holds, InInterval, ItemCompare, ItemInInterval, Policy, Rule, When
from .durable_shards import Part, pack
from .order import ZERO, encode

Pattern = dict[str, object]

# Constant conditions, as patterns on the department fact: one always holds, one never does.
TRUE: Pattern = {"t": "d"}
FALSE: Pattern = {"t": "never"}
_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}


@dataclass(frozen=True)
class Shard:
    """One durable ruleset and what its sessions are given."""
    name: str                                   # the durable ruleset name
    ruleset: Mapping[str, object]               # {name: {rule name: rule}}
    codes: Mapping[str, str]                    # fact key -> short field name in this shard's department fact
    item_leaves: tuple[tuple[int, str, str], ...]   # (k, list key, measure) of its item rules
    item_rules: frozenset[int]                  # rule indexes that match item facts
    item_pairs: tuple[tuple[int, str, str, str, str | None], ...] = ()   # (k, list key, left, right, choice) of its ItemCompare rules


@dataclass(frozen=True)
class Compiled:
    policy: Policy
    name: str                                   # the base of the shards' ruleset names
    shards: tuple[Shard, ...]


def text(value: object) -> str:
    """A fact value or constant as durable is given it: numbers in order-preserving text,
    yes/no as "true"/"false", text as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return encode(value)
    assert isinstance(value, str), value
    return value


def compile_policy(policy: Policy) -> Compiled:
    codes: dict[str, str] = {}

    def code(key: str) -> str:
        if key not in codes:
            codes[key] = f"f{len(codes)}"
        return codes[key]

    leaf_no = {leaf.id: i for i, leaf in enumerate(policy.leaves())}
    types = {k: f.expr_type for k, f in policy.facts.items() if f.expr_type}
    parts = [p for rule in policy.rules for p in rule_parts(rule, leaf_no, code, types)]
    name = "perfrules_" + policy.sha256[:16]
    shards = []
    for i, group in enumerate(pack(parts)):
        items = {p.leaf: p for p in group if p.leaf is not None}
        leaves = {}
        for k in items:
            when = policy.rules[items[k].rule].when
            if isinstance(when, ItemInInterval):
                leaves[k] = (k, when.items, when.measure)
        shard_name = f"{name}_{i}"
        shards.append(Shard(shard_name, {shard_name: {p.name: {"all": [{"m": p.pattern}]} for p in group}},
                            {f: codes[f] for f in dict.fromkeys(f for p in group for f in p.fields)},
                            tuple(sorted(leaves.values())), frozenset(p.rule for p in group if p.leaf is not None),
                            item_pairs(policy, group)))
    return Compiled(policy, name, tuple(shards))


def rule_parts(rule: Rule, leaf_no: Mapping[str, int], code: Callable[[str], str],
               types: Mapping[str, str]) -> list[Part]:
    """The durable rules of one rule: one, or one per alternative of a condition (none when
    it can never hold)."""
    when = rule.when
    if isinstance(when, ItemCompare):
        return [pair_part(rule, when, leaf_no[rule.leaf])]
    if isinstance(when, ItemInInterval):
        k = leaf_no[rule.leaf]
        tests = flat([{"k": str(k)}, *interval(when.interval, "v")])
        return [] if tests is None else [Part(f"r{rule.index}", rule.index, "i", tuple(tests), (), k)]
    if isinstance(when, Holds):
        tree = when.condition.tree
        if count_alternatives(tree) > MAX_ALTERNATIVES:       # validate refuses these
            raise EngineError(f"rule {rule.index}: condition too wide for durable_rules")
        alts = alternatives(tree)
        out = []
        for j, alt in enumerate(alts):
            tests = flat([_test(t, code, types) for t in alt])
            if tests is not None:
                names = tuple(dict.fromkeys(n for t in alt for n in t.names))
                out.append(Part(f"r{rule.index}" if len(alts) == 1 else f"r{rule.index}p{j}", rule.index, "d",
                                tuple(tests), names))
        return out
    tests = flat(department_pattern(when, code))
    return [] if tests is None else [Part(f"r{rule.index}", rule.index, "d", tuple(tests), (_fact_of(when),))]


# ---- records compared field to field (weighted) -----------------------------------------------

_PAIR = {"<": "$lt", ">": "$gt"}


def pair_part(rule: Rule, when: ItemCompare, k: int) -> Part:
    """One durable rule over the item facts of leaf k: a == b's choice, then a OP b."""
    tests: list[Pattern] = [{"k": str(k)}]
    if when.field is not None:
        tests.append({"c": text(when.value)})
    tests.append({_PAIR[when.op]: {"a": {"$m": "b"}}})
    return Part(f"r{rule.index}", rule.index, "i", tuple(tests), (), k)


def item_pairs(policy: Policy, group: list[Part]) -> tuple[tuple[int, str, str, str, str | None], ...]:
    """(k, list key, left, right, choice field) for each weighted leaf with a rule in the shard."""
    out = {}
    for p in group:
        when = policy.rules[p.rule].when
        if p.leaf is not None and isinstance(when, ItemCompare):
            out[p.leaf] = (p.leaf, when.items, when.left, when.right, when.field)
    return tuple(sorted(out.values(), key=lambda x: x[0]))


def pair_facts(shard: Shard, dept: Department) -> list[tuple[str, str]]:
    """The item facts of the shard's weighted leaves: each record's two fields and its choice."""
    out: list[tuple[str, str]] = []
    for k, list_key, left, right, choice in shard.item_pairs:
        for n, rec in enumerate(dept.items.get(list_key, ())):
            id_ = f"i{k}_{n}"
            fact = f'{{"t":"i","id":"{id_}","k":"{k}","n":"{n}","a":{quoted(rec[left])},"b":{quoted(rec[right])}'
            out.append((id_, fact if choice is None else f'{fact},"c":{quoted(rec[choice])}'))
    return out


def _fact_of(when: When) -> str:
    assert isinstance(when, (Compare, InInterval))
    return when.fact


def flat(tests: list[Pattern]) -> list[Pattern] | None:
    """Tests as one flat conjunction: nested $and spliced in, TRUE dropped; None if one is FALSE."""
    out: list[Pattern] = []
    for t in tests:
        if t == FALSE:
            return None
        if t == TRUE:
            continue
        if list(t) == ["$and"]:
            inner = t["$and"]
            assert isinstance(inner, list)
            rest = flat(inner)
            if rest is None:
                return None
            out.extend(rest)
        else:
            out.append(t)
    return out


def department_pattern(when: When, code: Callable[[str], str]) -> list[Pattern]:
    if isinstance(when, Compare):
        return [compare(code(when.fact), when.op, when.value)]
    if isinstance(when, InInterval):
        return interval(when.interval, code(when.fact))
    raise TypeError(f"not a department test: {when!r}")


def compare(field: str, op: str, value: object) -> Pattern:
    """field OP constant, exact for any constant."""
    if op == "==":
        return {field: text(value)}
    return {_OP[op]: {field: text(value)}}


def interval(iv: Interval, field: str) -> list[Pattern]:
    if iv.lo is not None and iv.hi is not None and iv.lo == iv.hi:
        return [{field: encode(iv.lo)}]
    out: list[Pattern] = []
    if iv.lo is not None:
        out.append({"$gte" if iv.lo_closed else "$gt": {field: encode(iv.lo)}})
    if iv.hi is not None:
        out.append({"$lte" if iv.hi_closed else "$lt": {field: encode(iv.hi)}})
    return out


# ---- conditions ------------------------------------------------------------------------------

_FLIP: dict[type, type] = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_NEG: dict[type, type] = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_SYM: dict[type, str] = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _test(test: Test, code: Callable[[str], str], types: Mapping[str, str]) -> Pattern:
    """One test of an alternative as a durable expression over fact codes."""
    node, negate = test.left, test.negate
    if test.op is not None:
        assert test.right is not None
        return _compare(node, test.op, test.right, code, negate)
    if isinstance(node, ast.Name):
        if types.get(node.id) in ("number", "text"):   # Python's truthiness, as in formulas: 0 and "" are false
            zero = ZERO if types[node.id] == "number" else ""
            return {code(node.id): zero} if negate else {"$neq": {code(node.id): zero}}
        return {code(node.id): text(not negate)}
    if isinstance(node, ast.Constant):
        return TRUE if bool(node.value) ^ negate else FALSE
    raise TypeError(f"not a checked condition: {ast.dump(node)}")   # expr.condition refused it already


def _compare(left: ast.expr, op: type, right: ast.expr, code: Callable[[str], str], negate: bool) -> Pattern:
    if not isinstance(left, ast.Name):
        left, right, op = right, left, _FLIP[op]
    if negate:
        op = _NEG[op]
    if not isinstance(left, ast.Name):  # two constants: decide now
        return TRUE if _constant_compare(constant(left), op, constant(right)) else FALSE
    if isinstance(right, ast.Name):
        rhs = {"$m": code(right.id)}
        if op is ast.Eq:
            return {"$and": [{"$lte": {code(left.id): rhs}}, {"$gte": {code(left.id): rhs}}]}
        return {_OP[_SYM[op]]: {code(left.id): rhs}}
    return compare(code(left.id), _SYM[op], constant(right))


def constant(node: ast.expr) -> object:
    """A constant as written: Decimal for numbers, bool for true/false, str for text."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant(node.operand)
        return -value if isinstance(node.op, ast.USub) else value  # type: ignore[operator]
    assert isinstance(node, ast.Constant)
    value = node.value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value))
    return value


def _constant_compare(a, op, b) -> bool:
    return {ast.Lt: lambda: a < b, ast.LtE: lambda: a <= b, ast.Gt: lambda: a > b, ast.GtE: lambda: a >= b,
            ast.Eq: lambda: a == b, ast.NotEq: lambda: a != b}[op]()


# ---- facts -----------------------------------------------------------------------------------

BARE = '{"t":"d","id":"d"'      # a department fact with no facts (for the sentinel), unclosed as below


def department_facts(shard: Shard, dept: Department) -> tuple[str, list[tuple[str, str]]]:
    """The department fact and the item facts (id, text) one shard's rules match for this
    department, each as JSON text left open: the matcher closes it with the session id. Built
    as text because building dicts for json.dumps cost twice as much (measured: 37 -> 20 µs)."""
    values = dept.values
    fact = BARE + "".join([f',"{c}":{quoted(values[key])}' for key, c in shard.codes.items()])
    items: list[tuple[str, str]] = []
    for k, list_key, measure in shard.item_leaves:
        for n, rec in enumerate(dept.items.get(list_key, ())):
            v = rec[measure]
            assert isinstance(v, Decimal)
            id_ = f"i{k}_{n}"
            items.append((id_, f'{{"t":"i","id":"{id_}","k":"{k}","n":"{n}","v":"{_encoded(v)}"'))
    return fact, items + pair_facts(shard, dept)


def quoted(value: object) -> str:
    """text(value) as a JSON string: the order-preserving text of a number and true/false are
    ASCII letters and digits, so only a text needs json's escaping."""
    if isinstance(value, bool):
        return '"true"' if value else '"false"'
    if isinstance(value, Decimal):
        return '"' + _encoded(value) + '"'
    return json.dumps(text(value), ensure_ascii=False)


_ENCODED: dict[Decimal, str] = {}    # equal numbers have one text (order.py), so a memo by value is sound
_MEMO = 4096                    # ~0.5 MB; the values that recur (0, 1, 100%) come early


def _encoded(value: Decimal) -> str:
    got = _ENCODED.get(value)
    if got is None:
        got = encode(value)
        if len(_ENCODED) < _MEMO:       # bounded: peak memory stays flat over any batch
            _ENCODED[value] = got
    return got
