"""Every malformed file in tests/bad_inputs/ is refused the way a policy editor needs.

ONE parametrised test over the corpus: for each bad file, run the CLI in-process (typer's
CliRunner, so a stray exception fails the test instead of being turned into exit code 3):

  perfrules validate FILE [--policy P]                    (Chinese, then --lang en)
  perfrules evaluate FILE [--policy P] --output OUT       (fact files)
  perfrules evaluate SMALL_FACTS --policy FILE --output OUT   (policies)
  perfrules test FILE                                     (*.cases.yaml)

and check: exit code 2; the FIRST problem reported is `file:LINE:COL: 错误 [CODE] message`
with the expected code and line (and column when given); no traceback; the message is
Chinese by default and English with --lang en; the source line and a caret placed by display
width follow whenever there is a line; `--format json` carries the same code and line; OUT
is never created.

Expectations: a first-line comment `# expect: E301 line 12 [col 5]` (`# expect: E105` for
whole-file problems), optionally `# policy: ID|PATH` on the next line (passed as --policy);
binary/expectations.yaml for files that cannot carry a comment; GENERATED below for files too
big to commit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml
from typer.testing import CliRunner

from perfrules.cli import app
from perfrules.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from perfrules.problems import CODES, cell_width

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
SMALL_FACTS = CORPUS / "_support" / "small-facts.yaml"
EXPECT = re.compile(r"^# expect: (E\d{3})(?: line (\d+))?(?: col (\d+))?\s*$")
CJK = re.compile(r"[\u3400-\u9fff]")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|`[^`]*`|\[[^\]]*\]")


@dataclass
class Bad:
    name: str
    kind: str                     # policy | facts | cases
    code: str
    line: int | None = None
    col: int | None = None
    policy: str | None = None     # --policy
    path: Path | None = None      # a committed file ...
    make: Callable[[], bytes] | None = None   # ... or one written at test time
    at: str | None = None         # a workbook: the sheet!cell after NAME.xlsx: ("" for the whole file)


def _parse_expect(text: str) -> tuple[str, int | None, int | None]:
    m = EXPECT.match(text.strip() if text.startswith("#") else "# expect: " + text.strip())
    assert m, f"bad expectation: {text!r}"
    return m.group(1), int(m.group(2)) if m.group(2) else None, int(m.group(3)) if m.group(3) else None


def _committed() -> list[Bad]:
    out = []
    for kind, folder in (("policy", "policy"), ("facts", "facts"), ("cases", "cases")):
        for path in sorted((CORPUS / folder).glob("*.yaml")):
            lines = path.read_text("utf-8").splitlines()
            code, line, col = _parse_expect(lines[0])
            policy = next((x.split(":", 1)[1].strip() for x in lines[1:3] if x.startswith("# policy:")), None)
            out.append(Bad(f"{folder}/{path.name}", kind, code, line, col, policy, path))
    for name, e in yaml.safe_load((CORPUS / "binary" / "expectations.yaml").read_text("utf-8")).items():
        code, line, col = _parse_expect(e["expect"])
        out.append(Bad(f"binary/{name}", e["kind"], code, line, col, e.get("policy"), CORPUS / "binary" / name))
    for name, e in yaml.safe_load((CORPUS / "workbook" / "expectations.yaml").read_text("utf-8")).items():
        code, _, _ = _parse_expect(e["expect"])
        out.append(Bad(f"workbook/{name}", e["kind"], code, path=CORPUS / "workbook" / name, at=e.get("at", "")))
    return out


def _huge_comment() -> bytes:
    line = "# " + "很长的注释" * 30 + "\n"
    return ("id: test/huge/2023\n" + line * (MAX_FILE_BYTES // len(line.encode()) + 10)).encode()


GENERATED = [
    # over the byte limit: refused before parsing (a whole-file problem: no line)
    Bad("generated/huge-file.yaml", "policy", "E105", make=_huge_comment),
    Bad("generated/huge-fact-file.yaml", "facts", "E105", policy="guangzhou/panyu/2023",
        make=lambda: ("department: x\nfacts:\n" + "".join(f"  事实{i}: {i}\n" for i in range(150_000))).encode()),
    # under the byte limit but too many values: refused at the list that grows too big
    Bad("generated/many-values.yaml", "policy", "E105", line=3,
        make=lambda: ("id: test/big/2023\nindicators:\n" + "- 1\n" * (MAX_NODES + 10)).encode()),
    # block nesting, which no bracket count can see: refused at the level that goes too deep
    Bad("generated/deep-block-nesting.yaml", "policy", "E105", line=3,
        make=lambda: ("id: test/deep/2023\nindicators:\n  " + "- " * (MAX_DEPTH + 40) + "1\n").encode()),
    Bad("generated/deeper-than-libyaml.yaml", "facts", "E105", line=4, policy="guangzhou/panyu/2023",
        make=lambda: ("department: x\nfacts:\n  全年预算数:\n    " + "- " * 3000 + "1\n").encode()),
    # 20,000 unknown facts: every one is located, quickly (locating was quadratic: minutes)
    Bad("generated/many-unknown-facts.yaml", "facts", "E403", line=3, col=3, policy="guangzhou/panyu/2023",
        make=lambda: ("department: x\nfacts:\n" + "".join(f"  k{i}: {i}\n" for i in range(20_000))).encode()),
    # one line of 300,000 characters: the source line is shown as a window around the column
    Bad("generated/very-long-line.yaml", "policy", "E103", line=2,
        make=lambda: ("id: test/x/2023\ntitle: " + "长" * 300_000 + ": 值\n").encode()),
]

CORPUS_ITEMS = _committed() + GENERATED
runner = CliRunner()


def _run(args: list[str]):
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback
        raise AssertionError("perfrules raised instead of reporting:\n" + "".join(
            traceback.format_exception(result.exception)))
    return result


def _resolve_policy(bad: Bad, path: Path) -> list[str]:
    if not bad.policy:
        return []
    candidate = path.parent / bad.policy
    return ["--policy", str(candidate.resolve()) if candidate.is_file() else bad.policy]


def _first_problem(out: str, bad: Bad, lang: str) -> re.Match:
    level = "错误" if lang == "zh" else "error"
    where = rf":{bad.line}:(?P<col>\d+)" if bad.line else r""
    pattern = rf"^(?P<file>[^\n]*?){where}: {level} \[(?P<code>E\d{{3}})\] (?P<msg>[^\n]+)$"
    m = re.search(pattern, out, re.M)
    first = next((x for x in out.splitlines() if re.search(rf": {level} \[E\d{{3}}\] ", x)), "(no problem line)")
    assert m and m.group(0) == first and m.group("code") == bad.code, (
        f"expected [{bad.code}]{' at line ' + str(bad.line) if bad.line else ''} first, got:\n{out}")
    if bad.col:
        assert int(m.group("col")) == bad.col, f"expected column {bad.col}:\n{out}"
    if bad.at is not None:
        assert m.group("file").endswith(f".xlsx:{bad.at}" if bad.at else ".xlsx"), f"expected at {bad.at or 'the file'}:\n{out}"
    return m


def _check_caret(out: str, m: re.Match, bad: Bad) -> None:
    """With a line, the next two lines are the source line and a caret under the column."""
    if not bad.line:
        return
    rest = out[m.end():].lstrip("\n").splitlines()
    assert len(rest) >= 2, out
    src = re.match(rf"^\s*{bad.line} \| (?P<src>.*)$", rest[0])
    caret = re.match(r"^\s*\| (?P<pad> *)\^$", rest[1])
    assert src and caret, f"no source line and caret after the problem:\n{out}"
    col = int(m.group("col"))
    shown = src.group("src")
    if not shown.startswith("..."):         # a long line is shown as a window; short ones exactly
        assert len(caret.group("pad")) == cell_width(shown[: col - 1]), f"caret misplaced:\n{out}"


def _outside_quotes(msg: str) -> str:
    return QUOTED.sub("", msg)


def _prose_in_english(msg: str, path: Path) -> list[str]:
    """Chinese words in an English message, other than names the user wrote (fact keys,
    options, ids), which appear as they are in the input or in its policy."""
    from perfrules.load import decode
    from perfrules.problems import InputError
    try:
        known = decode(path.read_bytes(), str(path))
    except InputError:
        known = ""
    known += "".join(p.read_text("utf-8") for p in (CORPUS / "_support").glob("*.yaml"))
    known += (CORPUS.parent.parent / "rules" / "guangzhou" / "panyu" / "2023.yaml").read_text("utf-8")
    return [w for w in re.findall(r"[\u3400-\u9fff]+", _outside_quotes(msg)) if w not in known]


@pytest.mark.parametrize("bad", CORPUS_ITEMS, ids=[b.name for b in CORPUS_ITEMS])
def test_bad_input(bad: Bad, tmp_path: Path):
    assert bad.code in CODES
    if bad.make is not None:
        path = tmp_path / Path(bad.name).name
        path.write_bytes(bad.make())
    else:
        path = bad.path
    policy = _resolve_policy(bad, path)

    # validate, in Chinese (the default)
    zh = _run(["validate", path, *policy])
    out = zh.stdout + zh.stderr
    assert zh.exit_code == 2, out
    assert "Traceback" not in out
    m = _first_problem(out, bad, "zh")
    assert CJK.search(_outside_quotes(m.group("msg"))), f"message is not in Chinese: {m.group('msg')}"
    _check_caret(out, m, bad)
    assert f"perfrules explain {bad.code}" in out

    # validate, in English
    en = _run(["validate", path, *policy, "--lang", "en"])
    out_en = en.stdout + en.stderr
    assert en.exit_code == 2 and "Traceback" not in out_en
    m_en = _first_problem(out_en, bad, "en")
    assert not _prose_in_english(m_en.group("msg"), path), f"English message has Chinese: {m_en.group('msg')}"
    assert re.search(r"[A-Za-z]{3}", m_en.group("msg")) and "提示" not in out_en and "错误" not in out_en
    _check_caret(out_en, m_en, bad)
    suggested = re.search(r"^  提示: 是否想写“(.+?)”？", out, re.M)      # a did-you-mean hint, in both languages
    if suggested:
        assert f"  hint: Did you mean '{suggested.group(1)}'?" in out_en, out_en

    # the same problem as data
    js = _run(["validate", path, *policy, "--format", "json"])
    assert js.exit_code == 2
    data = json.loads(js.stdout)
    first = next(p for f in data["files"] if not f["ok"] for p in f["problems"])
    assert first["code"] == bad.code and (bad.line is None or first["line"] == bad.line), first

    # evaluate (or test, for case files) refuses too, and writes nothing
    target = tmp_path / "out" / "report.txt"
    target.parent.mkdir()
    if bad.kind == "policy":
        run = _run(["evaluate", SMALL_FACTS, "--policy", path, "--output", target])
    elif bad.kind == "facts":
        run = _run(["evaluate", path, *policy, "--output", target])
    else:
        run = _run(["test", path])
    out_run = run.stdout + run.stderr
    assert run.exit_code == 2, out_run
    assert "Traceback" not in out_run
    _first_problem(out_run, bad, "zh")
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_corpus_is_big_enough_and_covers_every_input_code():
    assert len(CORPUS_ITEMS) >= 60
    seen = {b.code for b in CORPUS_ITEMS}
    # E101 (no such file), E601 (output) and E602 (usage) are not files: see tests/test_errors.py
    assert set(CODES) - seen <= {"E101", "E601", "E602"}, sorted(set(CODES) - seen - {"E101", "E601", "E602"})


def test_binary_files_are_current():
    """binary/ is what make_binary.py writes from the text corpus (regenerate after editing it)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_binary", CORPUS / "make_binary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.files()
    listed = set(yaml.safe_load((CORPUS / "binary" / "expectations.yaml").read_text("utf-8")))
    assert listed == set(expected)
    for name, data in expected.items():
        assert (CORPUS / "binary" / name).read_bytes() == data, f"run python {CORPUS / 'make_binary.py'}"


def test_workbook_files_are_listed_and_current():
    """workbook/ holds what make_workbooks.py writes (openpyxl stamps the time into a workbook,
    so the cells are compared, not the bytes)."""
    import importlib.util
    import io

    from openpyxl import load_workbook
    spec = importlib.util.spec_from_file_location("make_workbooks", CORPUS / "make_workbooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.files()
    listed = set(yaml.safe_load((CORPUS / "workbook" / "expectations.yaml").read_text("utf-8")))
    assert listed == set(expected) == {p.name for p in (CORPUS / "workbook").glob("*.xlsx")}
    for name, data in expected.items():
        committed = (CORPUS / "workbook" / name).read_bytes()
        if not data.startswith(b"PK") or b"xl/workbook.xml" not in data:
            assert committed == data, name
            continue
        fresh, kept = load_workbook(io.BytesIO(data)), load_workbook(io.BytesIO(committed))
        assert fresh.sheetnames == kept.sheetnames, name
        for ws in fresh.worksheets:
            assert ws.max_row == kept[ws.title].max_row, f"run python {CORPUS / 'make_workbooks.py'}"
            assert [[c.value for c in r] for r in ws.iter_rows(max_row=min(ws.max_row, 50))] == \
                   [[c.value for c in r] for r in kept[ws.title].iter_rows(max_row=min(ws.max_row, 50))], name
