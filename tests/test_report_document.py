"""The report as a document (issue 10 §3): the JSON's 自评结论 and 部门编码, the policy's
`report:` facts, the Word document reopened with python-docx, the HTML page rendered in
headless Chromium, and an --output whose suffix does not match the format."""
from __future__ import annotations

import json

import pytest

from conftest import PANYU_FACTS, PANYU_POLICY
from test_panyu import SEED_CONCLUSION, cli

from perfrules.problems import InputError
from perfrules.validate import load_policy, load_policy_text


def test_json_carries_the_conclusion_and_the_code(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text(PANYU_FACTS.read_text(encoding="utf-8").replace("year: 2023", "code: '0801'\nyear: 2023"),
                     encoding="utf-8")
    proc = cli("evaluate", str(facts), "-f", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout)
    assert out["conclusion"] == SEED_CONCLUSION
    assert out["code"] == "0801"


def test_the_shipped_policy_names_its_spending_facts():
    s = load_policy(PANYU_POLICY).spending
    assert s is not None and (s.budget, s.actual, s.rate) == ("全年预算数", "实际支出数", "预算资金支出率")


@pytest.mark.parametrize("line, code", [("report: {budget: 全年预算, actual: 实际支出数, rate: 预算资金支出率}", "E304"),
                                         ("report: {budget: 全年预算数, actual: 实际支出数, rate: 实际支出数}", "E311")])
def test_report_facts_are_checked_like_other_references(line, code):
    text = PANYU_POLICY.read_text(encoding="utf-8")
    start = text.index("\nreport:") + 1
    bad = text[:start] + line + text[text.index("\n", start):]
    with pytest.raises(InputError) as exc:
        load_policy_text(bad, "bad.yaml")
    assert [(p.code, p.path) for p in exc.value.problems] == [(code, "$.report." + ("budget" if code == "E304" else "rate"))]


# ---- Word ------------------------------------------------------------------------------------

SEED_TABLE = [  # 指标, 分值, 得分, 扣分 — the seed's three deductions and every full mark
    ("YS 预算执行", "10.00", "9.88", "0.12"), ("YS-01 部门预算资金支出率", "10.00", "9.88", "0.12"),
    ("LZ 履职效能", "50.00", "49.00", "1.00"), ("LZ-01 部门绩效指标完成情况", "40.00", "39.00", "1.00"),
    ("LZ-02 年度重点工作任务完成情况", "10.00", "10.00", ""), ("GL 管理效率", "40.00", "38.00", "2.00"),
    ("GL-01 绩效管理制度建设", "3.00", "1.00", "2.00"), ("GL-02 预决算编制与公开", "10.00", "10.00", ""),
    ("GL-03 政府采购管理", "9.00", "9.00", ""), ("GL-04 资产管理", "9.00", "9.00", ""),
    ("GL-05 绩效管理工作开展", "9.00", "9.00", ""), ("合计", "100.00", "96.88", "3.12"),
]


def _docx(tmp_path, *extra):
    import docx
    out = tmp_path / "自评报告.docx"
    proc = cli("evaluate", str(PANYU_FACTS), "-o", str(out), *extra)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"" and proc.stderr == b""
    return docx.Document(str(out))


def test_the_docx_holds_the_score_table_and_the_seed_conclusion(tmp_path):
    doc = _docx(tmp_path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "中共广州市番禺区直属机关工作委员会2023年度部门整体支出绩效自评报告"
    assert "本部门2023年度全年预算690.47万元，实际支出682.37万元，完成率98.83%。" in texts
    assert SEED_CONCLUSION in texts
    assert "自评得分：96.88分（满分100分），等级：优" in texts
    assert texts[-1].startswith("填报单位：中共广州市番禺区直属机关工作委员会　　填报人：")
    assert (doc.core_properties.title, doc.core_properties.author) == (texts[0], "perfrules")
    [table] = doc.tables
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["指标", "分值", "得分", "扣分", "扣分原因", "目标值/实际值"]
    assert [(r[0].lstrip("　"), *r[1:4]) for r in rows[1:]] == SEED_TABLE
    by_id = {r[0].split()[0].lstrip("　"): r for r in rows[1:]}
    assert by_id["YS-01"][4:] == ["部门预算资金支出率98.83%，按得分计算公式，扣分0.12分", "实际值 98.83%"]
    assert by_id["LZ-01"][5] == "培训参加人数：目标值 200，实际值 185；群团活动参加人数：目标值 150，实际值 140"


def test_the_docx_is_a4_in_chinese_fonts_word_honours(tmp_path):
    from docx.oxml.ns import qn
    from docx.shared import Mm
    doc = _docx(tmp_path)
    section = doc.sections[0]
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)
    runs = [r for p in doc.paragraphs for r in p.runs] + \
           [r for row in doc.tables[0].rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and {r.font.name for r in runs} == {"宋体", "仿宋_GB2312"}
    for r in runs:     # the East-Asian attribute, which Word reads for Chinese text
        assert r._element.rPr.rFonts.get(qn("w:eastAsia")) == r.font.name
        assert r.font.size is not None and r.font.size.pt >= 10.5
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_the_docx_in_english_and_text_word_cannot_hold(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text(PANYU_FACTS.read_text(encoding="utf-8").replace(
        "department: 中共广州市番禺区直属机关工作委员会", 'department: "工委\\x07<b>&"'), encoding="utf-8")
    out = tmp_path / "r.docx"
    proc = cli("evaluate", str(facts), "-o", str(out), "--lang", "en")
    assert proc.returncode == 0, proc.stderr.decode()
    import docx
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    assert texts[0] == "工委\ufffd<b>&: 2023 self-evaluation (overall expenditure performance)"
    assert [c.text for c in docx.Document(str(out)).tables[0].rows[0].cells][:4] == ["Indicator", "Points", "Score", "Lost"]


def test_docx_never_goes_to_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys
    from conftest import ROOT
    main, child = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "perfrules", "evaluate", str(PANYU_FACTS), "-f", "docx"],
                              stdout=child, stderr=subprocess.PIPE, cwd=ROOT, timeout=120)
        os.set_blocking(main, False)
        try:
            shown_on_terminal = os.read(main, 4096)
        except BlockingIOError:
            shown_on_terminal = b""
    finally:
        os.close(main)
        os.close(child)
    assert proc.returncode == 2
    assert "[E602] -f docx 是二进制文件，不能输出到终端。" in proc.stderr.decode()
    assert "-o 报告.docx" in proc.stderr.decode()
    assert shown_on_terminal == b""


def test_docx_through_a_pipe_is_the_document():
    proc = cli("evaluate", str(PANYU_FACTS), "-f", "docx")
    assert proc.returncode == 0 and proc.stdout[:2] == b"PK"


# ---- -o and -f -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt, hint", [
    ("r.docx", "text", "改用 -o r.txt，或 -f docx"),
    ("r.txt", "docx", "改用 -o r.docx，或 -f text"),
    ("r.md", "json", "改用 -o r.json，或 -f markdown"),
    ("r.pdf", None, "换一个扩展名，如 .txt、.json、.md、.docx、.html"),
])
def test_an_output_suffix_that_contradicts_the_format_is_refused(tmp_path, name, fmt, hint):
    out = tmp_path / name
    proc = cli("evaluate", str(PANYU_FACTS), "-o", str(out), *(["-f", fmt] if fmt else []))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "E602" in err and hint in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, starts", [("r.json", b"{"), ("r.md", "# 中共".encode()), ("r.docx", b"PK"),
                                          ("r.html", b"<!DOCTYPE html>"), ("r", "评分办法：".encode()),
                                          ("R.TXT", "评分办法：".encode())])
def test_the_output_suffix_chooses_the_format(tmp_path, name, starts):
    out = tmp_path / name
    proc = cli("evaluate", str(PANYU_FACTS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.read_bytes().startswith(starts)


# ---- HTML ------------------------------------------------------------------------------------

def test_the_html_page_is_self_contained_and_escapes_user_text(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text(PANYU_FACTS.read_text(encoding="utf-8").replace(
        "department: 中共广州市番禺区直属机关工作委员会", "department: '工委<script>alert(1)</script>&\"x\"'"), encoding="utf-8")
    out = tmp_path / "r.html"
    proc = cli("evaluate", str(facts), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "工委&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&quot;" in page
    for external in ("http:", "https:", "src=", "<link", "@import", "url("):
        assert external not in page
    assert "@media print" in page and "size: A4" in page
    assert SEED_CONCLUSION.replace("区直机关工委", "", 1) in page
    assert page.count("<tr") == 1 + len(SEED_TABLE)


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB(A) PNG, as Chromium writes them."""
    import struct
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, width, height, bpp = 8, b"", 0, 0, 4
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(data), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pr = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            line[i] = (line[i] + (0, a, b, (a + b) // 2, pr)[kind]) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def _chromium(tmp_path, *args: str):
    """The seed's HTML report, and Debian's headless Chromium run on it with `args`."""
    import os
    import shutil
    import subprocess
    browser = shutil.which("chromium")
    if browser is None:
        if os.environ.get("HYPOTHESIS_PROFILE") == "ci":      # .ci/run installs it: missing there is a failure
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium)")
    page = tmp_path / "自评报告.html"
    assert cli("evaluate", str(PANYU_FACTS), "-o", str(page)).returncode == 0
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()],
                   capture_output=True, timeout=120, check=True)


def test_the_html_report_prints_on_a4(tmp_path):
    import re
    pdf = tmp_path / "printed.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert 1 <= len(boxes) <= 3                                   # the @page rule: A4, 595 × 842 pt
    assert all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)


def test_the_html_report_renders_in_headless_chromium(tmp_path):
    shot = tmp_path / "screenshot.png"
    _chromium(tmp_path, "--window-size=1000,1400", "--hide-scrollbars", f"--screenshot={shot}")
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    bpp = len(rows[0]) // width
    dark = [sum(1 for x in range(0, len(r), bpp) if r[x] < 128) for r in rows]
    inked = sum(dark) / (width * height)
    assert 0.005 < inked < 0.3                  # text and table lines on a white page, not blank, not black
    assert any(dark[:150]) and any(dark[700:])   # the title at the top, the table and conclusion further down


@pytest.mark.parametrize("args", [["audit", "-f", "docx", "-o", "a.docx"], ["audit", "-o", "a.html"]])
def test_only_evaluate_writes_documents(tmp_path, args):
    from conftest import EXAMPLES
    claimed = sorted((EXAMPLES / "audit").glob("*.yaml"))[0]
    args = [a if not a.startswith("a.") else str(tmp_path / a) for a in args]
    proc = cli(args[0], str(claimed), *args[1:])
    assert proc.returncode == 2 and "E602" in proc.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_several_departments_are_one_document_each_on_its_own_page(tmp_path):
    import docx
    from conftest import EXAMPLES
    out = tmp_path / "两个.docx"
    proc = cli("evaluate", str(EXAMPLES / "national-project-2024.yaml"), str(PANYU_FACTS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    doc = docx.Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "示例县农业农村局（虚构）2024年度项目支出绩效自评报告"
    assert "一、预算执行情况" in texts and "本项目2024年度全年预算120万元，实际支出112.86万元，完成率94.05%。" in texts
    assert "中共广州市番禺区直属机关工作委员会2023年度部门整体支出绩效自评报告" in texts and SEED_CONCLUSION in texts
    assert len(doc.tables) == 2 and 'w:type="page"' in doc.element.xml
    html = tmp_path / "两个.html"
    assert cli("evaluate", str(EXAMPLES / "national-project-2024.yaml"), str(PANYU_FACTS), "-o", str(html)).returncode == 0
    assert html.read_text(encoding="utf-8").count("<section>") == 2


def test_a_docx_and_a_page_mark_an_override_and_show_the_rules_score():
    import io

    import docx
    from conftest import EXAMPLES

    from perfrules.report import to_bytes
    from perfrules.service import evaluate_file
    result = evaluate_file(EXAMPLES / "weighted" / "chongqing-style-2021.example.yaml")
    doc = docx.Document(io.BytesIO(to_bytes("result", "docx", [result])))
    texts = [p.text for p in doc.paragraphs]
    assert "按评分规则计算：89.57 分；认定 1 项（YS-02），认定后 90.93 分。" in texts
    labels = [r.cells[0].text.lstrip("　") for r in doc.tables[0].rows]
    assert "YS-02 政府采购执行率（认定）" in labels
    page = to_bytes("result", "html", [result]).decode()
    assert "YS-02 政府采购执行率（认定）" in page and "认定后 90.93 分" in page


def test_the_docx_table_prints_its_header_on_every_page_and_never_splits_a_row(tmp_path):
    from docx.oxml.ns import qn
    rows = _docx(tmp_path).tables[0].rows
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rows[1:])


def test_the_docx_and_the_page_print_the_reports_notes_beside_the_score():
    """W101/W102 are printed on every report (units.md): a bare 6904700 in a 万元 fact, which
    looks like 元, is noted in the Word document and on the page, located, after the grade;
    a report with nothing to note has no 提示."""
    import io

    import docx

    from perfrules.load import load_text
    from perfrules.report import to_bytes
    from perfrules.service import evaluate_document
    text = PANYU_FACTS.read_text(encoding="utf-8").replace("全年预算数: 690.47万元", "全年预算数: 6904700") \
        .replace("实际支出数: 682.37万元", "实际支出数: 6823700")
    noted = evaluate_document(load_text(text, "facts.yaml"))
    assert [n.code for n in noted.warnings] == ["W102", "W102"]
    plain = evaluate_document(load_text(PANYU_FACTS.read_text(encoding="utf-8"), "facts.yaml"))
    texts = [p.text for p in docx.Document(io.BytesIO(to_bytes("result", "docx", [noted]))).paragraphs]
    at = texts.index("提示（请核对）")
    assert texts[at - 1].startswith("自评得分：") and texts[at + 1].startswith("facts.yaml:12:") \
        and "[W102]" in texts[at + 1] and texts[at + 2].startswith("facts.yaml:13:")
    assert "提示（请核对）" not in [p.text for p in docx.Document(io.BytesIO(to_bytes("result", "docx", [plain]))).paragraphs]
    page = to_bytes("result", "html", [noted]).decode()
    assert page.count("<li>facts.yaml:1") == 2 and "[W102]" in page and "提示（请核对）" in page
    assert "提示（请核对）" not in to_bytes("result", "html", [plain]).decode()
