"""per_item: bands over each record of a list fact (绩效指标: each indicator's gap).

Every record whose measure falls in a band fires that band once; `aggregate: each` deducts
per record, `aggregate: worst` only the worst band that fired.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Mapping, Sequence

from .. import expr
from ..model import ItemInInterval, Leaf, Params, Path, Rule
from ..problems import did_you_mean
from .base import records, Built, Checks, Firing, Head, Scored, dec


@dataclass(frozen=True)
class PerItemParams(Params):
    items: str
    measure: str
    item_label: str | None
    aggregate: str          # each | worst


class PerItem:
    kind: ClassVar[str] = "per_item"
    fields: ClassVar[frozenset[str]] = frozenset({"项目", "个数", "区间"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        items, measure = str(m["items"]), str(m["measure"])
        label = m.get("item_label")
        lst = c.fact_of(items, path + ("items",), {"list"}, "per_item 的 items ")
        fm = None
        if lst is not None:
            fm = lst.fields.get(measure)
            if fm is None or fm.expr_type != "number":
                c.err("E304" if fm is None else "E311", path + ("measure",),
                      f"measure 应是列表“{lst.key}”中的数值字段，“{measure}”不是。",
                      f"measure must be a numeric field of '{lst.key}'",
                      hint=did_you_mean(measure, lst.fields) or "", hint_en=did_you_mean(measure, lst.fields, "en") or "")
            if label is not None and (label not in lst.fields or lst.fields[str(label)].expr_type != "text"):
                c.err("E304", path + ("item_label",), f"item_label 应是列表“{lst.key}”中的文字字段。",
                      f"item_label must be a text field of '{lst.key}'", hint=did_you_mean(str(label), lst.fields) or "",
                      hint_en=did_you_mean(str(label), lst.fields, "en") or "")
        ivs, paths, templates = [], [], []
        for i, b in enumerate(records(m, "bands")):
            bp = path + ("bands", i)
            iv = c.interval(b["when"], bp + ("when",), (fm.key, fm.type) if fm is not None else None)
            ivs.append(iv)
            paths.append(bp + ("when",))
            deduct = dec(b["deduct"])
            c.amount(head, deduct, bp + ("deduct",), "单项扣分")
            if iv is not None:
                c.rule(head.id, bp, ItemInInterval(items, measure, iv), deduct=deduct, reason=b["reason"],
                       reason_en=b.get("reason_en", ""))
            templates.append((b["reason"], bp + ("reason",)))
        c.bands(ivs, paths, None, want_cover=False)
        params = PerItemParams(self.kind, items, measure, None if label is None else str(label),
                               str(m.get("aggregate", "each")))
        return Built(params, templates=templates)

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, PerItemParams)
        return [params.items]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        p = leaf.method
        assert isinstance(p, PerItemParams)
        records = items.get(p.items, [])
        groups: dict[int, list[int]] = {}
        for index, n in fired:
            assert n is not None
            groups.setdefault(index, []).append(n)
        if p.aggregate == "worst" and groups:
            worst = max(groups, key=lambda i: (rules[i].deduct or Decimal(0), -i))
            groups = {worst: groups[worst]}
        out = Scored()
        for index, ns in groups.items():
            r = rules[index]
            assert r.deduct is not None and r.interval is not None
            amount = r.deduct if p.aggregate == "worst" else r.deduct * len(ns)
            out.deduction += amount
            if p.item_label:
                names: list[object] = [records[n][p.item_label] for n in ns]
                names_en = names
            else:   # no name field: the record's position, in each language's words
                names, names_en = [f"第{n + 1}项" for n in ns], [f"item {n + 1}" for n in ns]
            out.fills.append((r.reason, r.reason_en, {"扣分": amount, "项目": names, "个数": len(ns),
                                                      "区间": expr.prose(r.interval),
                                                      "_en": {"项目": names_en, "区间": expr.prose(r.interval, "en")}}))
        # the records that deducted, each whole (its inputs beside the measure derived from them)
        out.used[p.items] = [{**({} if p.item_label else {"序号": n + 1}), **records[n]} for _, n in fired if n is not None]
        return out

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        assert rule.interval is not None
        if lang == "en":
            return f"{leaf.id} {leaf.name_en or leaf.name}: interval {rule.interval.text}"
        return f"{leaf.id} {leaf.name}：区间 {rule.interval.text}"


METHOD = PerItem()
