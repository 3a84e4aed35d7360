"""Audit: check the score and deductions a department claimed against the policy.

A fact file may carry `claimed: {score, deductions: [{indicator, points, reason}]}` — what its
report says. Every difference is a Discrepancy: a different total, a deduction claimed but
not due, one due but not claimed, a different amount, and arithmetic that does not add up.
Each carries its message in Chinese and English, the way a Problem does; report/audit.py
lays them out.

An assessor's 认定 (overrides.py) is no discrepancy — the policy allowed it — but it is never
passed over either: each is its own finding, kind `override`, with the score the rules alone
give beside the 认定 one, so that an audit can no longer say 核对无误 of a score set by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Mapping, cast

from . import expr
from .problems import InputError

if TYPE_CHECKING:
    from .score import Result


@dataclass(frozen=True)
class Discrepancy:
    kind: str          # total | not_due | not_claimed | amount | arithmetic | unknown_indicator | override
    indicator: str
    claimed: Decimal | None        # override: the 认定 score
    due: Decimal | None            # override: the score the rules alone give
    message: str
    message_en: str

    def text(self, lang: str = "zh") -> str:
        return self.message if lang == "zh" else self.message_en


@dataclass
class Audited:
    """One fact file's audit: the result the policy gives, what the claim got wrong, and
    every 认定 in it (kind override: findings, not discrepancies)."""
    file: str
    result: Result
    found: list[Discrepancy]
    overrides: list[Discrepancy] = field(default_factory=list)


def audit_file(path, policy_ref: str | None = None, items=None) -> list[Audited]:
    """Evaluate each department a fact input holds (a fact file or a form: one; a CSV with its
    --items, a district workbook, JSON Lines: one a row) and check its `claimed` block."""
    from .readers import fact_documents
    from .service import evaluate_document
    docs = fact_documents(path, items)
    out = []
    for doc in docs:
        result = evaluate_document(doc, policy_ref)
        _claim_within_full_score(doc, result)
        out.append(Audited(str(path) if len(docs) == 1 else doc.file, result, audit(result, doc), judged(result)))
    return out


def _claim_within_full_score(doc, result: Result) -> None:
    """A claimed score above the full score (196.88 of 100) is a slip to correct, not a claim to
    check deduction by deduction: E407 at it. (evaluate and batch score the facts regardless.)"""
    claim = doc.data.get("claimed") if isinstance(doc.data, dict) else None
    score = claim.get("score") if isinstance(claim, dict) else None
    full = result.policy.full_score
    if isinstance(score, (int, Decimal)) and not isinstance(score, bool) and score > full:
        score = Decimal(score)
        raise InputError([doc.problem(
            "E407", ("claimed", "score"), f"自报得分 {expr.fmt(score)} 超过评分办法 {result.policy.id} 的满分 {expr.fmt(full)}。",
            f"the claimed score {expr.fmt(score)} is above the full score {expr.fmt(full)} of {result.policy.id}",
            hint="核对自报得分是否抄错（多写了一位，或写成了扣分前的分数）。", hint_en="Check the claimed score (a digit too many?).")])


def judged(result: Result) -> list[Discrepancy]:
    """Each 认定, with the rules' score beside it, the reason, who and the document."""
    out = []
    for n in result.overridden:
        o, ind = n.override, n.indicator
        assert o is not None and n.rules_score is not None
        by = "".join(f"；{label}{v}" for label, v in (("认定：", o.by), ("依据：", o.document)) if v)
        by_en = "".join(f"; {label}{v}" for label, v in (("by ", o.by), ("document ", o.document)) if v)
        out.append(Discrepancy("override", ind.id, n.score, n.rules_score,
                               f"{ind.id} {ind.name}：认定为 {n.score} 分，按评分规则为 {n.rules_score} 分（理由：{o.reason}{by}）。",
                               f"{ind.id}: set to {n.score} by override, {n.rules_score} by the rules (reason: {o.reason}{by_en})"))
    return out


def _r(x) -> Decimal:
    return expr.round2(Decimal(str(x)))


def audit(result: Result, doc) -> list[Discrepancy]:
    claimed = result.department.claimed
    if not claimed:
        raise InputError([doc.problem("E201", (), "事实文件中没有 claimed（部门自报的得分与扣分），无从核对。",
                                      "the fact file has no `claimed` block to audit",
                                      hint="加上 claimed: {score: 自评得分, deductions: [{indicator: 指标编号, points: 扣分}]}。")])
    out: list[Discrepancy] = []
    policy = result.policy
    full = expr.round2(policy.full_score)
    score = _r(claimed["score"])
    # facts.schema.json: claimed.deductions is a list of {indicator, points, reason}
    items = cast("list[Mapping[str, object]]", claimed.get("deductions") or [])
    total_claimed = sum((_r(d["points"]) for d in items), Decimal("0.00"))
    if score != result.score:
        out.append(Discrepancy("total", "", score, result.score,
                               f"自报得分 {score}，按评分办法应为 {result.score}。",
                               f"claimed score {score}, the policy gives {result.score}"))
    if "deductions" not in claimed:     # a claim of a total only: nothing itemised to check
        return out
    if full - score != total_claimed:
        out.append(Discrepancy("arithmetic", "", total_claimed, full - score,
                               f"自报扣分合计 {total_claimed}，但满分 {full} 减自报得分 {score} 为 {full - score}。",
                               f"claimed deductions add up to {total_claimed}, but {full} - {score} = {full - score}"))
    nodes = {}
    for top in result.indicators:
        stack = [top]
        while stack:
            n = stack.pop()
            nodes[n.indicator.id] = n
            stack.extend(n.children)
    claimed_by: dict[str, Decimal] = {}
    for d in items:
        claimed_by[str(d["indicator"])] = claimed_by.get(str(d["indicator"]), Decimal("0.00")) + _r(d["points"])
    covered: set[str] = set()
    for ind, pts in claimed_by.items():
        node = nodes.get(ind)
        if node is None:
            out.append(Discrepancy("unknown_indicator", ind, pts, None,
                                   f"自报扣分的指标“{ind}”不在评分办法 {policy.id} 中。",
                                   f"indicator '{ind}' is not in policy {policy.id}"))
            continue
        covered.update(leaf.indicator.id for leaf in node.leaves())
        due = node.deduction
        name = node.indicator.name
        if due == 0:
            out.append(Discrepancy("not_due", ind, pts, due, f"{ind} {name}：自报扣 {pts} 分，按评分办法不应扣分。",
                                   f"{ind}: claimed -{pts}, nothing is due"))
        elif due != pts:
            out.append(Discrepancy("amount", ind, pts, due,
                                   f"{ind} {name}：自报扣 {pts} 分，按评分办法应扣 {due} 分（{'；'.join(_reasons(node))}）。",
                                   f"{ind}: claimed -{pts}, due -{due}"))
    for leaf in result.deductions:
        if leaf.indicator.id not in covered:
            out.append(Discrepancy("not_claimed", leaf.indicator.id, None, leaf.deduction,
                                   f"{leaf.indicator.id} {leaf.indicator.name}：应扣 {leaf.deduction} 分但未自报（{'；'.join(leaf.reasons)}）。",
                                   f"{leaf.indicator.id}: -{leaf.deduction} is due but not claimed"))
    return out


def _reasons(node) -> list[str]:
    return [r for leaf in node.leaves() for r in leaf.reasons]
