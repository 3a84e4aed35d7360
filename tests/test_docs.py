"""Every YAML example in docs/policy-language.md that is marked `<!-- check: kind -->` passes
`perfrules validate` (and a fact file is scored), as the document's §15 promises.

Kinds: policy (a whole policy; the first one is minimal.yaml), factfile (beside minimal.yaml,
validated and evaluated), facts (declarations, wrapped with a placeholder indicator),
scaffold (the §9 facts), indicator (a list of indicators, wrapped with the scaffold),
shipped (the path of a shipped file), cases (a test-case file beside minimal.yaml, run by
perfrules test).
"""
from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

from conftest import ROOT, dump

DOC = ROOT / "docs" / "policy-language.md"
BLOCK = re.compile(r"<!-- check: (\w+) -->\n```yaml\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, int]]:
    text = DOC.read_text("utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in BLOCK.finditer(text)]


BLOCKS = blocks()
SCAFFOLD = next(body for kind, body, _ in BLOCKS if kind == "scaffold")
MINIMAL = next(body for kind, body, _ in BLOCKS if kind == "policy")


def wrap(facts: list, indicators: list) -> str:
    total = sum((Decimal(str(i["points"])) for i in indicators), Decimal(0))
    return dump({"id": "docs/example", "title": "文档例子", "year": 2024, "version": "1", "full_score": total,
                 "grades": [{"grade": "合格", "min": 0}], "facts": facts, "indicators": indicators})


def validate(tmp_path, files: dict[str, str], *targets: str, command: str = "validate") -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "perfrules", command, *targets], cwd=tmp_path, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_the_document_has_examples_of_every_kind():
    kinds = {kind for kind, _, _ in BLOCKS}
    assert {"policy", "factfile", "facts", "scaffold", "indicator", "shipped", "cases"} <= kinds


@pytest.mark.parametrize("kind,body,line", BLOCKS, ids=[f"{k}-line{n}" for k, _, n in BLOCKS])
def test_example_passes_validate(tmp_path, kind, body, line):
    if kind == "policy":
        validate(tmp_path, {"p.yaml": body}, "p.yaml")
    elif kind == "factfile":
        validate(tmp_path, {"minimal.yaml": MINIMAL, "f.yaml": body}, "f.yaml")
        validate(tmp_path, {}, "f.yaml", command="evaluate")
    elif kind == "facts":
        facts = yaml.safe_load(body)["facts"]
        placeholder = {"id": "X", "name": "占位", "points": 1,
                       "method": {"kind": "manual", "score": "_分", "note": "_说明", "reason": "{说明}"}}
        facts = facts + [{"key": "_分", "type": "number", "default": 1}, {"key": "_说明", "type": "text", "default": "无"}]
        validate(tmp_path, {"p.yaml": wrap(facts, [placeholder])}, "p.yaml")
    elif kind == "scaffold":
        facts = yaml.safe_load(body)["facts"]
        placeholder = {"id": "X", "name": "占位", "points": 10,
                       "method": {"kind": "checklist", "items": [{"fact": "公开预算", "label": "预算公开", "deduct": 1}],
                                  "reason": "未{缺少项}"}}
        validate(tmp_path, {"p.yaml": wrap(facts, [placeholder])}, "p.yaml")
    elif kind == "indicator":
        validate(tmp_path, {"p.yaml": wrap(yaml.safe_load(SCAFFOLD)["facts"], yaml.safe_load(body))}, "p.yaml")
    elif kind == "cases":
        validate(tmp_path, {"minimal.yaml": MINIMAL, "c.cases.yaml": body}, "c.cases.yaml")
        validate(tmp_path, {}, "c.cases.yaml", command="test")
    elif kind == "shipped":
        validate(tmp_path, {}, str(ROOT / body.strip()))
    else:
        pytest.fail(f"line {line}: unknown check kind {kind!r}")
