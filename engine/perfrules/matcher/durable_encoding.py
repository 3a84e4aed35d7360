"""Everything durable_rules sees, encoded: a policy's rules as one ruleset, and a department
as small flat facts.

    {"t": "d", "f0": …, "f1": …}          the department: only the facts some rule reads
    {"t": "i", "k": 3, "n": 0, "v": …}     one list record, for per_item leaf 3, its measure

Numbers are integers in millionths (SCALE): facts are whole millionths (the fact reader
quantizes them), constants are rounded towards the side that keeps each comparison exact,
so durable never meets exponent-form floats or integer division (which its C core trips on).
Every pattern starts with a positive test on "t", so no rule can match durable's own
session-state object (which would loop forever).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Mapping

from ..expr import MAX_ABS, Formula, Interval, quantize6
from ..model import Compare, Department, Holds, InInterval, ItemInInterval, Policy, When

SCALE = 10**6
Pattern = dict[str, object]

# Constant conditions, as patterns on the department fact: one always holds, one never does.
TRUE: Pattern = {"t": "d"}
FALSE: Pattern = {"t": "never"}
_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}


@dataclass(frozen=True)
class Compiled:
    policy: Policy
    name: str                                   # the durable ruleset name
    ruleset: Mapping[str, object]               # {name: {rule name: rule}}
    codes: Mapping[str, str]                    # fact key -> short field name in the department fact
    item_leaves: tuple[tuple[int, str, str], ...]   # (k, list key, measure)
    item_rules: frozenset[int]                  # rules that match item facts


def scaled(value: Decimal) -> int:
    return int(quantize6(value) * SCALE)


def bound(value: Decimal, op: str) -> int:
    """A policy constant in millionths for `fact op constant` ($lt, $lte, $gt, $gte), exact for
    any constant: facts are whole millionths below MAX_ABS, so x < 1.0000004 is x < 1.000001,
    x <= 1.0000004 is x <= 1.000000, and a constant beyond ±MAX_ABS (1e400 too) acts as ±MAX_ABS."""
    with localcontext() as ctx:
        ctx.prec = 100
        value = min(max(value, -MAX_ABS), MAX_ABS) * SCALE
        return int(value.to_integral_value(ROUND_CEILING if op in ("$lt", "$gte") else ROUND_FLOOR))


def on_grid(value: Decimal) -> bool:
    """True when a fact can equal value exactly (whole millionths below MAX_ABS)."""
    return abs(value) < MAX_ABS and value == quantize6(value)


def compile_policy(policy: Policy) -> Compiled:
    codes: dict[str, str] = {}

    def code(key: str) -> str:
        if key not in codes:
            codes[key] = f"f{len(codes)}"
        return codes[key]

    types = {k: f.expr_type for k, f in policy.facts.items() if f.expr_type}
    leaf_no = {leaf.id: i for i, leaf in enumerate(policy.leaves())}
    item_leaves: dict[int, tuple[int, str, str]] = {}
    rules: dict[str, object] = {}
    pattern: list[Pattern]
    name = "perfrules_" + policy.sha256[:16]
    for rule in policy.rules:
        if isinstance(rule.when, ItemInInterval):
            k = leaf_no[rule.leaf]
            item_leaves[k] = (k, rule.when.items, rule.when.measure)
            pattern = [{"t": "i"}, {"k": k}, *interval(rule.when.interval, "v")]
        else:
            pattern = [{"t": "d"}, *department_pattern(rule.when, code, types)]
        rules[f"r{rule.index}"] = {"all": [{"m": {"$and": pattern}}]}
    return Compiled(policy, name, {name: rules}, codes, tuple(sorted(item_leaves.values())),
                    frozenset(r.index for r in policy.rules if r.on_items))


def department_pattern(when: When, code, types: Mapping[str, str]) -> list[Pattern]:
    if isinstance(when, Compare):
        return [compare(code(when.fact), when.op, when.value)]
    if isinstance(when, InInterval):
        return interval(when.interval, code(when.fact))
    if isinstance(when, Holds):
        return [condition(when.condition, {n: code(n) for n in when.condition.names}, types)]
    raise TypeError(f"not a department test: {when!r}")


def compare(field: str, op: str, value: object) -> Pattern:
    """field OP constant, exact for any Decimal constant."""
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, Decimal):
        if op not in ("==", "!="):
            return {_OP[op]: {field: bound(value, _OP[op])}}
        if not on_grid(value):       # no fact can equal it
            return FALSE if op == "==" else TRUE
        value = scaled(value)
    if op == "==":
        return {field: value}
    return {_OP[op]: {field: value}}


def interval(iv: Interval, field: str) -> list[Pattern]:
    if iv.lo is not None and iv.hi is not None and iv.lo == iv.hi and on_grid(iv.lo):
        return [{field: scaled(iv.lo)}]
    out: list[Pattern] = []   # exact bounds: [1.0000004, …) starts at 1.000001; a point off the grid matches nothing
    if iv.lo is not None:
        op = "$gte" if iv.lo_closed else "$gt"
        out.append({op: {field: bound(iv.lo, op)}})
    if iv.hi is not None:
        op = "$lte" if iv.hi_closed else "$lt"
        out.append({op: {field: bound(iv.hi, op)}})
    return out


# ---- conditions ------------------------------------------------------------------------------

_FLIP: dict[type, type] = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_NEG: dict[type, type] = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_SYM: dict[type, str] = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def condition(formula: Formula, code: Mapping[str, str], types: Mapping[str, str]) -> Pattern:
    """A checked condition as a durable_rules expression over fact codes."""
    return _cond(formula.tree, code, types, negate=False)


def _cond(node: ast.AST, code: Mapping[str, str], types: Mapping[str, str], negate: bool) -> Pattern:
    if isinstance(node, ast.BoolOp):
        op = isinstance(node.op, ast.And) ^ negate
        return {"$and" if op else "$or": [_cond(v, code, types, negate) for v in node.values]}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _cond(node.operand, code, types, not negate)
    if isinstance(node, ast.Name):
        if types.get(node.id) in ("number", "text"):   # Python's truthiness, as in formulas: 0 and "" are false
            zero = 0 if types[node.id] == "number" else ""
            return {code[node.id]: zero} if negate else {"$neq": {code[node.id]: zero}}
        return {code[node.id]: 0 if negate else 1}
    if isinstance(node, ast.Constant):
        return TRUE if bool(node.value) ^ negate else FALSE
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for cmp, right in zip(node.ops, node.comparators):
            parts.append(_compare(left, type(cmp), right, code, negate))
            left = right
        if len(parts) == 1:
            return parts[0]
        return {"$or" if negate else "$and": parts}
    raise TypeError(f"not a checked condition: {ast.dump(node)}")   # expr.condition refused it already


def _compare(left: ast.expr, op: type, right: ast.expr, code: Mapping[str, str], negate: bool) -> Pattern:
    if not isinstance(left, ast.Name):
        left, right, op = right, left, _FLIP[op]
    if negate:
        op = _NEG[op]
    if not isinstance(left, ast.Name):  # two constants: decide now
        return TRUE if _constant_compare(constant(left), op, constant(right)) else FALSE
    if isinstance(right, ast.Name):
        rhs = {"$m": code[right.id]}
        if op is ast.Eq:
            return {"$and": [{"$lte": {code[left.id]: rhs}}, {"$gte": {code[left.id]: rhs}}]}
        return {_OP[_SYM[op]]: {code[left.id]: rhs}}
    return compare(code[left.id], _SYM[op], constant(right))


def constant(node: ast.expr) -> object:
    """A constant as written: Decimal for numbers, 0/1 for true/false, str for text."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant(node.operand)
        return -value if isinstance(node.op, ast.USub) else value  # type: ignore[operator]
    assert isinstance(node, ast.Constant)
    value = node.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return Decimal(repr(value))
    return value


def _constant_compare(a, op, b) -> bool:
    return {ast.Lt: lambda: a < b, ast.LtE: lambda: a <= b, ast.Gt: lambda: a > b, ast.GtE: lambda: a >= b,
            ast.Eq: lambda: a == b, ast.NotEq: lambda: a != b}[op]()


# ---- facts -----------------------------------------------------------------------------------

def _encode(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return value
    assert isinstance(value, Decimal)
    return int(value.scaleb(6))     # facts are already whole millionths (the fact reader quantizes them)


def department_facts(compiled: Compiled, dept: Department) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The department fact and the item facts durable_rules matches for this department."""
    fact: dict[str, object] = {"t": "d"}
    for key, c in compiled.codes.items():
        fact[c] = _encode(dept.values[key])
    items = []
    for k, list_key, measure in compiled.item_leaves:
        for n, rec in enumerate(dept.items.get(list_key, ())):
            v = rec[measure]
            assert isinstance(v, Decimal)
            items.append({"t": "i", "k": k, "n": n, "v": int(v.scaleb(6))})
    return fact, items
