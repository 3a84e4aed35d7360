"""The evaluate result as Markdown: a GitHub table by indicator and the 自评结论, for pasting
into a report or a pull request (the reasons sit in their own column, escaped for tables; a
认定 is marked on its row with its reason), then each indicator's basis (评分依据)."""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .. import expr
from . import inputs
from .present import (CONFIDENCE, conclusion, dump_results, judged_line, money, name, notes, policy_ref, reason_text,
                      shown, title)

if TYPE_CHECKING:
    from ..score import IndicatorResult, Result


def write(results: list[Result], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_results(stream, [render_markdown(r, lang) for r in results])


def _cell(text: str) -> str:
    return shown(text).replace("|", "\\|")


def _inputs(result: Result, lang: str) -> list[str]:
    """Every leaf's inputs: a heading, then one list item per fact (nested by formula)."""
    out = ["## 计分所用事实" if lang == "zh" else "## Facts used", ""]
    for leaf in result.leaves():
        out.append(f"- **{_cell(leaf.indicator.id)} {_cell(name(leaf.indicator, lang))}**")
        for line in inputs.lines(result, leaf, lang):      # nested as the formulas nest
            text = line.lstrip(" ")
            depth = (len(line) - len(text)) // 2
            out.append("  " * (depth + 1) + "- " + text.removeprefix("· ").replace("*", "\\*"))
    return out + [""]


def render_markdown(result: Result, lang: str = "zh") -> str:
    p, dept = result.policy, result.department
    zh = lang == "zh"
    conf = CONFIDENCE[lang]
    year = dept.year if dept.year is not None else p.year
    out = [f"# {shown(dept.project or dept.name)} {shown(year)}" + (f" 年度{shown(p.subject)}自评" if zh else " self-evaluation"), ""]
    if dept.project:
        out += [f"单位：{shown(dept.name)}" if zh else f"Unit: {shown(dept.name)}", ""]
    out.append((f"评分办法：{shown(title(p, lang))}（`{shown(policy_ref(p, lang))}`，版本 {shown(p.version)}）" if zh else
                f"Policy: {shown(title(p, lang))} (`{shown(policy_ref(p, lang))}`, version {shown(p.version)})"))
    out.append("")
    out.append("| 编号 | 指标 | 分值 | 得分 | 扣分 | 扣分原因 | 可信度 |" if zh else
               "| ID | Indicator | Points | Score | Lost | Reason | Basis |")
    out.append("|---|---|---:|---:|---:|---|---|")

    def add(node: IndicatorResult, depth: int):
        ind = node.indicator
        label = ("&nbsp;&nbsp;" * depth) + _cell(name(ind, lang))
        if node.override is not None:
            label += "（认定）" if zh else " (override)"
        if node.children:
            label = f"**{label}**"
        out.append(f"| {_cell(ind.id)} | {label} | {money(ind.points)} | {money(node.score)} | "
                   f"{money(node.deduction) if node.deduction else ''} | {_cell(reason_text(node, lang)) if (node.deduction or node.override) and not node.children else ''} | "
                   f"{'' if node.children else conf.get(ind.confidence, '')} |")
        for c in node.children:
            add(c, depth + 1)

    for top in result.indicators:
        add(top, 0)
    lost = result.max_score - result.score
    out.append(f"| | **{'合计' if zh else 'Total'}** | {money(p.full_score)} | **{money(result.score)}** | {money(lost)} | | |")
    out.append("")
    out.append(f"**自评得分：{money(result.score)} / {expr.fmt(p.full_score)}，等级：{shown(result.grade(lang))}**" if zh else
               f"**Score: {money(result.score)} / {expr.fmt(p.full_score)}, grade: {shown(result.grade(lang))}**")
    if result.overridden:
        out += ["", judged_line(result, lang)]
    out.append("")
    out += _inputs(result, lang)
    out.append("## 自评结论" if zh else "## Conclusion")
    out.append("")
    out.append(conclusion(result, lang))
    out += _notes(result, lang)
    out += _bases(result, lang)
    return "\n".join(out) + "\n"


def _notes(result: Result, lang: str) -> list[str]:
    found = notes(result, lang)
    return ["", "## 提示" if lang == "zh" else "## Notes", "", *(f"- {_cell(n)}" for n in found)] if found else []


def _bases(result: Result, lang: str) -> list[str]:
    """Each indicator's basis (评分依据), in the policy's order, under its own heading."""
    conf, zh = CONFIDENCE[lang], lang == "zh"
    out: list[str] = []

    def add(ind) -> None:
        if ind.basis:
            level = (f"（{conf[ind.confidence]}）" if zh else f" ({conf[ind.confidence]})") if ind.confidence else ""
            out.append(f"- **{_cell(ind.id)} {_cell(name(ind, lang))}**{level}{'：' if zh else ': '}{_cell(ind.basis)}")
        for c in ind.children:
            add(c)
    for top in result.policy.indicators:
        add(top)
    return (["", "## 评分依据" if zh else "## Basis", "", *out]) if out else []
