"""The assessor's judgement (认定), on the record: a fact file may set or move a leaf's score
with a reason, where the policy allows it and within its bounds.

Real reports give full marks where a rule read literally would deduct (Chongqing 2021:
政府采购执行率 72.74% against 100%, full marks). Without this the only way to reproduce such a
score is to falsify a fact, and then every audit says 核对无误. Here an honest override is
easier than a lie: the policy says per leaf whether and how far (`override: {min, max,
max_change}`; absent: not allowed), the fact file says what and why (`overrides:`), the rules
still decide what fires and score the leaf, and the override is applied on top, keeping the
rules' score beside it for every report, audit and batch row.

Three steps, three callers: `bounds` (validate: the policy's leaf key), `read` (facts: the
fact file's list, every problem that can be seen there), `check` (score: the bounds that
need the rules' score, reported at the override's own line through `Override.at`).
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Callable, Mapping

from . import expr
from .model import Leaf, Override, OverrideBounds, Path, Policy
from .problems import Problem, did_you_mean

CODE = "E409"
Err = Callable[..., None]          # err(code, path, zh, en, hint=, hint_en=, at_key=)


def bounds(x: Mapping[str, Any], points: Decimal, leaf: bool, path: Path, err: Err) -> OverrideBounds | None:
    """An indicator's `override:` as bounds (None when absent or refused)."""
    if "override" not in x:
        return None
    p = path + ("override",)
    if not leaf:
        err("E203", p, "只有最下级指标才能允许认定（override）；认定针对一个指标的得分。",
            "only leaf indicators take override", at_key=True)
        return None
    o = x["override"]
    lo, hi = Decimal(str(o.get("min", 0))), Decimal(str(o.get("max", points)))
    change = Decimal(str(o["max_change"])) if "max_change" in o else None
    ok = True
    for key, value in (("min", lo), ("max", hi), ("max_change", change)):
        if value is not None and value > points:
            err("E303", p + (key,), f"override 的 {key} 为 {expr.fmt(value)}，超过了指标分值 {expr.fmt(points)}。",
                f"override {key} {expr.fmt(value)} exceeds the indicator's {expr.fmt(points)} points")
            ok = False
    if lo > hi:
        err("E204", p + ("min",), f"override 的 min（{expr.fmt(lo)}）大于 max（{expr.fmt(hi)}）。",
            f"override min {expr.fmt(lo)} is above max {expr.fmt(hi)}")
        ok = False
    return OverrideBounds(lo, hi, change) if ok else None


def read(doc: Any, policy: Policy, err: Err) -> tuple[Override, ...]:
    """The fact file's `overrides:` (the schema has checked the shape), each refused (E409)
    when the policy does not allow it or it breaks a bound visible here."""
    out: list[Override] = []
    seen: set[str] = set()
    for i, o in enumerate(doc.data.get("overrides") or ()):
        p: Path = ("overrides", i)
        leaf = _leaf(policy, str(o["indicator"]), p + ("indicator",), err)
        if leaf is None:
            continue
        if leaf.id in seen:
            err(CODE, p + ("indicator",), f"指标 {leaf.id} 已有一项认定；一个指标只能认定一次。",
                f"{leaf.id} already has an override; one per indicator")
            continue
        seen.add(leaf.id)
        value = _value(o, leaf, p, err)
        if value is None:
            continue
        key, amount = value
        out.append(Override(leaf.id, str(o["reason"]).strip(), amount if key == "score" else None,
                            amount if key == "adjust" else None, str(o.get("by", "")).strip(),
                            str(o.get("document", "")).strip(), at=doc.problem(CODE, p + (key,))))
    return tuple(out)


def _leaf(policy: Policy, ind: str, path: Path, err: Err) -> Leaf | None:
    """The leaf an override names, if it exists, is a leaf and allows overrides."""
    node = policy.indicator_index.get(ind)
    if node is None:
        err(CODE, path, f"评分办法 {policy.id} 没有指标“{ind}”。", f"policy {policy.id} has no indicator '{ind}'",
            hint=did_you_mean(ind, policy.indicator_index) or "", hint_en=did_you_mean(ind, policy.indicator_index, "en") or "")
        return None
    if not isinstance(node, Leaf):
        err(CODE, path, f"指标 {ind}“{node.name}”有下级指标；认定只能针对最下级指标的得分。",
            f"{ind} has children; only a leaf's score can be overridden",
            hint=f"改为认定其下级指标：{'、'.join(leaf.id for leaf in node.leaves())}。")
        return None
    if node.override is None:
        err(CODE, path, f"评分办法 {policy.id} 不允许认定指标 {ind}“{node.name}”的得分。",
            f"policy {policy.id} does not allow overriding {ind}",
            hint="认定须经评分办法允许：在该指标上写 override（可限定 min、max、max_change）。",
            hint_en="the policy must allow it: override on that indicator (with min, max, max_change)")
        return None
    return node


def _value(o: Mapping[str, Any], leaf: Leaf, p: Path, err: Err) -> tuple[str, Decimal] | None:
    """("score" | "adjust", amount) when exactly one is given, to the cent, with a reason, and
    within what can be checked before scoring."""
    given = [k for k in ("score", "adjust") if k in o]
    if len(given) != 1:
        err(CODE, p, "认定应写 score（认定的得分）或 adjust（在按规则得分上增减），二者写且只写一个。",
            "an override gives exactly one of score and adjust")
        return None
    key = given[0]
    if not str(o["reason"]).strip():
        err(CODE, p + ("reason",), f"指标 {leaf.id} 的认定没有写理由。", f"the override of {leaf.id} has no reason",
            hint="写明认定的理由，如“采购执行率低系年底追加预算所致，经评审认定得满分”。")
        return None
    amount = Decimal(str(o[key]))
    if amount != expr.round2(amount):
        err(CODE, p + (key,), f"认定的{'得分' if key == 'score' else '增减'} {expr.fmt(amount)} 超过两位小数。",
            f"the override's {key} {expr.fmt(amount)} has more than two decimal places")
        return None
    b = leaf.override
    assert b is not None
    problem = (_outside(leaf, amount, b) if key == "score" else
               _too_far(leaf, abs(amount), b.max_change) if b.max_change is not None else None)
    if problem:
        err(CODE, p + (key,), *problem)
        return None
    return key, amount


def _outside(leaf: Leaf, score: Decimal, b: OverrideBounds) -> tuple[str, str] | None:
    if b.min <= score <= b.max:
        return None
    return (f"指标 {leaf.id}“{leaf.name}”认定为 {expr.fmt(score)} 分，评分办法只允许认定在 {expr.fmt(b.min)} 至 {expr.fmt(b.max)} 分之间。",
            f"{leaf.id} set to {expr.fmt(score)}; the policy allows {expr.fmt(b.min)} to {expr.fmt(b.max)}")


def _too_far(leaf: Leaf, change: Decimal, limit: Decimal | None) -> tuple[str, str] | None:
    if limit is None or change <= limit:
        return None
    return (f"指标 {leaf.id}“{leaf.name}”的认定与按规则得分相差 {expr.fmt(change)} 分，评分办法只允许相差 {expr.fmt(limit)} 分以内。",
            f"{leaf.id}: the override moves the score by {expr.fmt(change)}; the policy allows at most {expr.fmt(limit)}")


def check(o: Override, leaf: Leaf, rules_score: Decimal) -> tuple[Decimal, Problem | None]:
    """The 认定 score for this rules' score, or the located problem (E409) when it breaks a
    bound only the rules' score shows: an adjust beyond [min, max], a score too far from it."""
    b = leaf.override
    assert b is not None
    score = o.score if o.score is not None else rules_score + (o.adjust or Decimal(0))
    problem = _outside(leaf, score, b) or _too_far(leaf, abs(score - rules_score), b.max_change)
    if problem is None:
        return expr.round2(score), None
    zh, en = problem
    zh = zh.removesuffix("。") + f"（按规则得 {rules_score} 分）。"
    en += f" (the rules give {rules_score})"
    assert o.at is not None
    return score, dataclasses.replace(o.at, message=zh, message_en=en)


def sentence(o: Override, rules_score: Decimal, score: Decimal, lang: str) -> str:
    """The 认定 line a report prints under its leaf."""
    if lang == "en":
        extra = "; ".join(x for x in (o.by and f"by {o.by}", o.document and f"document {o.document}") if x)
        return (f"Override: {expr.fmt(rules_score)} by the rules, set to {expr.fmt(score)}; reason: {o.reason}"
                + (f" ({extra})" if extra else ""))
    extra = "；".join(x for x in (o.by and f"认定：{o.by}", o.document and f"依据：{o.document}") if x)
    return f"认定：按评分规则得{expr.fmt(rules_score)}分，认定为{expr.fmt(score)}分，理由：{o.reason}" + (f"（{extra}）" if extra else "")
