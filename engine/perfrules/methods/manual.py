"""manual: an assessor's score with a written reason, optionally named by tiers.

The fact reader has already refused a score outside 0..points; the rule fires when the
score is below full points, and the score is clamped to the leaf's range whatever fired.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from .. import expr
from ..model import Compare, Leaf, Params, Path, Rule
from .base import records, Built, Checks, Firing, Head, Scored


@dataclass(frozen=True)
class ManualParams(Params):
    score: str
    note: str
    tiers: tuple[tuple[str, expr.Interval], ...]


_RATIO = ("分数 ÷ 分值", "percent", "score / points")      # what tiers band: the score as a share of the points


class Manual:
    kind: ClassVar[str] = "manual"
    fields: ClassVar[frozenset[str]] = frozenset({"说明", "档次"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        score, note = str(m["score"]), str(m["note"])
        c.numeric_fact(score, path + ("score",), "manual 的 score ")
        c.fact_of(note, path + ("note",), {"text"}, "manual 的 note ")
        tiers: list[tuple[str, expr.Interval | None]] = []
        for i, t in enumerate(records(m, "tiers")):
            tiers.append((t["label"], c.interval(t["when"], path + ("tiers", i, "when"), _RATIO)))
        if tiers and all(iv for _, iv in tiers):
            c.bands([iv for _, iv in tiers], [path + ("tiers", i, "when") for i in range(len(tiers))],
                    Decimal(0), want_cover=True, percent=True)
        c.rule(head.id, path, Compare(score, "<", head.points), fact=score)
        params = ManualParams(self.kind, score, note, tuple((label, iv) for label, iv in tiers if iv is not None))
        return Built(params, str(m["reason"]), str(m.get("reason_en", "")), [(str(m["reason"]), path + ("reason",))])

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, ManualParams)
        return [params.score, params.note]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        p = leaf.method
        assert isinstance(p, ManualParams)
        if not fired:
            return Scored(score=leaf.points)
        given = values[p.score]
        assert isinstance(given, Decimal)
        tier = next((label for label, iv in p.tiers if iv.contains(given / leaf.points)), "")
        return Scored(score=expr.round2(min(max(given, Decimal(0)), leaf.points)),
                      fills=[(leaf.reason, leaf.reason_en, {"说明": values[p.note], "档次": tier})])

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: manual score below full marks"
        return f"{leaf.id} {leaf.name}：手工评分低于满分"


METHOD = Manual()
