"""Step 5 — explain: points, deductions and their reasons, from the rules that fired.

durable_rules decides which rules fire; this module turns each firing into points with the
method's arithmetic (Decimal, half-up to two places at the indicator level, never below zero:
扣完为止) and fills the rule's reason template with the facts it used.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from . import expr
from .compile import Compiled
from .evaluate import EngineError, fired_rules
from .facts import Department
from .policy import Indicator, Policy

ZERO = Decimal("0.00")


@dataclass
class IndicatorResult:
    indicator: Indicator
    score: Decimal
    deduction: Decimal
    facts_used: dict = field(default_factory=dict)
    children: list["IndicatorResult"] = field(default_factory=list)
    fired: list[int] = field(default_factory=list)
    # reason templates and their fields; filled only when a report asks (batch rarely does)
    fills: list[tuple[str, str, dict]] = field(default_factory=list, repr=False)
    capped: bool = False

    @cached_property
    def reasons(self) -> list[str]:
        return self._reasons("zh")

    @cached_property
    def reasons_en(self) -> list[str]:
        return self._reasons("en")

    def _reasons(self, lang: str) -> list[str]:
        ind, out = self.indicator, []
        for zh, en, fields in self.fills:
            fields = dict(fields)
            en_fields = fields.pop("_en", {})
            if lang == "zh":
                out.append(expr.fill(zh, fields, "zh"))
            else:
                out.append(expr.fill(en, {**fields, **en_fields}, "en") if en else expr.fill(zh, fields, "en"))
        if self.capped:
            out.append(f"{ind.name}各项扣分合计超过本项分值{expr.fmt(ind.points)}分，扣完为止" if lang == "zh" else
                       f"{ind.name_en or ind.name}: deductions exceed its {expr.fmt(ind.points)} points; capped")
        return out

    def leaves(self):
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
    score: Decimal
    scored: dict[str, IndicatorResult]      # leaf id -> result, for the leaves where rules fired

    @property
    def max_score(self) -> Decimal:
        return expr.round2(self.policy.full_score)

    def grade(self, lang: str = "zh") -> str:
        return self.policy.grade(self.score, lang)

    @cached_property
    def indicators(self) -> list[IndicatorResult]:
        return [self._node(ind) for ind in self.policy.indicators]

    def _node(self, ind: Indicator) -> IndicatorResult:
        if ind.children:
            kids = [self._node(c) for c in ind.children]
            score = sum((k.score for k in kids), ZERO)
            return IndicatorResult(ind, score, ind.points2 - score, children=kids)
        if ind.id in self.scored:
            return self.scored[ind.id]
        values = self.department.values
        return IndicatorResult(ind, ind.points2, ZERO, facts_used={k: values[k] for k in ind.method.facts_used if k in values})

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


def evaluate(compiled: Compiled, dept: Department) -> Result:
    policy = compiled.policy
    rules = policy.rules
    by_leaf: dict[str, list[tuple[int, int | None]]] = {leaf.id: [] for leaf in policy.always_fire}
    for index, n in fired_rules(compiled, dept):
        by_leaf.setdefault(rules[index].indicator.id, []).append((index, n))
    leaves = policy.leaf_index
    scored = {leaf_id: _leaf(leaves[leaf_id], fired, policy, dept) for leaf_id, fired in by_leaf.items()}
    # leaf scores add up to the full score less what the scored leaves lost (points are to the cent)
    total = policy.full_score - sum((r.deduction for r in scored.values()), ZERO)
    total = min(max(total, Decimal(0)), policy.full_score)
    return Result(policy, dept, expr.round2(total), scored)


def _leaf(ind: Indicator, fired, policy: Policy, dept: Department) -> IndicatorResult:
    m = ind.method
    rules = policy.rules
    points = ind.points
    values = dept.values
    used = {k: values[k] for k in m.facts_used if k in values}
    fills: list[tuple[str, str, dict]] = []     # (template zh, template en, extra fields)
    deduction = Decimal(0)
    score_override = None

    if m.kind == "proportional" and fired:
        frac = values[m.params["rate"]] / m.params["full_at"]
        frac = min(max(frac, Decimal(0)), Decimal(1))
        score_override = expr.round2(points * frac)
        fills.append((m.reason, m.reason_en, {}))
    elif m.kind in ("bands", "tiered"):
        if len(fired) != 1:
            raise EngineError(f"{ind.id}: {len(fired)} bands or tiers fired, expected exactly one")
        r = rules[fired[0][0]]
        score_override = expr.round2(r.score)   # a band or tier may give 3.456 or 5: two places, like every score
        if r.score < points:
            fills.append((r.reason, r.reason_en, {"区间": r.interval.text if r.interval else "", "档次": r.value or ""}))
    elif m.kind == "deductions":
        for index, _ in fired:
            r = rules[index]
            deduction += r.deduct
            fills.append((r.reason, r.reason_en, {"扣分": r.deduct}))
    elif m.kind == "per_item":
        records = dept.items.get(m.params["items"], [])
        label = m.params["item_label"]
        groups: dict[int, list[int]] = {}
        for index, n in fired:
            groups.setdefault(index, []).append(n)
        if m.params["aggregate"] == "worst" and groups:
            worst = max(groups, key=lambda i: (rules[i].deduct, -i))
            groups = {worst: groups[worst]}
        for index, ns in groups.items():
            r = rules[index]
            amount = r.deduct if m.params["aggregate"] == "worst" else r.deduct * len(ns)
            deduction += amount
            names = [records[n][label] if label else f"第{n + 1}项" for n in ns]
            fills.append((r.reason, r.reason_en, {"扣分": amount, "项目": names, "个数": len(ns), "区间": r.interval.text}))
        used[m.params["items"]] = [
            {**({label: records[n][label]} if label else {"序号": n + 1}), m.params["measure"]: records[n][m.params["measure"]]}
            for _, n in fired]
    elif m.kind == "checklist" and fired:
        missing = [rules[i] for i, _ in fired]
        deduction = sum((r.deduct for r in missing), Decimal(0))
        fills.append((m.reason, m.reason_en, {"缺少项": [r.label for r in missing], "缺少个数": len(missing),
                                              "_en": {"缺少项": [r.label_en or r.label for r in missing]}}))
    elif m.kind == "per_unit" and fired:
        p = m.params
        value = values[p["value"]]
        excess = (value - p["limit"]) if p["direction"] == "above" else (p["limit"] - value)
        units = excess / p["unit"]
        if p["units"] == "ceil":
            units = Decimal(math.ceil(units))
        elif p["units"] == "floor":
            units = Decimal(math.floor(units))
        deduction = units * p["deduct"]
        if deduction > 0:
            fills.append((m.reason, m.reason_en, {"超出": expr.round_to(units, 2)}))
    elif m.kind == "manual" and fired:
        p = m.params
        given = values[p["score"]]
        score_override = expr.round2(min(max(given, Decimal(0)), points))
        tier = next((label for label, iv in p["tiers"] if iv.contains(given / points)), "")
        fills.append((m.reason, m.reason_en, {"说明": values[p["note"]], "档次": tier}))

    capped = False
    if score_override is None:
        if deduction > points:
            deduction, capped = points, True
        score = expr.round2(points - deduction)
    else:
        score = score_override
    lost = expr.round2(points) - score
    result = IndicatorResult(ind, score, lost, facts_used=used, fired=[i for i, _ in fired])
    if lost > 0:
        base = {**values, "扣分": lost, "得分": score, "分值": points, "指标": ind.name}
        result.fills = [(zh, en, {**base, **extra}) for zh, en, extra in fills]
        result.capped = capped
    return result
