"""docs/errors/: one page per error code, and every example on a page is what perfrules prints.

A page marks its example files and commands for this test:

    <!-- example: policy.yaml [encoding=latin-1] -->   then a ```yaml block: the file
    <!-- command: perfrules validate policy.yaml -->   then <!-- output --> and a ```text block

The test writes the files to an empty folder, runs each command there (in-process) and
compares the output word for word. After changing a message on purpose, refresh the pages:

    PERFRULES_UPDATE_DOCS=1 python -m pytest tests/test_error_docs.py
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfrules.cli import app
from perfrules.problems import CODES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors"
PAGES = sorted(p for p in DOCS.glob("E*.md"))
EXAMPLE = re.compile(r"<!-- example: (?P<name>\S+)(?: encoding=(?P<enc>\S+))? -->\n```\w*\n(?P<body>.*?)```", re.S)
COMMAND = re.compile(r"<!-- command: (?P<cmd>.+?) -->\n<!-- output -->\n```text\n(?P<out>.*?)```", re.S)
UPDATE = os.environ.get("PERFRULES_UPDATE_DOCS") == "1"


def test_every_code_has_a_page_and_every_page_a_code():
    pages = {p.stem for p in PAGES}
    assert set(CODES) <= pages, f"codes without a page: {sorted(set(CODES) - pages)}"
    assert pages <= set(CODES), f"pages for unknown codes: {sorted(pages - set(CODES))}"
    index = (DOCS / "README.md").read_text("utf-8")
    for code in CODES:
        assert f"[{code}]({code}.md)" in index, f"{code} is not in docs/errors/README.md"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_layout(page: Path):
    """Chinese first, then English: meaning, example, fix; the title is the catalogue's."""
    text = page.read_text("utf-8")
    zh_title, en_title = CODES[page.stem][:2]
    assert text.startswith(f"# {page.stem} {zh_title}\n"), "the title must be the code and its Chinese title"
    assert en_title in text
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["含义", "示例", "如何修改", "What it means", "Example", "How to fix it"], headings
    assert COMMAND.search(text), "a page shows a command and its exact output"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_examples_print_what_the_page_says(page: Path, tmp_path: Path, monkeypatch):
    text = page.read_text("utf-8")
    for m in EXAMPLE.finditer(text):
        (tmp_path / m["name"]).write_bytes(m["body"].encode(m["enc"] or "utf-8"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    updated = text
    for m in COMMAND.finditer(text):
        args = shlex.split(m["cmd"])
        assert args[0] == "perfrules"
        result = runner.invoke(app, args[1:])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 2, f"{m['cmd']} exited {result.exit_code}"
        got = (result.stdout + result.stderr).rstrip("\n") + "\n"
        assert f"[{page.stem}]" in got.splitlines()[0], f"{m['cmd']} does not report {page.stem} first:\n{got}"
        if UPDATE:
            updated = updated.replace(m.group(0), m.group(0).replace(m["out"], got))
        else:
            assert got == m["out"], f"{page.name}: `{m['cmd']}` now prints\n{got}\n(set PERFRULES_UPDATE_DOCS=1 to refresh)"
    if UPDATE and updated != text:
        page.write_text(updated, "utf-8")
