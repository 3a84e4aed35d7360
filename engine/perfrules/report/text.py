"""The evaluate result as text (the default): a table by indicator, the total and grade, then a
自评结论 paragraph written the way the self-evaluation reports write it; a 认定 is marked on its
row with its reason, and the score the rules alone give is shown under the total. With
--verbose, each indicator's basis (评分依据) follows.

Columns are padded by terminal cells, not characters, so the Chinese names line up.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .. import expr
from ..problems import cell_width
from . import inputs
from .present import (CONFIDENCE, conclusion, dump_results, judged_line, lpad, money, name, notes, pad, policy_ref,
                      shown, title, unit_line)

if TYPE_CHECKING:
    from ..score import IndicatorResult, Result


def write(results: list[Result], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_results(stream, [render_text(r, lang, verbose) for r in results])


Row = tuple[str, str, str, str, str, str]      # id, name, points, score, lost, confidence


def render_text(result: Result, lang: str = "zh", verbose: bool = False) -> str:
    p = result.policy
    if lang == "zh":
        lines = [f"评分办法：{shown(title(p, lang))}（{shown(policy_ref(p, lang))}，版本 {shown(p.version)}）", unit_line(result, lang), ""]
    else:
        lines = [f"Policy: {shown(title(p, lang))} ({shown(policy_ref(p, lang))}, version {shown(p.version)})",
                 unit_line(result, lang), ""]
    lines += _table(result, lang)
    lines.append("")
    lines += _inputs(result, lang)
    lines += _summary(result, lang)
    lines += _notes(result, lang)
    if verbose:
        lines += _bases(result, lang)
    return "\n".join(lines) + "\n"


def _notes(result: Result, lang: str) -> list[str]:
    found = notes(result, lang)
    return ["", "提示：" if lang == "zh" else "Notes:", *("  " + n for n in found)] if found else []


def _bases(result: Result, lang: str) -> list[str]:
    """Each indicator's basis (评分依据), with --verbose."""
    conf = CONFIDENCE[lang]
    found = [ind for ind in result.policy.indicator_index.values() if ind.basis]
    order = {ind.id: i for i, ind in enumerate(_walk(result.policy.indicators))}
    found.sort(key=lambda ind: order[ind.id])
    if not found:
        return []
    lines = ["", "评分依据：" if lang == "zh" else "Basis:"]
    for ind in found:
        level = f"（{conf[ind.confidence]}）" if lang == "zh" and ind.confidence else \
            (f" ({conf[ind.confidence]})" if ind.confidence else "")
        lines.append(f"  {shown(ind.id)} {shown(name(ind, lang))}{level}{'：' if lang == 'zh' else ': '}{shown(ind.basis)}")
    return lines


def _walk(indicators) -> list:
    out = []
    for ind in indicators:
        out.append(ind)
        out += _walk(ind.children)
    return out


def _rows(result: Result, lang: str) -> list[Row]:
    """A row per indicator, depth shown by indenting, each lost point's reasons under its leaf."""
    conf = CONFIDENCE[lang]
    rows: list[Row] = []

    def add(node: IndicatorResult, depth: int):
        ind = node.indicator
        mark = ("　[认定]" if lang == "zh" else " [override]") if node.override is not None else ""
        rows.append((shown(ind.id), "  " * depth + shown(name(ind, lang)) + mark, money(ind.points), money(node.score),
                     money(node.deduction) if node.deduction else "-", "" if node.children else conf.get(ind.confidence, "")))
        for c in node.children:
            add(c, depth + 1)
        if not node.children and (node.deduction or node.override is not None):
            for r in (node.reasons if lang == "zh" else node.reasons_en):
                rows.append(("", "  " * depth + "  └ " + shown(r), "", "", "", ""))

    for top in result.indicators:
        add(top, 0)
    return rows


def _table(result: Result, lang: str) -> list[str]:
    header = ("编号", "指标", "分值", "得分", "扣分", "可信度") if lang == "zh" else \
        ("ID", "Indicator", "Points", "Score", "Lost", "Basis")
    rows = _rows(result, lang)
    total: Row = ("", "合计" if lang == "zh" else "Total", money(result.policy.full_score), money(result.score),
                  money(result.max_score - result.score), "")
    w_id = max(cell_width(r[0]) for r in rows + [total, header])
    w_name = min(max(cell_width(r[1]) for r in rows + [total, header] if "└" not in r[1]), 40)

    def line(r: Row) -> str:
        if "└" in r[1]:
            return pad("", w_id) + "  " + r[1]
        return (pad(r[0], w_id) + "  " + pad(r[1], w_name) + "  " + lpad(r[2], 7) + "  " + lpad(r[3], 7) + "  "
                + lpad(r[4], 6) + ("  " + r[5] if r[5] else "")).rstrip()

    rule = "-" * (w_id + w_name + 36)
    return [line(header), rule, *map(line, rows), rule, line(total)]


def _inputs(result: Result, lang: str) -> list[str]:
    """Every leaf's inputs under its id and name, so a misread value shows on paper."""
    out = ["计分所用事实：" if lang == "zh" else "Facts used:"]
    for leaf in result.leaves():
        out.append(f"  {shown(leaf.indicator.id)} {shown(name(leaf.indicator, lang))}")
        out += ["    " + line for line in inputs.lines(result, leaf, lang)] or ["    -"]
    return out + [""]


def _summary(result: Result, lang: str) -> list[str]:
    full, score, lost = expr.fmt(result.policy.full_score), money(result.score), money(result.max_score - result.score)
    n = len(result.deductions)
    if lang == "zh":
        lines = [f"自评得分：{score} 分（满分 {full} 分）　等级：{shown(result.grade('zh'))}", f"扣分 {n} 项，合计 {lost} 分。", "",
                 "自评结论："]
    else:
        lines = [f"Score: {score} of {full}   Grade: {shown(result.grade('en'))}", f"{n} deduction(s), {lost} points in all.", "",
                 "Conclusion:"]
    if result.overridden:
        lines.insert(2, judged_line(result, lang))
    lines.append(conclusion(result, lang))
    if any(leaf.indicator.confidence == "provisional" for leaf in result.leaves()):
        lines.append("")
        lines.append("注：可信度为“暂定”的指标依其他地区的框架补齐，取得正式评分表后应核对替换。" if lang == "zh" else
                     "Note: 'provisional' indicators were filled in from other frameworks; check them against the official table.")
    return lines
