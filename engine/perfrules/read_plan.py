"""What reading a fact file against one policy needs, worked out once per policy.

facts.py reads thousands of departments against one policy: the facts to read, each with the
coercer of its type (values.fast_coercer), and each list's fields, are looked up here once
instead of once per value.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, NamedTuple

from .methods.weighted import WeightedParams
from .model import FactDecl, Policy
from .values import Coerced, fast_coercer

LIMITED = frozenset(("text", "texts"))    # the fact types whose length facts._beyond_limits checks
NOT_YAML11 = frozenset(("boolean", "text", "texts"))   # a YAML 1.1 yes/no word is fine in these


class Field(NamedTuple):
    """One fact (or record field) to read: its key, declaration, coercer, whether its length
    is checked, and whether a YAML 1.1 yes/no word is refused (a tuple: unpacked per value)."""
    key: str
    decl: FactDecl
    read: Callable[[FactDecl, object], Coerced]
    limited: bool
    yaml11_matters: bool


@dataclass(frozen=True)
class ListPlan:
    fields: tuple[Field, ...]
    derived: tuple[FactDecl, ...]


@dataclass(frozen=True)
class Plan:
    inputs: tuple[Field, ...]
    input_keys: frozenset[str]         # keys a fact file may give (E403 for any other)
    lists: dict[str, ListPlan]         # by list fact key
    derived_lists: tuple[str, ...]     # list facts with computed fields, in declaration order
    weighted: bool                     # some leaf weighs a list's records (E410 can arise)


def _field(key: str, decl: FactDecl) -> Field:
    return Field(key, decl, fast_coercer(decl), decl.type in LIMITED, decl.type not in NOT_YAML11)


@lru_cache(maxsize=64)
def plan(policy: Policy) -> Plan:
    lists = {key: ListPlan(tuple(_field(k, f) for k, f in decl.inputs), tuple(decl.derived_order))
             for key, decl in policy.inputs if decl.type == "list"}
    return Plan(tuple(_field(k, d) for k, d in policy.inputs), frozenset(k for k, _ in policy.inputs), lists,
                tuple(k for k, lp in lists.items() if lp.derived),
                any(isinstance(leaf.method, WeightedParams) for leaf in policy.leaves()))
