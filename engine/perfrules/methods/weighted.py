"""weighted: a list of indicators scored as 权重 × 得分系数 (the 自评表 of Chongqing, Sichuan
and many provinces' 部门整体 evaluations).

Each record of a list fact is one indicator with a target, an actual value, a weight and a
direction. Its 得分系数 is actual ÷ target, capped at 100%, for a "higher is better" record,
and the mirror, target ÷ actual, for a "lower is better" one (反向指标, 控制率-type ceilings);
optionally rounded half-up to `round` places. A record loses round2(weight × (1 − 系数)); the
leaf loses the sum, capped at its points (扣完为止).

What fires is decided by the matcher: one rule per direction option (or one, with no
direction field), an `ItemCompare` that holds for a record whose actual is below its target
(higher) or above it (lower). The coefficient is never computed where nothing fired. Weights
are a record field (they must add up to the leaf's points), a constant per record (the
records must carry at least the points), or `equal` (points ÷ records); the fact reader
checks these (E410, `weight_problems`), so a table whose weights are short never gives
points away. Target and actual (and a weight field) must be declared `min: 0` or above, which
makes every coefficient defined: actual < target ⇒ target > 0; actual > target ⇒ actual > 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Iterator, Mapping, Sequence

from .. import expr
from ..model import FactDecl, ItemCompare, Leaf, Params, Path, Policy, Rule
from ..problems import did_you_mean
from .base import Built, Checks, Firing, Head, Scored, dec

ONE = Decimal(1)


@dataclass(frozen=True)
class WeightedParams(Params):
    items: str
    actual: str
    target: str
    weight: str | Decimal          # a record field, "equal", or a constant per record
    direction: str | None          # a choice field of the records, or None: all higher is better
    lower: tuple[str, ...]         # the direction options meaning lower is better
    places: int | None             # rounding of the coefficient
    item_label: str | None


def coefficient(p: WeightedParams, rec: Mapping[str, object]) -> Decimal:
    """The record's 得分系数: actual ÷ target (higher is better) or target ÷ actual (lower),
    capped at 1, rounded half-up to `places` when the policy says so."""
    actual, target = rec[p.actual], rec[p.target]
    assert isinstance(actual, Decimal) and isinstance(target, Decimal)
    lower = p.direction is not None and rec[p.direction] in p.lower
    if lower:
        c = ONE if actual <= target else target / actual
    else:
        c = ONE if actual >= target else actual / target
    return c if p.places is None else expr.round_to(c, p.places)


def weight_of(p: WeightedParams, rec: Mapping[str, object], points: Decimal, count: int) -> Decimal:
    if p.weight == "equal":
        return points / count
    if isinstance(p.weight, Decimal):
        return p.weight
    w = rec[p.weight]
    assert isinstance(w, Decimal)
    return w


class Weighted:
    kind: ClassVar[str] = "weighted"
    fields: ClassVar[frozenset[str]] = frozenset({"项目", "系数", "权重", "实际", "目标", "方向"})

    def build(self, c: Checks, head: Head, m: Mapping[str, object], path: Path) -> Built:
        items = str(m["items"])
        lst = c.fact_of(items, path + ("items",), {"list"}, "weighted 的 items ")
        fields = lst.fields if lst is not None else {}
        actual, target = str(m["actual"]), str(m["target"])
        for key, role in ((actual, "actual"), (target, "target")):
            _numeric_field(c, fields, key, path + (role,), role, lst is not None)
        weight = _weight(c, head, fields, m.get("weight", "equal"), path + ("weight",), lst is not None)
        direction, lower = _direction(c, fields, m, path, lst is not None)
        label = m.get("item_label")
        if label is not None and lst is not None and (label not in fields or fields[str(label)].expr_type != "text"):
            c.err("E304", path + ("item_label",), f"item_label 应是列表“{items}”中的文字字段。",
                  f"item_label must be a text field of '{items}'", hint=did_you_mean(str(label), fields) or "",
                  hint_en=did_you_mean(str(label), fields, "en") or "")
        options = fields[direction].options if direction is not None and direction in fields else ()
        for option in options or (None,):
            op = ">" if option in lower else "<"
            c.rule(head.id, path, ItemCompare(items, actual, op, target, direction, option))
        params = WeightedParams(self.kind, items, actual, target, weight, direction, lower,
                                None if m.get("round") is None else int(str(m["round"])),
                                None if label is None else str(label))
        return Built(params, str(m["reason"]), str(m.get("reason_en", "")), [(str(m["reason"]), path + ("reason",))])

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]:
        assert isinstance(params, WeightedParams)
        return [params.items]

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored:
        p = leaf.method
        assert isinstance(p, WeightedParams)
        records = items.get(p.items, [])
        out, shown = Scored(), []
        for n in sorted({n for _, n in fired if n is not None}):
            rec = records[n]
            c = coefficient(p, rec)
            w = weight_of(p, rec, leaf.points, len(records))
            lost = expr.round2(w * (ONE - c))
            name = rec[p.item_label] if p.item_label else f"第{n + 1}项"
            shown.append({**({p.item_label: name} if p.item_label else {"序号": n + 1}),
                          p.actual: rec[p.actual], p.target: rec[p.target], "系数": c})
            if lost > 0:
                out.deduction += lost
                fields: dict[str, object] = {"扣分": lost, "项目": name, "系数": c, "权重": w, "实际": rec[p.actual],
                                             "目标": rec[p.target], "方向": rec[p.direction] if p.direction else ""}
                if not p.item_label:
                    fields["_en"] = {"项目": f"item {n + 1}"}
                out.fills.append((leaf.reason, leaf.reason_en, fields))
        out.used[p.items] = shown
        return out

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str:
        when = rule.when
        assert isinstance(when, ItemCompare)
        below = when.op == "<"
        if lang == "en":
            which = f" ({when.value})" if when.value is not None else ""
            return f"{leaf.id} {leaf.name_en or leaf.name}: a record{which} {'below' if below else 'above'} its target"
        which = f"（{when.value}）" if when.value is not None else ""
        return f"{leaf.id} {leaf.name}：{'正向' if below else '反向'}指标{which}{'未达到' if below else '超过'}目标值"


def _numeric_field(c: Checks, fields: Mapping[str, FactDecl], key: str, path: Path, role: str, known: bool) -> None:
    """A numeric record field declared min: 0 or above (so that every coefficient is defined)."""
    if not known:
        return
    f = fields.get(key)
    if f is None or f.expr_type != "number":
        c.err("E304" if f is None else "E311", path, f"{role} 应是列表中的数值字段，“{key}”不是。",
              f"{role} must be a numeric field of the list; '{key}' is not",
              hint=did_you_mean(key, fields) or "", hint_en=did_you_mean(key, fields, "en") or "")
    elif f.min is None or f.min < 0:
        c.err("E311", path, f"{role} 字段“{key}”须声明 min: 0（或更大），得分系数才有定义。",
              f"the {role} field '{key}' must declare min: 0 or above for the coefficient to be defined",
              hint=f"在字段“{key}”的声明中加上 min: 0。", hint_en=f"add min: 0 to the declaration of '{key}'")


def _weight(c: Checks, head: Head, fields: Mapping[str, FactDecl], raw: object, path: Path,
            known: bool) -> str | Decimal:
    if isinstance(raw, str):
        if raw != "equal":
            _numeric_field(c, fields, raw, path, "weight", known)
        return raw
    w = dec(raw)
    c.amount(head, w, path, "权重")
    return w


def _direction(c: Checks, fields: Mapping[str, FactDecl], m: Mapping[str, object], path: Path,
               known: bool) -> tuple[str | None, tuple[str, ...]]:
    """The direction field and its lower-is-better options (both or neither)."""
    raw_lower = m.get("lower")
    lower = tuple(str(x) for x in raw_lower) if isinstance(raw_lower, list) else ()
    if "direction" not in m:
        if lower:
            c.err("E201", path + ("lower",), "写了 lower 就要写 direction（记录中表示方向的选项字段）。",
                  "lower needs direction (the records' choice field)", at_key=True)
        return None, ()
    direction = str(m["direction"])
    f = fields.get(direction)
    if known and (f is None or f.type != "choice"):
        c.err("E304" if f is None else "E311", path + ("direction",), f"direction 应是列表中的选项（choice）字段，“{direction}”不是。",
              f"direction must be a choice field of the list; '{direction}' is not",
              hint=did_you_mean(direction, fields) or "", hint_en=did_you_mean(direction, fields, "en") or "")
        return direction, lower
    if "lower" not in m:
        c.err("E201", path, "写了 direction 就要用 lower 列出表示“越低越好”的选项（如 [反向]）。",
              "direction needs lower: the options meaning lower is better", at_key=False)
    for i, option in enumerate(lower):
        if f is not None and option not in f.options:
            c.err("E204", path + ("lower", i), f"“{option}”不是字段“{direction}”的选项（{'、'.join(f.options)}）。",
                  f"'{option}' is not an option of '{direction}'", hint=did_you_mean(option, f.options) or "",
                  hint_en=did_you_mean(option, f.options, "en") or "")
    return direction, lower


# ---- what the fact reader checks (E410) -----------------------------------------------------

def weight_problems(policy: Policy, items: Mapping[str, list[dict[str, object]]]) -> Iterator[tuple[Leaf, str, str]]:
    """(leaf, 中文, English) for each weighted leaf whose records cannot carry its points:
    weights of a field that do not add up to them, constant weights that fall short, no records."""
    for leaf in policy.leaves():
        p = leaf.method
        if not isinstance(p, WeightedParams):
            continue
        records = items.get(p.items, [])
        who = f"指标 {leaf.id}“{leaf.name}”"
        if not records:
            yield leaf, f"{who}按“{p.items}”逐项加权计分，但列表中没有记录。", f"{leaf.id} weighs the records of '{p.items}', but there are none"
        elif isinstance(p.weight, Decimal) and p.weight * len(records) < leaf.points:
            yield (leaf, f"{who}每项权重 {expr.fmt(p.weight)} 分，{len(records)} 项合计 {expr.fmt(p.weight * len(records))} 分，"
                   f"不足分值 {expr.fmt(leaf.points)} 分。",
                   f"{leaf.id}: {len(records)} records of {expr.fmt(p.weight)} carry less than its {expr.fmt(leaf.points)} points")
        elif isinstance(p.weight, str) and p.weight != "equal":
            total = sum((w for w in (r[p.weight] for r in records) if isinstance(w, Decimal)), Decimal(0))
            if total != leaf.points:
                yield (leaf, f"{who}各项“{p.weight}”之和为 {expr.fmt(total)}，与分值 {expr.fmt(leaf.points)} 不符。",
                       f"{leaf.id}: the '{p.weight}' of the records add up to {expr.fmt(total)}, not {expr.fmt(leaf.points)}")


METHOD = Weighted()
