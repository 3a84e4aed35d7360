"""The Markdown report: a GitHub table by indicator and the 自评结论."""
from __future__ import annotations

from .. import expr
from ..score import IndicatorResult, Result
from .json import money, name, reason_text
from .text import CONFIDENCE, conclusion


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: Result, lang: str = "zh") -> str:
    p, dept = result.policy, result.department
    zh = lang == "zh"
    conf = CONFIDENCE[lang]
    year = dept.year if dept.year is not None else p.year
    out = [f"# {dept.name} {year}" + (f" 年度{p.subject}自评" if zh else " self-evaluation"), ""]
    out.append((f"评分办法：{p.title}（`{p.id}`，版本 {p.version}）" if zh else
                f"Policy: {p.title_en or p.title} (`{p.id}`, version {p.version})"))
    out.append("")
    out.append("| 编号 | 指标 | 分值 | 得分 | 扣分 | 扣分原因 | 可信度 |" if zh else
               "| ID | Indicator | Points | Score | Lost | Reason | Basis |")
    out.append("|---|---|---:|---:|---:|---|---|")

    def add(node: IndicatorResult, depth: int):
        ind = node.indicator
        label = ("&nbsp;&nbsp;" * depth) + _cell(name(ind, lang))
        if node.children:
            label = f"**{label}**"
        out.append(f"| {ind.id} | {label} | {money(ind.points)} | {money(node.score)} | "
                   f"{money(node.deduction) if node.deduction else ''} | {_cell(reason_text(node, lang)) if node.deduction and not node.children else ''} | "
                   f"{'' if node.children else conf.get(ind.confidence, '')} |")
        for c in node.children:
            add(c, depth + 1)

    for top in result.indicators:
        add(top, 0)
    lost = result.max_score - result.score
    out.append(f"| | **{'合计' if zh else 'Total'}** | {money(p.full_score)} | **{money(result.score)}** | {money(lost)} | | |")
    out.append("")
    out.append(f"**自评得分：{money(result.score)} / {expr.fmt(p.full_score)}，等级：{result.grade(lang)}**" if zh else
               f"**Score: {money(result.score)} / {expr.fmt(p.full_score)}, grade: {result.grade(lang)}**")
    out.append("")
    out.append("## 自评结论" if zh else "## Conclusion")
    out.append("")
    out.append(conclusion(result, lang))
    return "\n".join(out) + "\n"
