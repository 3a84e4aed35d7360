"""proportional: points × rate ÷ full_at, capped at full points (预算执行率 × 权重).

The one rule fires when the rate is below full_at; nothing fires at or above it (full marks).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from .. import expr
from ..model import Compare, Leaf, Params, Path, Rule
from .base import Built, Checks, Firing, Head, Scored


@dataclass(frozen=True)
class ProportionalParams(Params):
    rate: str
    full_at: Decimal


class Proportional:
    kind: ClassVar[str] = "proportional"
    fields: ClassVar[frozenset[str]] = frozenset()

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
        return Built(ProportionalParams(self.kind, rate, full_at), str(m["reason"]), str(m.get("reason_en", "")),
                     [(str(m["reason"]), path + ("reason",))])

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
        frac = min(max(rate / p.full_at, Decimal(0)), Decimal(1))
        return Scored(score=expr.round2(leaf.points * frac), fills=[(leaf.reason, leaf.reason_en, {})])

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: below full marks"
        return f"{leaf.id} {leaf.name}：未得满分"


METHOD = Proportional()
