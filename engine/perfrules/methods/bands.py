"""bands: the score of the one band (interval) the value falls in.

Bands never overlap and, from the fact's minimum up, leave no gap (validate refuses both),
so exactly one rule fires for every department.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping, Sequence

from .. import expr
from ..model import EngineError, InInterval, Leaf, Params, Path, Rule
from .base import records, Built, Checks, Firing, Head, Scored, dec


@dataclass(frozen=True)
class BandsParams(Params):
    value: str


class Bands:
    kind: ClassVar[str] = "bands"
    fields: ClassVar[frozenset[str]] = frozenset({"区间"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        value = str(m["value"])
        f = c.numeric_fact(value, path + ("value",), "bands 的 value ")
        ivs, paths, templates = [], [], []
        for i, b in enumerate(records(m, "bands")):
            bp = path + ("bands", i)
            iv = c.interval(b["when"], bp + ("when",), (f.key, f.type) if f else None)
            ivs.append(iv)
            paths.append(bp + ("when",))
            score = dec(b["score"])
            c.amount(head, score, bp + ("score",), "档次得分")
            if iv is not None:
                c.rule(head.id, bp, InInterval(value, iv), fact=value, score=score, reason=b.get("reason", ""),
                       reason_en=b.get("reason_en", ""))
            if score < head.points and "reason" not in b:
                c.err("E201", bp, "得分低于满分的档次需要写扣分说明 reason。", "a band below full points needs a reason")
            if "reason" in b:
                templates.append((b["reason"], bp + ("reason",)))
        c.bands(ivs, paths, f.min if f else None, want_cover=True, percent=f is not None and f.type == "percent")
        return Built(BandsParams(self.kind, value), templates=templates)

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, BandsParams)
        return [params.value]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        return one_of(leaf, fired, rules, "bands")

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        assert rule.interval is not None
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: interval {rule.interval.text}"
        return f"{leaf.id} {leaf.name}：区间 {rule.interval.text}"


def one_of(leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule], what: str) -> Scored:
    """The score of the one band or tier that fired (bands and tiered alike)."""
    if len(fired) != 1:
        raise EngineError(f"{leaf.id}: {len(fired)} {what} fired, expected exactly one")
    r = rules[fired[0][0]]
    assert r.score is not None
    out = Scored(score=expr.round2(r.score))   # a band may give 3.456 or 5: two places, like every score
    if r.score < leaf.points:
        iv = r.interval
        out.fills.append((r.reason, r.reason_en, {"区间": expr.prose(iv) if iv else "", "档次": r.value or "",
                                                  "_en": {"区间": expr.prose(iv, "en") if iv else ""}}))
    return out


METHOD = Bands()
