"""The text report: a table by indicator, the total and grade, then a 自评结论 paragraph
written the way the self-evaluation reports write it."""
from __future__ import annotations

from .. import expr
from ..score import IndicatorResult, Result
from ..problems import cell_width
from .json import money, name, reason_text

ORDINALS = "一二三四五六七八九十"
CONFIDENCE = {"zh": {"confirmed": "已核实", "inferred": "推算", "provisional": "暂定"},
              "en": {"confirmed": "confirmed", "inferred": "inferred", "provisional": "provisional"}}


def ordinal(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十."""
    if n <= 10:
        return ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return (ORDINALS[tens - 1] if tens > 1 else "") + "十" + (ORDINALS[ones - 1] if ones else "")


def pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_width(text), 0)


def lpad(text: str, width: int) -> str:
    return " " * max(width - cell_width(text), 0) + text


def conclusion(result: Result, lang: str = "zh") -> str:
    """The 自评结论 paragraph, as in the seed report."""
    dept = result.department
    who = dept.short_name or dept.name
    year = dept.year if dept.year is not None else result.policy.year
    full, score = expr.fmt(result.policy.full_score), expr.fmt(result.score)
    ded = result.deductions
    if lang == "en":
        head = f"{who}: {result.policy.subject_en} for {year}, full score {full}, self-assessed score {score}"
        if not ded:
            return head + ", with no deductions."
        parts = [f"({i}) {reason_text(d, 'en')}" for i, d in enumerate(ded, 1)]
        return head + ". Points were deducted because: " + "; ".join(parts) + "."
    head = f"{who}{year}年度{result.policy.subject}总分{full}分，自评得分为{score}分"
    if not ded:
        return head + "，无扣分。"
    parts = [f"第{ordinal(i)}，{reason_text(d, 'zh')}" for i, d in enumerate(ded, 1)]
    return head + "，扣分原因主要是：" + "；".join(parts) + "。"


def render_text(result: Result, lang: str = "zh") -> str:
    p, dept = result.policy, result.department
    zh = lang == "zh"
    conf = CONFIDENCE[lang]
    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(node: IndicatorResult, depth: int):
        ind = node.indicator
        rows.append((ind.id, "  " * depth + name(ind, lang), money(ind.points), money(node.score),
                     money(node.deduction) if node.deduction else "-", "" if node.children else conf.get(ind.confidence, "")))
        for c in node.children:
            add(c, depth + 1)
        if not node.children and node.deduction:
            for r in (node.reasons if zh else node.reasons_en):
                rows.append(("", "  " * depth + "  └ " + r, "", "", "", ""))

    for top in result.indicators:
        add(top, 0)
    header = ("编号", "指标", "分值", "得分", "扣分", "可信度") if zh else ("ID", "Indicator", "Points", "Score", "Lost", "Basis")
    total_lost = result.max_score - result.score
    rows.append(("", "合计" if zh else "Total", money(p.full_score), money(result.score), money(total_lost), ""))
    w_id = max(cell_width(r[0]) for r in rows + [header])
    w_name = min(max(cell_width(r[1]) for r in rows + [header] if "└" not in r[1]), 40)
    lines = []
    title = (p.title_en or p.title) if not zh else p.title
    year = dept.year if dept.year is not None else p.year
    if zh:
        lines.append(f"评分办法：{title}（{p.id}，版本 {p.version}）")
        lines.append(f"部门：{dept.name}　年度：{year}")
    else:
        lines.append(f"Policy: {title} ({p.id}, version {p.version})")
        lines.append(f"Department: {dept.name}   Year: {year}")
    lines.append("")

    def line(r):
        if "└" in r[1]:
            return pad("", w_id) + "  " + r[1]
        return (pad(r[0], w_id) + "  " + pad(r[1], w_name) + "  " + lpad(r[2], 7) + "  " + lpad(r[3], 7) + "  "
                + lpad(r[4], 6) + ("  " + r[5] if r[5] else "")).rstrip()

    lines.append(line(header))
    lines.append("-" * (w_id + w_name + 36))
    for r in rows[:-1]:
        lines.append(line(r))
    lines.append("-" * (w_id + w_name + 36))
    lines.append(line(rows[-1]))
    lines.append("")
    n = len(result.deductions)
    if zh:
        lines.append(f"自评得分：{money(result.score)} 分（满分 {expr.fmt(p.full_score)} 分）　等级：{result.grade('zh')}")
        lines.append(f"扣分 {n} 项，合计 {money(total_lost)} 分。")
        lines.append("")
        lines.append("自评结论：")
    else:
        lines.append(f"Score: {money(result.score)} of {expr.fmt(p.full_score)}   Grade: {result.grade('en')}")
        lines.append(f"{n} deduction(s), {money(total_lost)} points in all.")
        lines.append("")
        lines.append("Conclusion:")
    lines.append(conclusion(result, lang))
    if any(leaf.indicator.confidence == "provisional" for leaf in result.leaves()):
        lines.append("")
        lines.append("注：可信度为“暂定”的指标依其他地区的框架补齐，取得正式评分表后应核对替换。" if zh else
                     "Note: 'provisional' indicators were filled in from other frameworks; check them against the official table.")
    return "\n".join(lines) + "\n"
