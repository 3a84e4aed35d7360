"""deductions: a list of conditions, each deducting its points when it holds.

Conditions are comparisons joined by and/or/not (no arithmetic: declare a derived fact), so
a matcher can decide them exactly; the deductions add up, capped at the leaf's points.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping, Sequence

from ..model import Holds, Leaf, Params, Path, Rule
from .base import records, Built, Checks, Firing, Head, Scored, dec


@dataclass(frozen=True)
class DeductionsParams(Params):
    pass


class Deductions:
    kind: ClassVar[str] = "deductions"
    fields: ClassVar[frozenset[str]] = frozenset()

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        templates = []
        for i, r in enumerate(records(m, "rules")):
            rp = path + ("rules", i)
            cond = c.condition(r["when"], rp + ("when",))
            deduct = dec(r["deduct"])
            c.amount(head, deduct, rp + ("deduct",), "扣分")
            if cond is not None:    # otherwise the policy is refused: no rule to make
                c.rule(head.id, rp, Holds(cond), deduct=deduct, reason=r["reason"], reason_en=r.get("reason_en", ""))
            templates.append((r["reason"], rp + ("reason",)))
        return Built(DeductionsParams(self.kind), templates=templates)

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        return [n for r in rules if isinstance(r.when, Holds) for n in r.when.condition.names]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        out = Scored()
        for index, _ in fired:
            r = rules[index]
            assert r.deduct is not None
            out.deduction += r.deduct
            out.fills.append((r.reason, r.reason_en, {"扣分": r.deduct}))
        return out

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        text = rule.when.condition.text if isinstance(rule.when, Holds) else ""
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: condition {text}"
        return f"{leaf.id} {leaf.name}：条件 {text}"


METHOD = Deductions()
