"""The evaluate result as one self-contained HTML page: the parts of paper.outline, styled by
an inline stylesheet with print rules (A4, the table kept on the page, no shading lost), and
nothing fetched from anywhere (no fonts, scripts or images), so it opens and prints offline.

Every text a department or a policy wrote is escaped (html.escape, quotes too) and stripped
of what breaks a line or drives the display (present.shown); several departments are one
page, each starting on a new printed page.
"""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, BinaryIO

from .paper import HEADERS, Outline, outline
from .present import encode, shown

if TYPE_CHECKING:
    from ..score import Result

STYLE = """
body { font-family: "FangSong", "仿宋_GB2312", "仿宋", "Noto Serif CJK SC", "Songti SC", "WenQuanYi Zen Hei", serif;
       font-size: 14pt; line-height: 1.6; max-width: 180mm; margin: 2em auto; color: #000; background: #fff; }
h1 { font-family: "SimSun", "宋体", "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; font-size: 18pt; text-align: center; }
h2 { font-family: "SimSun", "宋体", "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; font-size: 15pt; margin-top: 1.2em; }
p.policy { text-align: center; font-size: 10.5pt; }
p.prose { text-indent: 2em; }
div.notes { font-size: 10.5pt; border-left: 3pt solid #b45309; padding-left: 6pt; }
table { border-collapse: collapse; width: 100%; font-size: 10.5pt; table-layout: fixed; }
col.label { width: 24%; } col.n { width: 9%; } col.why { width: 29%; } col.seen { width: 20%; }
th, td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
tr.group td { font-weight: bold; }
section + section { margin-top: 3em; }
@page { size: A4; margin: 25mm 20mm; }
@media print {
  body { margin: 0; max-width: none; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  section + section { break-before: page; margin-top: 0; }
}
"""


def write(results: list[Result], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    sections = "\n".join(_section(outline(r, lang), lang) for r in results)
    title = _e(outline(results[0], lang).title) if results else ""
    stream.write(encode(f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n'
                        f'<meta charset="utf-8">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n'
                        f"<body>\n{sections}\n</body>\n</html>\n"))


def _e(text: str) -> str:
    return escape(shown(text), quote=True)


def _section(o: Outline, lang: str) -> str:
    out = [f"<section>\n<h1>{_e(o.title)}</h1>", f'<p class="policy">{_e(o.policy)}</p>']
    if o.spending:
        out += [f"<h2>{_e(o.spending_heading)}</h2>", f'<p class="prose">{_e(o.spending)}</p>']
    out += [f"<h2>{_e(o.table_heading)}</h2>", _table(o, lang), f"<p><strong>{_e(o.grade)}</strong></p>"]
    if o.judged:
        out.append(f"<p>{_e(o.judged)}</p>")
    if o.notes:                         # beside the score they may change
        out.append(f'<div class="notes"><p><strong>{_e(o.notes_heading)}</strong></p>\n<ul>'
                   + "".join(f"<li>{_e(n)}</li>" for n in o.notes) + "</ul></div>")
    out += [f"<h2>{_e(o.conclusion_heading)}</h2>", f'<p class="prose">{_e(o.conclusion)}</p>',
            f"<p>{_e(o.signature)}</p>\n</section>"]
    return "\n".join(out)


def _table(o: Outline, lang: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in HEADERS[lang])
    body = []
    for row in o.rows:
        label = f'<td style="padding-left: {0.3 + 1.5 * row.depth:g}em">{_e(row.cells[0])}</td>'
        numbers = "".join(f'<td class="n">{_e(c)}</td>' for c in row.cells[1:4])
        rest = "".join(f"<td>{_e(c)}</td>" for c in row.cells[4:])
        cls = ' class="group"' if row.group else ""
        body.append(f"<tr{cls}>{label}{numbers}{rest}</tr>")
    cols = '<col class="label"><col class="n"><col class="n"><col class="n"><col class="why"><col class="seen">'
    return f"<table>\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"
