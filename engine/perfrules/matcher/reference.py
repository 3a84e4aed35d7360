"""The reference matcher: what fires, decided in plain Python with exact Decimals.

It reads the same engine-neutral `when` of each rule that the durable matcher encodes, so
the property tests can require both to give the same firings for any policy and department.
"""
from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable, Mapping

from .. import expr
from ..methods.base import Firing
from ..model import Compare, Department, Holds, InInterval, ItemCompare, ItemInInterval, Policy, When
from .base import in_order

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


class ReferenceMatcher:
    def prepare(self, policy: Policy) -> Policy:
        return policy

    def release(self, prepared: Policy) -> None:
        pass

    def fired(self, prepared: Policy, dept: Department) -> list[Firing]:
        out: set[Firing] = set()
        for rule in prepared.rules:
            if isinstance(rule.when, ItemInInterval):
                for n, rec in enumerate(dept.items.get(rule.when.items, ())):
                    v = rec[rule.when.measure]
                    if isinstance(v, Decimal) and rule.when.interval.contains(v):
                        out.add((rule.index, n))
            elif isinstance(rule.when, ItemCompare):
                out.update((rule.index, n) for n, rec in enumerate(dept.items.get(rule.when.items, ()))
                           if record_holds(rule.when, rec))
            elif holds(rule.when, dept.values):
                out.add((rule.index, None))
        return in_order(out)


def record_holds(when: ItemCompare, rec: Mapping[str, object]) -> bool:
    """One field of a record against another, on the records whose choice field has the value."""
    if when.field is not None and rec[when.field] != when.value:
        return False
    return _OPS[when.op](rec[when.left], rec[when.right])


def holds(when: When, values: Mapping[str, object]) -> bool:
    if isinstance(when, Compare):
        return _OPS[when.op](values[when.fact], when.value)
    if isinstance(when, InInterval):
        v = values[when.fact]
        return isinstance(v, Decimal) and when.interval.contains(v)
    if isinstance(when, Holds):
        return bool(expr.compute(when.condition, values))
    raise TypeError(f"not a department test: {when!r}")
