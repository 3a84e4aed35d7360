"""Splitting a policy's durable rules into rulesets ("shards") that durable's C core can hold.

durable_rules builds one alpha network per ruleset: a tree of tests, shared where two rules
begin with the same tests, walked depth-first for every fact with a fixed stack of 64 pending
nodes; each node keeps its child tests in a 512-slot hash set and its rules in a 256-slot list,
a ruleset holds at most 4,096 rules and a fact at most 255 properties (limits.py has what
happens past each). Here we build the same tree for a candidate shard and bound, soundly:

- the stack: a node pushes every child test the fact satisfies; of several equality tests on
  one field at most one holds, every other test may; the worst path down the tree gives the
  most entries pending at once (siblings left behind on the way, plus the last pushes);
- the child tests of any node, the rules ending on any node, the rules in the shard, and the
  facts its department fact must carry.

`pack` fills shards greedily in rule order and opens a new one when a rule would pass a bound,
so an ordinary policy is one shard, and a policy of 700 tiers or 130 checklist items a few.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from ..model import EngineError
from ..limits import SHARD_FIELDS, SHARD_RULES, SHARD_RULES_PER_TEST, SHARD_STACK, SHARD_TESTS_PER_NODE

Pattern = dict[str, object]


@dataclass(frozen=True)
class Part:
    """One durable rule: all of `tests` on one fact of type `t` (department "d", item "i")."""
    name: str                      # r<rule index>, or r<rule index>p<alternative> for a condition's alternatives
    rule: int
    t: str
    tests: tuple[Pattern, ...]
    fields: tuple[str, ...] = ()   # the department facts it reads (fact keys)
    leaf: int | None = None        # per_item: the leaf number its item facts carry as k

    @property
    def pattern(self) -> Pattern:
        return {"$and": [{"t": self.t}, *self.tests]}


def _describe(test: Pattern) -> tuple[str, str, str]:
    """(field, operator, value type) of a flat test {f: v} or {"$op": {f: v}}."""
    (key, value), = test.items()
    if key.startswith("$"):
        assert isinstance(value, dict)
        (field, rhs), = value.items()
        return field, key, type(rhs).__name__
    return key, "==", type(value).__name__


class _Node:
    __slots__ = ("children", "info", "rules", "stack")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.info: dict[str, tuple[str, str, str]] = {}
        self.rules = 0
        self.stack = 0          # the most entries this subtree can leave pending on durable's stack

    def matched(self) -> int:
        """How many child tests one fact can satisfy at once."""
        eq, other = set(), 0
        for field, op, kind in self.info.values():
            if op == "==":
                eq.add((field, kind))
            else:
                other += 1
        return other + len(eq)

    def update(self) -> None:
        m = self.matched()
        deepest = max((c.stack for c in self.children.values()), default=0)
        self.stack = max(m, m - 1 + deepest) if self.children else 0


class _Shard:
    """The alpha tree of one candidate shard, with its bounds kept up to date."""

    def __init__(self) -> None:
        self.root = _Node()
        self.parts: list[Part] = []
        self.fields: set[str] = set()
        self.widest = 0          # most child tests of one node
        self.busiest = 1         # most rules ending on one node (the sentinel ends on t == "d")

    def _path(self, part: Part) -> list[Pattern]:
        return [{"t": part.t}, *part.tests]

    def add(self, part: Part) -> bool:
        """Add the part if every bound still holds; otherwise leave the shard as it was."""
        if len(self.parts) + 2 > SHARD_RULES or len(self.fields | set(part.fields)) > SHARD_FIELDS:
            return False
        trail, created = [self.root], []
        node = self.root
        for test in self._path(part):
            key = json.dumps(test, sort_keys=True, ensure_ascii=False)
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node()
                node.info[key] = _describe(test)
                created.append((node, key))
            node = child
            trail.append(node)
        node.rules += 1
        for n in reversed(trail):
            n.update()
        widest = max(self.widest, *(len(n.children) for n in trail))
        sentinel = 1 if node is self.root.children.get('{"t": "d"}') else 0
        if (self.root.stack > SHARD_STACK or widest > SHARD_TESTS_PER_NODE
                or max(self.busiest, node.rules + sentinel) > SHARD_RULES_PER_TEST):
            node.rules -= 1
            for parent, key in reversed(created):
                del parent.children[key], parent.info[key]
            for n in reversed(trail):
                n.update()
            return False
        self.widest, self.busiest = widest, max(self.busiest, node.rules + sentinel)
        self.parts.append(part)
        self.fields |= set(part.fields)
        return True


def pack(parts: Iterable[Part]) -> list[list[Part]]:
    """The parts in shards, in order; every shard within every bound (a part alone always is:
    validate has refused the conditions too wide for one)."""
    shards = [_Shard()]
    for part in parts:
        if not shards[-1].add(part):
            shards.append(_Shard())
            if not shards[-1].add(part):
                raise EngineError(f"rule {part.name} does not fit in a durable ruleset on its own")
    return [s.parts for s in shards if s.parts] or [[]]


def stack_bound(parts: Iterable[Part]) -> int:
    """The stack bound of one shard holding these parts (for tests)."""
    shard = _Shard()
    for part in parts:
        trail, node = [shard.root], shard.root
        for test in shard._path(part):
            key = json.dumps(test, sort_keys=True, ensure_ascii=False)
            if key not in node.children:
                node.children[key] = _Node()
                node.info[key] = _describe(test)
            node = node.children[key]
            trail.append(node)
        for n in reversed(trail):
            n.update()
    return shard.root.stack
