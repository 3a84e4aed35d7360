"""checklist: yes/no items (制度建设), each missing item deducting its points.

One rule per item fires when its boolean fact is false; the deductions add up, capped.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from ..model import Compare, Leaf, Params, Path, Rule
from .base import records, Built, Checks, Firing, Head, Scored, dec


@dataclass(frozen=True)
class ChecklistParams(Params):
    pass


class Checklist:
    kind: ClassVar[str] = "checklist"
    fields: ClassVar[frozenset[str]] = frozenset({"缺少项", "缺少个数"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        for i, it in enumerate(records(m, "items")):
            ip = path + ("items", i)
            c.fact_of(it["fact"], ip + ("fact",), {"boolean"}, "清单项 ")
            deduct = dec(it["deduct"])
            c.amount(head, deduct, ip + ("deduct",), "清单项扣分")
            c.rule(head.id, ip, Compare(it["fact"], "==", False), fact=it["fact"], deduct=deduct, label=it["label"],
                   label_en=it.get("label_en", ""))
        return Built(ChecklistParams(self.kind), str(m["reason"]), str(m.get("reason_en", "")),
                     [(str(m["reason"]), path + ("reason",))])

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        return [r.fact for r in rules if r.fact]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        if not fired:
            return Scored()
        missing = [rules[i] for i, _ in fired]
        return Scored(deduction=sum((r.deduct or Decimal(0) for r in missing), Decimal(0)),
                      fills=[(leaf.reason, leaf.reason_en, {"缺少项": [r.label for r in missing], "缺少个数": len(missing),
                                                            "_en": {"缺少项": [r.label_en or r.label for r in missing]}})])

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: missing \"{rule.label_en or rule.label}\""
        return f"{leaf.id} {leaf.name}：缺少“{rule.label}”"


METHOD = Checklist()
