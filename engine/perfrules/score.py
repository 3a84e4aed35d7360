"""Scoring: a department's Result from the rules that fired, through each leaf's method.

A matcher decides which rules fire; here each leaf's method turns its firings into points
(Decimal, half-up to two places at the leaf, never below zero nor above its points: 扣完为止)
and the leaves add up. Reasons are filled only when a report asks (batch rarely does).
An assessor's 认定 (overrides.py) is applied last, on top of the rules' score of its leaf:
the Result keeps both, per leaf and in total.
"""
from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Iterator, Mapping, Sequence

from . import expr, overrides, template
from .methods import METHODS, Firing
from .model import Compare, Department, EngineError, Group, Holds, InInterval, Indicator, Leaf, Override, Policy
from .problems import InputError, Note

ZERO = Decimal("0.00")
_NO_EN: Mapping[str, object] = {"_en": ""}    # hides a fill's English fields from its templates
_MISSING = object()


class _Fields(Mapping[str, object]):
    """A reason's fields without copying them: mappings looked up first to last (the first
    that has a key gives its value), as if merged {**last, …, **first}."""
    __slots__ = ("maps",)
    maps: tuple[Mapping[str, object], ...]

    def __init__(self, *maps: Mapping[str, object]):
        self.maps = maps

    def over(self, first: Mapping[str, object]) -> "_Fields":
        """`first`, then these: one flat loop per lookup, not one per level of nesting."""
        return _Fields(first, *self.maps)

    def __getitem__(self, key: str) -> object:
        for m in self.maps:
            value = m.get(key, _MISSING)
            if value is not _MISSING:
                return value
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        for m in self.maps:
            if key in m:
                return True
        return False

    def get(self, key, default=None):
        for m in self.maps:
            value = m.get(key, _MISSING)
            if value is not _MISSING:
                return value
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for m in reversed(self.maps) for k in m))

    def __len__(self) -> int:
        return len(set().union(*self.maps))


@dataclass
class IndicatorResult:
    indicator: Indicator
    score: Decimal
    deduction: Decimal
    facts_used: dict[str, object] = field(default_factory=dict)
    children: list["IndicatorResult"] = field(default_factory=list)
    fired: list[int] = field(default_factory=list)
    # reason templates and their fields; filled only when a report asks (batch rarely does)
    fills: list[tuple[str, str, _Fields]] = field(default_factory=list, repr=False)
    capped: bool = False
    override: Override | None = None       # the 认定 applied, if any
    rules_score: Decimal | None = None     # with an override: what the rules alone gave
    due: Decimal = ZERO          # what the rules that fired deduct before 扣完为止 (shown when capped)
    notes: list[tuple[str, str]] = field(default_factory=list)   # (zh, en) statements: 执行率102.59%，按100%计

    def note_texts(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en in self.notes]

    @cached_property
    def reasons(self) -> list[str]:
        return self._reasons("zh")

    @cached_property
    def reasons_en(self) -> list[str]:
        return self._reasons("en")

    def _reasons(self, lang: str) -> list[str]:
        ind, out = self.indicator, []
        for zh, en, fill in self.fills:
            en_fields = fill.get("_en", {})
            assert isinstance(en_fields, dict)
            fields = fill.over(_NO_EN)     # the English fields are no field of the template
            if lang == "zh":
                out.append(template.fill(zh, fields, "zh"))
            elif en:
                out.append(template.fill(en, fields.over(en_fields), "en"))
            else:       # no English template: the Chinese one, as written
                out.append(template.fill(zh, fields, "en"))
        if self.capped:
            out.append(capped_text(ind, self.due, lang))
        if self.override is not None and self.rules_score is not None:
            out.append(overrides.sentence(self.override, self.rules_score, self.score, lang))
        return out

    def leaves(self) -> Iterator["IndicatorResult"]:
        if not self.children:
            yield self
        for c in self.children:
            yield from c.leaves()


@dataclass
class Result:
    """A department's score. Only the leaves where some rule fired are scored eagerly; the
    full indicator tree is built when a report asks for it (a batch row rarely does)."""

    policy: Policy
    department: Department
    score: Decimal                          # the official score: the rules', with any 认定 applied
    scored: dict[str, IndicatorResult]      # leaf id -> result, for the leaves where rules fired or 认定
    rules_score: Decimal | None = None      # the score the rules alone give (None: as `score`)

    @property
    def rules_total(self) -> Decimal:
        """The score the rules alone give (the same as `score` without overrides)."""
        return self.score if self.rules_score is None else self.rules_score

    @property
    def overridden(self) -> list[IndicatorResult]:
        """Leaves whose score is a 认定, in the policy's order."""
        return [self.scored[leaf.id] for leaf in self.policy.leaves()
                if leaf.id in self.scored and self.scored[leaf.id].override is not None]

    @property
    def warnings(self) -> tuple[Note, ...]:
        """What the report must point out about the facts (units converted, implausible amounts)."""
        return self.department.warnings

    @property
    def max_score(self) -> Decimal:
        return expr.round2(self.policy.full_score)

    def grade(self, lang: str = "zh") -> str:
        return self.policy.grade(self.score, lang)

    @cached_property
    def indicators(self) -> list[IndicatorResult]:
        return [self._node(ind) for ind in self.policy.indicators]

    def _node(self, ind: Indicator) -> IndicatorResult:
        if isinstance(ind, Group):
            kids = [self._node(c) for c in ind.children]
            score = sum((k.score for k in kids), ZERO)
            node = IndicatorResult(ind, score, ind.points2 - score, children=kids)
            if any(k.rules_score is not None for k in kids):
                node.rules_score = sum((k.score if k.rules_score is None else k.rules_score for k in kids), ZERO)
            return node
        if ind.id in self.scored:
            return self.scored[ind.id]
        return full_marks(ind, self.department)

    def leaves(self) -> list[IndicatorResult]:
        return [leaf for top in self.indicators for leaf in top.leaves()]

    @cached_property
    def deductions(self) -> list[IndicatorResult]:
        """Leaves that lost points, in the policy's order."""
        return [self.scored[leaf.id] for leaf in self.policy.leaves()
                if leaf.id in self.scored and self.scored[leaf.id].deduction > 0]

    @property
    def fired(self) -> set[int]:
        return {i for leaf in self.scored.values() for i in leaf.fired}

    def top_losses(self) -> list[tuple[Indicator, Decimal]]:
        """Points lost under each top-level indicator, without building the tree."""
        lost = {top.id: ZERO for top in self.policy.indicators}
        for r in self.scored.values():
            top = r.indicator.ancestors[0] if r.indicator.ancestors else r.indicator.id
            lost[top] += r.deduction
        return [(top, lost[top.id]) for top in self.policy.indicators]


def capped_text(ind: Indicator, due: Decimal, lang: str) -> str:
    """扣完为止, saying what was due and what was given: 应扣7.5分，超过本项分值5分，扣完为止，实扣5分."""
    due_s, points = expr.fmt(expr.round2(due)), expr.fmt(ind.points)
    if lang == "zh":
        return f"{ind.name}各项扣分合计{due_s}分，超过本项分值{points}分，扣完为止，实扣{points}分"
    return f"{ind.name_en or ind.name}: deductions add up to {due_s}, more than its {points} points; capped, {points} deducted"


def score(policy: Policy, dept: Department, fired: Sequence[Firing]) -> Result:
    """The Result for these firings (from any matcher)."""
    rules = policy.rules
    by_leaf: dict[str, list[Firing]] = {leaf.id: [] for leaf in policy.always_fire}
    for index, n in fired:
        by_leaf.setdefault(rules[index].leaf, []).append((index, n))
    leaves = policy.leaf_index
    scored = {leaf_id: score_leaf(leaves[leaf_id], got, policy, dept) for leaf_id, got in by_leaf.items()}
    by_rules = _total(policy, scored)
    if not dept.overrides:
        return Result(policy, dept, by_rules, scored)
    apply_overrides(policy, dept, scored)
    return Result(policy, dept, _total(policy, scored), scored, rules_score=by_rules)


def _total(policy: Policy, scored: Mapping[str, IndicatorResult]) -> Decimal:
    """Leaf scores add up to the full score less what the scored leaves lost (points are to the cent)."""
    total = policy.full_score - sum((r.deduction for r in scored.values()), ZERO)
    return expr.round2(min(max(total, Decimal(0)), policy.full_score))


def full_marks(leaf: Leaf, dept: Department) -> IndicatorResult:
    """A leaf where nothing fired."""
    values = dept.values
    return IndicatorResult(leaf, leaf.points2, ZERO, facts_used={k: values[k] for k in leaf.facts_used if k in values})


def apply_overrides(policy: Policy, dept: Department, scored: dict[str, IndicatorResult]) -> None:
    """Each 认定 on top of its leaf's rules score (facts.py has checked all it could; the
    bounds that need the rules' score are checked here, every problem at its own line)."""
    problems = []
    for o in dept.overrides:
        leaf = policy.leaf_index[o.indicator]
        base = scored.get(leaf.id) or full_marks(leaf, dept)
        got, problem = overrides.check(o, leaf, base.score)
        if problem is not None:
            problems.append(problem)
            continue
        scored[leaf.id] = dataclasses.replace(base, score=got, deduction=leaf.points2 - got, override=o,
                                              rules_score=base.score)
    if problems:
        raise InputError(problems)


def score_leaf(leaf: Leaf, fired: Sequence[Firing], policy: Policy, dept: Department) -> IndicatorResult:
    values: Mapping[str, object] = dept.values
    raw = METHODS[leaf.method.kind].score(leaf, fired, policy.rules, values, dept.items)
    points = leaf.points
    capped, due = False, raw.deduction
    if raw.score is None:
        deduction = raw.deduction
        if deduction > points:
            deduction, capped = points, True
        got = expr.round2(points - deduction)
    else:
        got = expr.round2(raw.score)
    if not ZERO <= got <= leaf.points2:   # a method that breaks its range is a bug, never a score
        raise EngineError(f"{leaf.id}: {leaf.method.kind} scored {got} of {leaf.points2}")
    lost = leaf.points2 - got
    used = {k: values[k] for k in leaf.facts_used if k in values}
    used.update(raw.used)
    result = IndicatorResult(leaf, got, lost, facts_used=used, fired=[i for i, _ in fired], notes=raw.notes)
    if lost > 0:
        edges = decision_edges(policy).get(leaf.id, {})
        # {扣分}: the points lost, or where 扣完为止 capped them what the rules deducted (7.5 for
        # 15 units × 0.5 of a 5-point leaf); the capped line then says what was given
        base = {"扣分": expr.round2(due) if capped else lost, "得分": got, "分值": points, "指标": leaf.name}
        # views, not copies, of the department's values (read only from here on): reasons are
        # filled only when a report asks, and copying every value for every fill cost ~20 µs each
        result.fills = [(zh, en, _Fields({"_edges": {**edges, **extra.get("_edges", {})}}, extra, base, values))  # type: ignore[dict-item]
                        for zh, en, extra in raw.fills]
        result.capped, result.due = capped, due
    return result


@lru_cache(maxsize=64)
def decision_edges(policy: Policy) -> dict[str, dict[str, tuple[Decimal, ...]]]:
    """leaf id -> fact -> the constants its rules compare the fact with (band ends, limits,
    full_at, a condition's numbers): a reason never shows the fact across one of them."""
    out: dict[str, dict[str, set[Decimal]]] = {}
    for rule in policy.rules:
        edges = out.setdefault(rule.leaf, {})
        when = rule.when
        if isinstance(when, Compare) and isinstance(when.value, Decimal):
            edges.setdefault(when.fact, set()).add(when.value)
        elif isinstance(when, InInterval):
            edges.setdefault(when.fact, set()).update(e for e in (when.interval.lo, when.interval.hi) if e is not None)
        elif isinstance(when, Holds):
            for name, value in _compared(when.condition.tree):
                edges.setdefault(name, set()).add(value)
    return {leaf: {k: tuple(sorted(v)) for k, v in facts.items()} for leaf, facts in out.items()}


def _compared(tree: ast.AST) -> Iterator[tuple[str, Decimal]]:
    """(fact, number) for every comparison of a fact with a number in a condition."""
    def number(node: ast.expr) -> Decimal | None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = number(node.operand)
            return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
        value = getattr(node, "value", None) if isinstance(node, ast.Constant) else None
        return value if isinstance(value, Decimal) else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for a, b in zip(operands, operands[1:]):
                for name, other in ((a, b), (b, a)):
                    value = number(other)
                    if isinstance(name, ast.Name) and value is not None:
                        yield name.id, value
