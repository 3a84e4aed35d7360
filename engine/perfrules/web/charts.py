"""The 批量 page's two charts, drawn as SVG on the server: the grade distribution and the
score histogram, from the summary batch_view.batch_json writes.

Why on the server: the pages load no chart library (no build chain, nothing from outside the
intranet), and a chart made of plain <rect> and <text> elements prints, scales and can be
read by a test. Every label is escaped here (the SVG goes into the page as markup), and each
bar carries its count as text and a <title>, so the chart is readable without colour.
"""
from __future__ import annotations

from html import escape
from typing import Sequence

from markupsafe import Markup

WIDTH, HEIGHT = 520, 240
_LEFT, _BOTTOM, _TOP = 36, 42, 40
_COLOURS = {"优": "#2e7d32", "良": "#1565c0", "中": "#ef6c00", "差": "#c62828"}


def bars(title: str, items: Sequence[tuple[str, int]], kind: str, unit: str = "个") -> Markup:
    """A bar chart of (label, count) as one <svg> element; `kind` names it for CSS and tests."""
    plot_w, plot_h = WIDTH - _LEFT - 10, HEIGHT - _TOP - _BOTTOM
    top = max([n for _, n in items] + [1])
    slot = plot_w / max(len(items), 1)
    width = max(min(slot * 0.7, 80), 4)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{escape(kind)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text class="chart-title" x="{WIDTH / 2:g}" y="18" text-anchor="middle">{escape(title)}</text>',
             _axis(plot_w, plot_h, top)]
    for i, (label, n) in enumerate(items):
        h = plot_h * n / top
        x = _LEFT + slot * i + (slot - width) / 2
        y = _TOP + plot_h - h
        colour = _COLOURS.get(label, "#5c6bc0")
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-count="{n}">'
                     f'<title>{escape(label)}：{n} {escape(unit)}</title>'
                     f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{colour}"/>'
                     f'<text class="count" x="{x + width / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{n}</text>'
                     f'<text class="label" x="{x + width / 2:.1f}" y="{_TOP + plot_h + 14}" '
                     f'text-anchor="middle"{_small(len(items))}>{escape(label)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(plot_w: float, plot_h: float, top: int) -> str:
    base = _TOP + plot_h
    ticks = sorted({0, top // 2, top})
    out = [f'<line class="axis" x1="{_LEFT}" y1="{base}" x2="{_LEFT + plot_w}" y2="{base}" stroke="#555"/>',
           f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base}" stroke="#555"/>']
    for t in ticks:
        y = base - plot_h * t / top
        out.append(f'<text class="tick" x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{t}</text>')
    return "".join(out)


def _small(count: int) -> str:
    return ' font-size="9"' if count > 8 else ""


def grade_chart(summary: dict, lang: str = "zh") -> Markup:
    items = [(str(g["grade"]), int(g["departments"])) for g in summary.get("grades", [])]
    return bars("等级分布（部门数）" if lang == "zh" else "Grades (departments)", items, "grades",
                "个部门" if lang == "zh" else "")


def histogram_chart(summary: dict, lang: str = "zh") -> Markup:
    items = [(str(b["bin"]), int(b["departments"])) for b in summary.get("histogram", [])]
    return bars("得分分布（部门数）" if lang == "zh" else "Scores (departments)", items, "histogram",
                "个部门" if lang == "zh" else "")
