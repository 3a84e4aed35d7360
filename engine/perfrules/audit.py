"""Audit: check the score and deductions a department claimed against the policy.

A fact file may carry `claimed: {score, deductions: [{indicator, points, reason}]}` — what its
report says. Every difference is a Discrepancy: a different total, a deduction claimed but
not due, one due but not claimed, a different amount, and arithmetic that does not add up.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import expr
from .score import Result
from .problems import InputError


@dataclass(frozen=True)
class Discrepancy:
    kind: str          # total | not_due | not_claimed | amount | arithmetic | unknown_indicator
    indicator: str
    claimed: Decimal | None
    due: Decimal | None
    message: str
    message_en: str

    def as_dict(self, lang="zh") -> dict:
        return {"kind": self.kind, "indicator": self.indicator,
                "claimed": None if self.claimed is None else format(self.claimed, "f"),
                "due": None if self.due is None else format(self.due, "f"),
                "message": self.message if lang == "zh" else self.message_en}


KINDS_ZH = {"total": "得分不符", "not_due": "多扣分", "not_claimed": "漏扣分", "amount": "扣分数不符",
            "arithmetic": "自报数字不自洽", "unknown_indicator": "未知指标"}


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
    items = claimed.get("deductions") or []
    total_claimed = sum((_r(d["points"]) for d in items), Decimal("0.00"))
    if score != result.score:
        out.append(Discrepancy("total", "", score, result.score,
                               f"自报得分 {score}，按评分办法应为 {result.score}。",
                               f"claimed score {score}, the policy gives {result.score}"))
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


def render_text(entries, lang="zh") -> str:
    zh = lang == "zh"
    lines, bad = [], 0
    for path, result, found in entries:
        head = f"{path}：{result.department.name}"
        if not found:
            lines.append(f"{head} — {'核对无误' if zh else 'agrees'}（{'得分' if zh else 'score'} {result.score}）")
            continue
        bad += 1
        lines.append(f"{head} — {'发现' if zh else 'found'} {len(found)} {'处不符' if zh else 'discrepancies'}")
        for d in found:
            label = KINDS_ZH[d.kind] if zh else d.kind
            lines.append(f"  [{label}] {d.message if zh else d.message_en}")
    lines.append("")
    lines.append(f"核对 {len(entries)} 个部门，{bad} 个有不符之处。" if zh else
                 f"Audited {len(entries)} department(s); {bad} with discrepancies.")
    return "\n".join(lines) + "\n"
