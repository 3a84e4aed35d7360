"""tiered: a choice fact, one score per option (评价等次 → 得分).

Every option has exactly one tier (validate refuses a missing or repeated one), so exactly
one rule fires for every department.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping, Sequence

from ..model import Compare, Leaf, Params, Path, Rule
from ..problems import did_you_mean
from .bands import one_of
from .base import records, Built, Checks, Firing, Head, Scored, dec


@dataclass(frozen=True)
class TieredParams(Params):
    choice: str


class Tiered:
    kind: ClassVar[str] = "tiered"
    fields: ClassVar[frozenset[str]] = frozenset({"档次"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        choice = str(m["choice"])
        f = c.fact_of(choice, path + ("choice",), {"choice"}, "tiered 的 choice ")
        seen: set[str] = set()
        templates = []
        for i, t in enumerate(records(m, "tiers")):
            tp = path + ("tiers", i)
            if f is not None and t["value"] not in f.options:
                c.err("E204", tp + ("value",), f"档次“{t['value']}”不是事实“{f.key}”的选项。",
                      f"tier '{t['value']}' is not an option of '{f.key}'",
                      hint=did_you_mean(t["value"], f.options) or f"可选：{'、'.join(f.options)}",
                      hint_en=did_you_mean(t["value"], f.options, "en") or f"options: {', '.join(f.options)}")
            if t["value"] in seen:
                c.err("E305", tp + ("value",), f"档次“{t['value']}”重复。", f"tier '{t['value']}' is listed twice")
            seen.add(t["value"])
            score = dec(t["score"])
            c.amount(head, score, tp + ("score",), "档次得分")
            if score < head.points and "reason" not in t:
                c.err("E201", tp, "得分低于满分的档次需要写扣分说明 reason。", "a tier below full points needs a reason")
            c.rule(head.id, tp, Compare(choice, "==", t["value"]), fact=choice, value=t["value"], score=score,
                   reason=t.get("reason", ""), reason_en=t.get("reason_en", ""))
            if "reason" in t:
                templates.append((t["reason"], tp + ("reason",)))
        if f is not None:
            missing = [o for o in f.options if o not in seen]
            if missing:
                c.err("E307", path + ("tiers",), f"选项 {'、'.join(missing)} 没有对应的档次。",
                      f"options without a tier: {', '.join(missing)}")
        return Built(TieredParams(self.kind, choice), templates=templates)

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, TieredParams)
        return [params.choice]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        return one_of(leaf, fired, rules, "tiers")

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: tier \"{rule.value}\""
        return f"{leaf.id} {leaf.name}：档次“{rule.value}”"


METHOD = Tiered()
