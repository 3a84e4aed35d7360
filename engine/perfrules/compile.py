"""Step 3 — compile: a Policy becomes one durable_rules ruleset.

Each Rule of the policy is one durable rule; its pattern decides whether it fires. Patterns
only ever meet two kinds of small flat facts, both built by `department_facts`:

    {"t": "d", "f0": …, "f1": …}          the department: only the facts some rule reads
    {"t": "i", "k": 3, "n": 0, "v": …}     one list record, for per_item leaf 3, its measure

Numbers are integers in millionths (expr.SCALE): exact comparisons, no exponent-form floats
and no integer division for the C core to trip on. Every pattern starts with a positive test
on "t", so no rule can match durable's own session-state object (which would loop forever).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import expr
from .facts import Department
from .policy import Policy, Rule


@dataclass
class Compiled:
    policy: Policy
    name: str                                   # the durable ruleset name
    ruleset: dict
    codes: dict[str, str]                       # fact key -> short field name in the department fact
    item_leaves: list[tuple[int, str, str]] = field(default_factory=list)  # (k, list key, measure)
    item_rules: frozenset[int] = frozenset()    # rules that match item facts


def compile_policy(policy: Policy) -> Compiled:
    codes: dict[str, str] = {}

    def code(key: str) -> str:
        if key not in codes:
            codes[key] = f"f{len(codes)}"
        return codes[key]

    types = {k: f.expr_type for k, f in policy.facts.items() if f.expr_type}
    leaf_no = {leaf.id: i for i, leaf in enumerate(policy.leaves())}
    item_leaves: dict[int, tuple[int, str, str]] = {}
    rules: dict[str, dict] = {}
    name = "perfrules_" + policy.sha256[:16]
    for rule in policy.rules:
        method = rule.indicator.method
        if rule.on_items:
            k = leaf_no[rule.indicator.id]
            item_leaves[k] = (k, method.params["items"], method.params["measure"])
            pattern = [{"t": "i"}, {"k": k}] + rule.interval.to_durable("v")
        else:
            pattern = [{"t": "d"}] + _department_pattern(rule, method, code, types)
        rules[f"r{rule.index}"] = {"all": [{"m": {"$and": pattern}}]}
    return Compiled(policy, name, {name: rules}, codes, sorted(item_leaves.values()),
                    frozenset(r.index for r in policy.rules if r.on_items))


def _department_pattern(rule: Rule, method, code, types) -> list[dict]:
    kind = method.kind
    if kind == "proportional":
        return [{"$lt": {code(rule.fact): expr.bound(method.params["full_at"], "$lt")}}]
    if kind == "bands":
        return rule.interval.to_durable(code(rule.fact))
    if kind == "deductions":
        codes = {n: code(n) for n in rule.condition.names}
        return [expr.to_durable(rule.condition, codes, types)]
    if kind == "checklist":
        return [{code(rule.fact): 0}]
    if kind == "tiered":
        return [{code(rule.fact): rule.value}]
    if kind == "per_unit":
        op = "$gt" if method.params["direction"] == "above" else "$lt"
        return [{op: {code(rule.fact): expr.bound(method.params["limit"], op)}}]
    if kind == "manual":
        return [{"$lt": {code(rule.fact): expr.bound(rule.indicator.points, "$lt")}}]
    raise ValueError(kind)


def _encode(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return value
    return int(value.scaleb(6))     # facts are already whole millionths (facts.py quantizes them)


def department_facts(compiled: Compiled, dept: Department) -> tuple[dict, list[dict]]:
    """The department fact and the item facts durable_rules matches for this department."""
    fact = {"t": "d"}
    for key, c in compiled.codes.items():
        fact[c] = _encode(dept.values[key])
    items = []
    for k, list_key, measure in compiled.item_leaves:
        for n, rec in enumerate(dept.items.get(list_key, ())):
            items.append({"t": "i", "k": k, "n": n, "v": int(rec[measure].scaleb(6))})
    return fact, items
