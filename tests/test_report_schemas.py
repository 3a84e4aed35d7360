"""Every JSON report has a schema under schemas/, and what each command prints with -f json
(on the shipped examples, in both languages) is valid against it."""
from __future__ import annotations

import json

import jsonschema
import pytest
from referencing import Registry, Resource
from typer.testing import CliRunner

from conftest import EXAMPLES, PANYU_FACTS, PANYU_POLICY, ROOT, RULES
from perfrules.cli import app
from perfrules.report import REPORTERS, reporter

SCHEMAS = ROOT / "schemas"
# report -> its schema; a report with a json reporter must be here
SCHEMA_OF = {"result": "result.schema.json", "problems": "problems.schema.json", "validate": "validate.schema.json",
             "policies": "policies.schema.json", "audit": "audit.schema.json", "cases": "test.schema.json"}
REGISTRY = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in (json.loads(p.read_text("utf-8")) for p in SCHEMAS.glob("*.schema.json")))
BROKEN = "department: x\nfacts: {a: 1\n"


def _check(report: str, text: str) -> object:
    data = json.loads(text)
    schema = json.loads((SCHEMAS / SCHEMA_OF[report]).read_text("utf-8"))
    jsonschema.Draft7Validator(schema, registry=REGISTRY).validate(data)
    return data


def _json(*args, code: int | None = 0):
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if code is not None:
        assert result.exit_code == code, result.stdout + result.stderr
    return result


def test_every_reporter_in_the_registry_exists():
    for report, formats in REPORTERS.items():
        for fmt in formats:
            assert callable(reporter(report, fmt)), (report, fmt)
    assert reporter("validate", "markdown") is reporter("validate", "text")     # a format a report lacks: text


def test_every_json_report_has_a_schema():
    assert {r for r, formats in REPORTERS.items() if "json" in formats} == set(SCHEMA_OF)
    assert all((SCHEMAS / s).is_file() for s in SCHEMA_OF.values())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_evaluate(lang):
    one = _check("result", _json("evaluate", str(PANYU_FACTS), "--lang", lang).stdout)
    assert one["score"] == "96.88"
    several = json.loads(_json("evaluate", str(PANYU_FACTS), str(EXAMPLES / "national-project-2024.yaml"),
                               "--lang", lang).stdout)
    for item in several:
        _check("result", json.dumps(item))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_validate(lang, tmp_path):
    ok = _check("validate", _json("validate", str(PANYU_POLICY), str(PANYU_FACTS), str(RULES / "guangzhou/panyu/2023.cases.yaml"),
                                  "--lang", lang).stdout)
    assert ok["ok"] and [f["kind"] for f in ok["files"]] == ["policy", "facts", "cases"]
    (tmp_path / "broken.yaml").write_text(BROKEN, "utf-8")
    bad = _check("validate", _json("validate", str(PANYU_POLICY), str(tmp_path / "broken.yaml"), "--lang", lang, code=2).stdout)
    assert not bad["ok"] and bad["files"][1]["problems"][0]["code"] == "E103"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit(lang):
    entries = _check("audit", _json("audit", str(EXAMPLES / "audit/panyu-claim-wrong.yaml"), str(PANYU_FACTS),
                                    "--lang", lang, code=1).stdout)
    assert [e["ok"] for e in entries] == [False, True]
    assert {d["claimed"] for d in entries[0]["discrepancies"]} >= {None}      # not_claimed: nothing claimed


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_test(lang, tmp_path):
    shipped = _check("cases", _json("test", str(RULES), "--lang", lang).stdout)
    assert shipped["passed"] == shipped["total"] > 0 and shipped["problems"] == []
    (tmp_path / "broken.cases.yaml").write_text(BROKEN, "utf-8")
    failed = _check("cases", _json("test", str(tmp_path / "broken.cases.yaml"), "--lang", lang, code=2).stdout)
    assert failed["problems"][0]["code"] == "E103"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_policies(lang):
    rows = _check("policies", _json("policies", "--lang", lang).stdout)
    assert any(r["id"] == "guangzhou/panyu/2023" for r in rows)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_problems(lang, tmp_path):
    (tmp_path / "broken.yaml").write_text(BROKEN, "utf-8")
    for args in (["evaluate", str(tmp_path / "broken.yaml"), str(tmp_path / "missing.yaml")],
                 ["audit", str(tmp_path / "broken.yaml")],
                 ["evaluate", str(PANYU_FACTS), "-o", str(tmp_path / "no-such-folder" / "out.json")]):
        result = _json(*args, "--lang", lang, code=2)
        assert result.stdout == ""
        data = _check("problems", result.stderr)
        assert data["problems"][0]["code"] in ("E103", "E601")
