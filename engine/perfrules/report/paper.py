"""The 自评报告 as a document, before it is drawn: the parts the docx and HTML reporters lay
out the same way, as the self-evaluation reports print them — the title (单位 and year), the
部门整体收支情况 sentence (from the facts the policy's `report:` names), the score table, the
自评结论, the grade, the 提示 every report prints (a converted or implausible amount), and the
line for 填报单位、填报人、日期.

Both reporters draw from `outline`, so the Word document and the web page never disagree on
a number or a word. The text here is exact user text; each reporter escapes it for its own
format (XML for docx, HTML entities for the page).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .. import expr
from . import inputs
from .present import conclusion, judged_line, money, name, notes, policy_ref, reason_text, title

if TYPE_CHECKING:
    from ..score import IndicatorResult, Result

HEADERS = {"zh": ("指标", "分值", "得分", "扣分", "扣分原因", "目标值/实际值"),
           "en": ("Indicator", "Points", "Score", "Lost", "Reason", "Target / actual")}


@dataclass(frozen=True)
class Row:
    depth: int                  # 0 for a top indicator, 1 for its children…
    group: bool                 # a group (drawn bold) or a leaf
    cells: tuple[str, ...]      # as HEADERS


@dataclass(frozen=True)
class Outline:
    title: str
    policy: str                 # 评分办法：… line
    spending_heading: str
    spending: str               # '' when the policy names no `report:` facts
    table_heading: str
    rows: tuple[Row, ...]       # the indicators, then the 合计 row
    conclusion_heading: str
    conclusion: str
    grade: str
    judged: str                 # '' unless a 认定 changed the score
    notes_heading: str
    notes: tuple[str, ...]      # the report's 提示 (units converted, implausible amounts), located; () when none
    signature: str


def outline(result: Result, lang: str = "zh") -> Outline:
    p, dept = result.policy, result.department
    zh = lang == "zh"
    year = dept.year if dept.year is not None else p.year
    who = dept.project or dept.name
    return Outline(
        title=f"{who}{year}年度{p.subject}自评报告" if zh else f"{who}: {year} self-evaluation ({p.subject_en})",
        policy=(f"评分办法：{title(p, lang)}（{policy_ref(p, lang)}，版本 {p.version}）" if zh else
                f"Policy: {title(p, lang)} ({policy_ref(p, lang)}, version {p.version})"),
        spending_heading=(("一、部门整体收支情况" if _whole(result) else "一、预算执行情况") if zh else
                          "1. Budget and spending"),
        spending=spending(result, lang),
        table_heading="二、绩效自评得分情况" if zh else "2. Scores",
        rows=tuple(rows(result, lang)),
        conclusion_heading="三、自评结论" if zh else "3. Conclusion",
        conclusion=conclusion(result, lang),
        grade=(f"自评得分：{money(result.score)}分（满分{expr.fmt(p.full_score)}分），等级：{result.grade(lang)}" if zh else
               f"Score: {money(result.score)} of {expr.fmt(p.full_score)}, grade: {result.grade(lang)}"),
        judged=judged_line(result, lang),
        notes_heading="提示（请核对）" if zh else "Notes (please check)",
        notes=tuple(notes(result, lang)),
        signature=(f"填报单位：{dept.name}　　填报人：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日" if zh else
                   f"Unit: {dept.name}    Prepared by: ____________    Date: ____________"),
    )


def spending(result: Result, lang: str = "zh") -> str:
    """本部门2023年度全年预算690.47万元，实际支出682.37万元，完成率98.83%。 — as the seed's 一（四）
    (本项目… under 预算执行情况 for a project's self-evaluation)."""
    s, values = result.policy.spending, result.department.values
    if s is None:
        return ""
    budget, actual, rate = (values.get(k) for k in (s.budget, s.actual, s.rate))
    if not (isinstance(budget, Decimal) and isinstance(actual, Decimal) and isinstance(rate, Decimal)):
        return ""                 # a fact left out: the sentence would say something wrong
    facts = result.policy.facts
    budget_text, actual_text = inputs.number(budget, facts[s.budget].type, lang), inputs.number(actual, facts[s.actual].type, lang)
    shown_rate = format(expr.round2(expr.shift(rate, 2)), "f") + "%"
    year = result.department.year if result.department.year is not None else result.policy.year
    if lang == "zh":
        who = "本部门" if _whole(result) else "本项目"
        return f"{who}{year}年度全年预算{budget_text}，实际支出{actual_text}，完成率{shown_rate}。"
    return f"In {year} the budget was {budget_text}; actual spending {actual_text}, a rate of {shown_rate}."


def _whole(result: Result) -> bool:
    """A department's overall self-evaluation (部门整体), not a project's."""
    return not result.department.project and result.policy.subject == "部门整体支出绩效"


def rows(result: Result, lang: str = "zh") -> list[Row]:
    """One row per indicator, top to leaf in the policy's order, and the 合计 row."""
    out: list[Row] = []
    override = "（认定）" if lang == "zh" else " (override)"

    def add(node: IndicatorResult, depth: int) -> None:
        ind, leaf = node.indicator, not node.children
        label = f"{ind.id} {name(ind, lang)}" + (override if node.override is not None else "")
        why = reason_text(node, lang) if leaf and (node.deduction or node.override) else ""
        seen = "；".join(inputs.measured(result, node, lang)) if leaf else ""
        out.append(Row(depth, not leaf, (label, money(ind.points), money(node.score),
                                         money(node.deduction) if node.deduction else "", why, seen)))
        for c in node.children:
            add(c, depth + 1)

    for top in result.indicators:
        add(top, 0)
    lost = result.max_score - result.score
    out.append(Row(0, True, ("合计" if lang == "zh" else "Total", money(result.policy.full_score),
                             money(result.score), money(lost), "", "")))
    return out
