"""The evaluate result as a Word document (python-docx), laid out like the 自评报告 it stands
for: the parts of paper.outline on A4, headings in 宋体 (黑体 weight), body text in
仿宋_GB2312 四号, the score table in 五号 so that it stays readable when printed.

Word picks a run's Chinese font from the East-Asian attribute of <w:rFonts>, not from the
font name python-docx sets (that is w:ascii/w:hAnsi only): `_font` sets both, on the styles
and on every run, or Word would show Chinese text in its default font. Several departments
are one document, a page break between them.
"""
from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, BinaryIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..reproducible import fixed_zip
from .paper import HEADERS, Outline, outline

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.text.run import Run

    from ..score import Result

HEADING_FONT, BODY_FONT = "宋体", "仿宋_GB2312"
TITLE_SIZE, HEADING_SIZE, BODY_SIZE, TABLE_SIZE = Pt(18), Pt(15), Pt(14), Pt(10.5)   # 小二, 小三, 四号, 五号
WIDTHS_MM = (34, 20, 20, 20, 44, 32)          # 170 mm: A4 less 20 mm margins each side; a bold "100.00" fits
# What XML 1.0 cannot hold (python-docx refuses it): control characters, lone surrogates, U+FFFE/F
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def write(results: list[Result], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    doc = Document()
    _page(doc)
    outlines = [outline(r, lang) for r in results]
    for i, o in enumerate(outlines):
        if i:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _department(doc, o, lang)
    props = doc.core_properties              # not python-docx's own template's (author "python-docx", 2013)
    props.title = _xml(outlines[0].title) if outlines else ""
    props.author = props.last_modified_by = "perfrules"
    props.comments = ""
    buffer = io.BytesIO()                    # stamped with one fixed time: the same input, the same bytes
    doc.save(buffer)
    stream.write(fixed_zip(buffer.getvalue()))


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _font(run: Run, font: str, size: Pt, bold: bool = False) -> None:
    """A run in `font` for Latin and Chinese text alike (w:eastAsia), at `size`."""
    run.font.name, run.font.size, run.font.bold = font, size, bold
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _page(doc: DocumentObject) -> None:
    """A4 portrait, 25 mm top and bottom, 20 mm left and right; the Normal style in the body font."""
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(25)
        section.left_margin = section.right_margin = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def _para(doc: DocumentObject, text: str, font: str = BODY_FONT, size: Pt = BODY_SIZE, bold: bool = False,
          center: bool = False, indent: bool = False) -> None:
    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:                                  # 首行缩进两字, as Chinese official prose is set
        p.paragraph_format.first_line_indent = Pt(size.pt * 2)
    _font(p.add_run(_xml(text)), font, size, bold)


def _department(doc: DocumentObject, o: Outline, lang: str) -> None:
    _para(doc, o.title, HEADING_FONT, TITLE_SIZE, bold=True, center=True)
    _para(doc, o.policy, size=TABLE_SIZE, center=True)
    if o.spending:
        _para(doc, o.spending_heading, HEADING_FONT, HEADING_SIZE, bold=True)
        _para(doc, o.spending, indent=True)
    _para(doc, o.table_heading, HEADING_FONT, HEADING_SIZE, bold=True)
    _table(doc, o, lang)
    _para(doc, o.grade, bold=True)
    if o.judged:
        _para(doc, o.judged)
    if o.notes:                         # beside the score they may change, before the 自评结论 is pasted on
        _para(doc, o.notes_heading, size=TABLE_SIZE, bold=True)
        for line in o.notes:
            _para(doc, line, size=TABLE_SIZE)
    _para(doc, o.conclusion_heading, HEADING_FONT, HEADING_SIZE, bold=True)
    _para(doc, o.conclusion, indent=True)
    _para(doc, o.signature)


def _table(doc: DocumentObject, o: Outline, lang: str) -> None:
    table = doc.add_table(rows=1, cols=len(HEADERS[lang]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cells(table.rows[0].cells, HEADERS[lang], bold=True)
    _row_property(table.rows[0], "w:tblHeader")            # the header again on every printed page
    for row in o.rows:
        added = table.add_row()
        _row_property(added, "w:cantSplit")                # a row is never cut across two pages
        cells = added.cells
        label = "　" * row.depth + row.cells[0]           # ideographic spaces: the tree's depth
        _cells(cells, (label, *row.cells[1:]), bold=row.group)
    table.autofit = False               # the widths below, not equal columns (LibreOffice reads the grid)
    for column, width in zip(table.columns, WIDTHS_MM):
        column.width = Mm(width)        # w:gridCol
        for cell in column.cells:
            cell.width = Mm(width)      # w:tcW, which Word reads


def _row_property(row, tag: str) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def _cells(cells, texts: tuple[str, ...], bold: bool) -> None:
    for i, (cell, text) in enumerate(zip(cells, texts)):
        p = cell.paragraphs[0]
        if i in (1, 2, 3):                                 # 分值, 得分, 扣分: numbers, right-aligned
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(p.add_run(_xml(text)), BODY_FONT, TABLE_SIZE, bold)
