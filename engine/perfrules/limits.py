"""The limits perfrules keeps inputs to, so that durable_rules' C core never meets its own.

durable_rules 2.0.28 has fixed-size tables that a valid policy or fact file could reach; past
them it fails with an error code, crashes the process or never returns (each measured, see
tests/test_limits.py). The compiler (matcher/durable_shards.py) designs around most of them by
splitting a policy into several rulesets ("shards") and a long list into several sessions;
what remains is refused here, before anything runs, with a located error:

| limit                                    | perfrules | durable's own (what happens past it)                |
|------------------------------------------|-----------|-----------------------------------------------------|
| rules per policy (each alternative of a  | 1,000     | 4,096 rules per ruleset; 512 tests on one node hang |
|   condition counts as one)               |           |   create_ruleset (each shard stays far below both)  |
| alternatives of one condition            | 256       | 65 tests holding at once: error 303, then SIGSEGV   |
|                                          |           |   (shards keep 32 at most; the limit bounds size)   |
| facts read by one alternative            | 100       | 255 properties per fact: SIGSEGV (or error 302)     |
| characters in a text value or constant   | 10,000    | string lengths in 16 bits: 65,536 bytes compare     |
|                                          |           |   as empty or as a prefix                           |
| records in one list fact                 | 1,000     | 32-bit fact ids: false duplicates (a record lost)   |
|                                          |           |   from ~38,000 in one session; ~9 KB per record     |
| significant digits of a number (a fact   | 40        | a number reaches durable as order-preserving text   |
|   value, an interval edge: MAX_DIGITS)   |           |   (matcher/order.py), itself a string: the 16 bits  |

Policy limits are E315, fact values E407. The per-ruleset and per-session bounds the compiler
uses (SHARD_*, ITEM_FACTS_PER_SESSION) are here too, each with what was measured.

A deduction condition is expanded into alternatives (disjunctive normal form: each a plain
conjunction of comparisons, `not` pushed onto them) by `alternatives`; the durable encoder
makes one durable rule per alternative, and the checks here count the same expansion.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from .model import FactDecl, Holds, Policy, Rule

# ---- what users may write (documented in docs/policy-language.md §17) -------------------------
MAX_RULES = 1_000            # per policy, counting each alternative of a condition; real ones have 20-60
MAX_ALTERNATIVES = 256       # per condition (`a or b` has 2; `(a or b) and (c or d)` has 4)
MAX_FACTS_PER_ALTERNATIVE = 100
MAX_TEXT = 10_000            # characters: at most 40,000 UTF-8 bytes, far below durable's 65,536
MAX_RECORDS = 1_000          # per list fact; real tables have 5-50 rows

# ---- what one durable ruleset and one session may hold (matcher/durable_shards.py) -----------
# Measured on 2.0.28 (tests/test_limits.py reproduces each): 65 alpha nodes matching one fact
# overflow handleAlpha's stack of 64 (error 303, then SIGSEGV on delete_state); a node's 512-slot
# hash set of child tests, once full, makes create_ruleset loop forever (100% CPU); 257 rules on
# one test overflow its beta list (error 108); 4,096 rules overflow ruleActions[]; a fact with
# 255 properties (ours and t, sid, id) kills the process (SIGSEGV; error 302 when durable adds
# the id itself). Each bound is half or less.
SHARD_STACK = 32             # alpha nodes that can be pending on durable's stack for one fact (64)
SHARD_TESTS_PER_NODE = 128   # distinct child tests of one alpha node (512: hang)
SHARD_RULES_PER_TEST = 64    # durable rules ending on one alpha node (256: error 108)
SHARD_RULES = 256            # durable rules per ruleset, sentinel included (4,096)
SHARD_FIELDS = MAX_FACTS_PER_ALTERNATIVE   # facts in a shard's department fact, besides t, id, sid (252)
# Measured: ~9 us per item fact from 50 to 4,000 per session, 15.7 us and ~12 KB each at 16,000;
# fact ids are 32-bit (a false duplicate at ~38,000). 250 per session keeps time and memory flat.
ITEM_FACTS_PER_SESSION = 250


# ---- conditions as alternatives ----------------------------------------------------------------

@dataclass(frozen=True)
class Test:
    """One comparison of a condition with its negation applied: `left op right`, or a bare
    name or constant (op None: its truthiness)."""
    left: ast.expr
    op: type | None = None
    right: ast.expr | None = None
    negate: bool = False

    @property
    def names(self) -> list[str]:
        return [n.id for n in (self.left, self.right) if isinstance(n, ast.Name)]


Alternative = tuple[Test, ...]


def count_alternatives(node: ast.AST, negate: bool = False) -> int:
    """How many alternatives `alternatives` makes, without making them."""
    if isinstance(node, ast.Expression):
        return count_alternatives(node.body, negate)
    if isinstance(node, ast.BoolOp):
        counts = [count_alternatives(v, negate) for v in node.values]
        if isinstance(node.op, ast.And) ^ negate:
            out = 1
            for c in counts:
                out *= c
            return out
        return sum(counts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return count_alternatives(node.operand, not negate)
    if isinstance(node, ast.Compare) and negate:
        return len(node.ops)          # not (a < b < c): a >= b or b >= c
    return 1


def alternatives(node: ast.AST, negate: bool = False) -> list[Alternative]:
    """The condition as alternatives (any may hold), each a conjunction of tests (all must)."""
    if isinstance(node, ast.Expression):
        return alternatives(node.body, negate)
    if isinstance(node, ast.BoolOp):
        parts = [alternatives(v, negate) for v in node.values]
        if isinstance(node.op, ast.And) ^ negate:
            out: list[Alternative] = [()]
            for p in parts:
                out = [a + b for a in out for b in p]
            return out
        return [a for p in parts for a in p]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return alternatives(node.operand, not negate)
    if isinstance(node, ast.Compare):
        links, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            links.append(Test(left, type(op), right, negate))
            left = right
        return [(t,) for t in links] if negate else [tuple(links)]
    assert isinstance(node, ast.expr)
    return [(Test(node, negate=negate),)]          # a name or a constant


def rule_alternatives(rule: Rule) -> int:
    """Durable rules this rule compiles to (a condition: one per alternative)."""
    return count_alternatives(rule.when.condition.tree) if isinstance(rule.when, Holds) else 1


# ---- the checks -------------------------------------------------------------------------------

Err = Callable[..., None]     # err(code, path, zh, en, hint=, hint_en=)


def policy_problems(policy_rules: tuple[Rule, ...] | list[Rule], facts: Mapping[str, FactDecl], err: Err) -> None:
    """Refuse (E315) what the engine cannot run, located at the rule or value that passes a limit."""
    total = 0
    for rule in policy_rules:
        n = rule_alternatives(rule)
        if n > MAX_ALTERNATIVES:
            err("E315", rule.path + ("when",), f"条件展开后有 {n:,} 种情形（or 的每一支各算一种），超过上限 {MAX_ALTERNATIVES} 种。",
                f"the condition expands to {n:,} alternatives (each branch of an or is one), above the limit of {MAX_ALTERNATIVES}",
                hint="把条件拆成几条扣分规则，或先用派生事实（type: boolean 的 formula）算出其中一部分。",
                hint_en="split it into several rules, or compute part of it as a derived boolean fact")
            continue
        if isinstance(rule.when, Holds):
            _alternative_problems(rule, err)
        total += n
        if total > MAX_RULES:
            err("E315", rule.path, f"评分办法的规则数（or 的每一支各算一条）超过上限 {MAX_RULES:,} 条。",
                f"the policy has more than {MAX_RULES:,} rules (each branch of an or counts as one)",
                hint="合并相近的规则或档次，或把办法拆成几个文件。", hint_en="merge similar rules or bands, or split the policy")
            return
    for f in _all_decls(facts):
        for i, option in enumerate(f.options):
            _text_limit(option, f.path + ("options", i), err)
        if isinstance(f.default, str):
            _text_limit(f.default, f.path + ("default",), err)
    # texts in conditions are shorter still: expr refuses a formula over 2,000 characters (E309)
    # tiers name options, checked here


def _alternative_problems(rule: Rule, err: Err) -> None:
    assert isinstance(rule.when, Holds)
    for alt in alternatives(rule.when.condition.tree):
        names = {n for t in alt for n in t.names}
        if len(names) > MAX_FACTS_PER_ALTERNATIVE:
            err("E315", rule.path + ("when",), f"条件的一种情形同时用到 {len(names)} 个事实，超过上限 {MAX_FACTS_PER_ALTERNATIVE} 个。",
                f"one alternative of the condition reads {len(names)} facts, above the limit of {MAX_FACTS_PER_ALTERNATIVE}",
                hint="先用派生事实汇总其中一部分（如 type: count 的公式）。", hint_en="summarise part of it in a derived fact")
            return


def _all_decls(facts: Mapping[str, FactDecl]) -> Iterator[FactDecl]:
    for f in facts.values():
        yield f
        yield from f.fields.values()


def _text_limit(text: str, path: tuple, err: Err) -> None:
    if len(text) > MAX_TEXT:
        err("E315", path, f"文字长 {len(text):,} 个字符，超过上限 {MAX_TEXT:,} 个字符。",
            f"a text of {len(text):,} characters, above the limit of {MAX_TEXT:,}", hint="缩短这段文字。", hint_en="shorten it")


def text_problem(text: str) -> tuple[str, str, str] | None:
    """(中文, English, code) when a fact's text is longer than MAX_TEXT characters."""
    if len(text) <= MAX_TEXT:
        return None
    return (f"文字长 {len(text):,} 个字符，超过上限 {MAX_TEXT:,} 个字符。",
            f"a text of {len(text):,} characters, above the limit of {MAX_TEXT:,}", "E407")


def records_problem(count: int) -> tuple[str, str, str] | None:
    """(中文, English, code) when a list fact has more than MAX_RECORDS records."""
    if count <= MAX_RECORDS:
        return None
    return (f"有 {count:,} 项记录，超过上限 {MAX_RECORDS:,} 项。", f"{count:,} records, above the limit of {MAX_RECORDS:,}", "E407")


__all__ = ["Alternative", "Test", "alternatives", "count_alternatives", "policy_problems", "records_problem",
           "rule_alternatives", "text_problem"]
