"""per_unit: a deduction for every unit the value lies beyond a limit (超支每1%扣0.5分).

The rule fires when the value is past the limit; the excess is never below zero whatever
fired, and units may be exact, rounded up (ceil) or down (floor). {超出} is the units counted,
never shown as 0 when it is not.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from ..model import Compare, Leaf, Params, Path, Rule
from .base import Built, Checks, Firing, Head, Scored, count_units, dec


@dataclass(frozen=True)
class PerUnitParams(Params):
    value: str
    limit: Decimal
    unit: Decimal
    direction: str          # above | below
    units: str              # exact | ceil | floor
    deduct: Decimal


class PerUnit:
    kind: ClassVar[str] = "per_unit"
    fields: ClassVar[frozenset[str]] = frozenset({"超出"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        value = str(m["value"])
        f = c.numeric_fact(value, path + ("value",), "per_unit 的 value ")
        unit = c.percent(m["unit"], path + ("unit",))
        limit = c.percent(m["limit"], path + ("limit",))
        c.constant(m["limit"], path + ("limit",), f, "limit")
        c.constant(m["unit"], path + ("unit",), f, "unit")
        if unit is not None and unit <= 0:
            c.err("E204", path + ("unit",), "unit 应大于 0。", "unit must be above 0")
            unit = None
        deduct = dec(m["deduct"])
        c.amount(head, deduct, path + ("deduct",), "每单位扣分")
        direction = str(m.get("direction", "above"))
        params = PerUnitParams(self.kind, value, limit or Decimal(0), unit or Decimal(1), direction,
                               str(m.get("units", "exact")), deduct)
        c.rule(head.id, path, Compare(value, ">" if direction == "above" else "<", params.limit), fact=value,
               deduct=deduct)
        return Built(params, str(m["reason"]), str(m.get("reason_en", "")), [(str(m["reason"]), path + ("reason",))])

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, PerUnitParams)
        return [params.value]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        p = leaf.method
        assert isinstance(p, PerUnitParams)
        if not fired:
            return Scored()
        value = values[p.value]
        assert isinstance(value, Decimal)
        excess = max((value - p.limit) if p.direction == "above" else (p.limit - value), Decimal(0))
        units = count_units(excess / p.unit, p.units)
        out = Scored(deduction=units * p.deduct)
        if out.deduction > 0:
            out.fills.append((leaf.reason, leaf.reason_en, {"超出": units, "_edges": {"超出": (Decimal(0),)}}))
        return out

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: deduction beyond the limit"
        return f"{leaf.id} {leaf.name}：超出限额扣分"


METHOD = PerUnit()
