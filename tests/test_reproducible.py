"""The same input gives the same bytes, documents included: a .docx or .xlsx written twice,
seconds apart, is byte-identical (its zip members and core properties carry one fixed time,
SOURCE_DATE_EPOCH when given), and the stamping changes nothing else in the zip."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile

from conftest import EXAMPLES, PANYU_FACTS, ROOT

from perfrules.reproducible import fixed_zip


def _perfrules(*args: str, env: dict | None = None) -> None:
    proc = subprocess.run([sys.executable, "-m", "perfrules", *args], cwd=ROOT, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")


def test_documents_and_workbooks_written_twice_are_the_same_bytes(tmp_path):
    outputs = {"report.docx": ("evaluate", str(PANYU_FACTS)), "form.xlsx": ("template", "guangzhou/panyu/2023"),
               "district.xlsx": ("batch", str(PANYU_FACTS), str(EXAMPLES / "national-project-2024.yaml"))}
    runs = []
    for n in (1, 2):
        if n == 2:
            time.sleep(2.1)               # a zip stamps its members to two seconds
        got = {}
        for name, args in outputs.items():
            out = tmp_path / f"{n}-{name}"
            _perfrules(*args, "-o", str(out))
            got[name] = out.read_bytes()
        runs.append(got)
    assert runs[0] == runs[1]
    with zipfile.ZipFile(io.BytesIO(runs[0]["report.docx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml")
        assert b">1980-01-01T00:00:00Z</dcterms:created>" in core and b">1980-01-01T00:00:00Z</dcterms:modified>" in core


def test_source_date_epoch_sets_the_time(tmp_path):
    import docx
    out = tmp_path / "r.docx"
    _perfrules("evaluate", str(PANYU_FACTS), "-o", str(out), env={"SOURCE_DATE_EPOCH": "1700000000"})
    props = docx.Document(str(out)).core_properties
    assert props.created.isoformat() == props.modified.isoformat() == "2023-11-14T22:13:20+00:00"


def test_stamping_keeps_every_member_its_contents_compression_and_order():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("b.xml", (2026, 12, 1, 10, 0, 0)), b"<b/>" * 100, zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("a/x.bin", (2020, 5, 5, 5, 5, 6)), bytes(range(256)), zipfile.ZIP_STORED)
        z.writestr("docProps/core.xml", b'<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">'
                   b"2026-12-01T10:00:00Z</dcterms:created><dc:title>2026-12-01T10:00:00Z</dc:title></cp:coreProperties>")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as before, zipfile.ZipFile(io.BytesIO(fixed_zip(buf.getvalue()))) as after:
        assert [(i.filename, i.compress_type) for i in after.infolist()] == [(i.filename, i.compress_type) for i in before.infolist()]
        assert {i.date_time for i in after.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        for name in ("b.xml", "a/x.bin"):
            assert after.read(name) == before.read(name)
        assert after.read("docProps/core.xml") == (b'<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">'
                                                   b"1980-01-01T00:00:00Z</dcterms:created><dc:title>2026-12-01T10:00:00Z"
                                                   b"</dc:title></cp:coreProperties>")


def test_a_source_date_epoch_a_zip_cannot_carry_is_held_to_the_last_it_can(tmp_path):
    import docx
    out = tmp_path / "r.docx"
    _perfrules("evaluate", str(PANYU_FACTS), "-o", str(out), env={"SOURCE_DATE_EPOCH": "99999999999"})
    assert docx.Document(str(out)).core_properties.modified.isoformat() == "2107-12-31T23:59:59+00:00"
