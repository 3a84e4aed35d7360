"""proportional: points × rate ÷ full_at, capped at full points (预算执行率 × 权重).

One rule fires when the rate is below full_at. Above full_at the policy chooses (`above`):
`cap` (the default) counts the rate as full_at, and the report states it (执行率102.59%，按100%计);
a deviation penalty (`above: {unit: 1%, deduct: 0.5, from: 110%}`) also deducts per unit
beyond `from` (default full_at), 扣完为止, as 财预〔2020〕10号 does for a target set too low.
A second rule fires when the rate is above full_at, in either case; nothing fires at it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from .. import expr, template
from ..model import Compare, Leaf, Params, Path, Rule
from .base import Built, Checks, Firing, Head, Scored, count_units, dec


@dataclass(frozen=True)
class Deviation:
    """Above full_at: `deduct` for every `unit` the rate lies beyond `start`."""
    unit: Decimal
    deduct: Decimal
    start: Decimal
    units: str              # exact | ceil | floor


@dataclass(frozen=True)
class ProportionalParams(Params):
    rate: str
    full_at: Decimal
    above: Deviation | None = None      # None: cap


class Proportional:
    kind: ClassVar[str] = "proportional"
    fields: ClassVar[frozenset[str]] = frozenset({"超出"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        rate = str(m["rate"])
        f = c.numeric_fact(rate, path + ("rate",), "proportional 的 rate ")
        full_at = c.percent(m.get("full_at", 1), path + ("full_at",))
        if "full_at" in m:
            c.constant(m["full_at"], path + ("full_at",), f, "full_at")
        if full_at is not None and full_at <= 0:
            c.err("E204", path + ("full_at",), "full_at 应大于 0。", "full_at must be above 0")
        full_at = full_at or Decimal(1)
        c.rule(head.id, path, Compare(rate, "<", full_at), fact=rate)
        templates = [(str(m["reason"]), path + ("reason",))]
        above = m.get("above", "cap")
        deviation = None
        if isinstance(above, Mapping):
            deviation = self._deviation(c, head, above, full_at, path + ("above",))
            templates.append((str(above["reason"]), path + ("above", "reason")))
        c.rule(head.id, path + ("above",), Compare(rate, ">", full_at), fact=rate,
               deduct=deviation.deduct if deviation else None,
               reason=str(above["reason"]) if isinstance(above, Mapping) else "",
               reason_en=str(above.get("reason_en", "")) if isinstance(above, Mapping) else "")
        return Built(ProportionalParams(self.kind, rate, full_at, deviation), str(m["reason"]),
                     str(m.get("reason_en", "")), templates)

    @staticmethod
    def _deviation(c: Checks, head: Head, above: Mapping[str, object], full_at: Decimal, path: Path) -> Deviation:
        unit = c.percent(above["unit"], path + ("unit",))
        if unit is not None and unit <= 0:
            c.err("E204", path + ("unit",), "unit 应大于 0。", "unit must be above 0")
        start = c.percent(above.get("from", full_at), path + ("from",))
        if start is not None and start < full_at:
            c.err("E204", path + ("from",), f"from 不能低于 full_at（{expr.fmt(full_at)}）。",
                  f"from cannot be below full_at ({expr.fmt(full_at)})")
        deduct = dec(above["deduct"])
        c.amount(head, deduct, path + ("deduct",), "每单位扣分")
        return Deviation(unit if unit and unit > 0 else Decimal(1), deduct, start or full_at, str(above.get("units", "exact")))

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, ProportionalParams)
        return [params.rate]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        p = leaf.method
        assert isinstance(p, ProportionalParams)
        if not fired:
            return Scored(score=leaf.points)
        rate = values[p.rate]
        assert isinstance(rate, Decimal)
        rule = rules[fired[0][0]]
        assert isinstance(rule.when, Compare)
        if rule.when.op == "<":
            frac = max(rate / p.full_at, Decimal(0))
            return Scored(score=expr.round2(leaf.points * frac), fills=[(leaf.reason, leaf.reason_en, {})])
        out = Scored(notes=[counted_as(p, rate)])
        if p.above is not None:
            units = count_units(max(rate - p.above.start, Decimal(0)) / p.above.unit, p.above.units)
            out.deduction = units * p.above.deduct
            if out.deduction > 0:
                out.fills.append((rule.reason, rule.reason_en, {"超出": units, "_edges": {"超出": (Decimal(0),)}}))
        return out

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        above = isinstance(rule.when, Compare) and rule.when.op == ">"
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: " + ("above full marks" if above else "below full marks")
        return f"{leaf.id} {leaf.name}：" + ("超过满分值" if above else "未得满分")


def counted_as(p: ProportionalParams, rate: Decimal) -> tuple[str, str]:
    """The statement for a rate above full_at: 执行率102.59%，按100%计 (zh, en)."""
    shown = template.show(rate, "%", "zh", (p.full_at,))      # never 100.00% for 100.0001%
    at = expr.fmt(expr.shift(p.full_at, 2)) + "%"
    return f"{p.rate}{shown}，按{at}计", f"{p.rate} {shown}, counted as {at}"


METHOD = Proportional()
