"""schemas/policy.passed.json: the shipped policies that passed policy.schema.json, by content
hash, so that a run on one of them skips the schema check (and importing jsonschema).

The list must be exactly what checking them now gives: a policy edited, added or removed, or
the schema changed, and this test says so (PERFRULES_UPDATE_GOLDEN=1 rewrites the file). A
stale list is never wrong, only slower: content not in it, or another schema, is checked in full.
"""
import json
import os
import subprocess
import sys

from conftest import ROOT

from perfrules import validate
from perfrules.load import load_text

FILE = ROOT / "schemas" / validate.PASSED


def test_the_list_is_what_checking_the_shipped_policies_gives_now():
    now = validate.passed_record()
    if os.environ.get("PERFRULES_UPDATE_GOLDEN"):
        FILE.write_text(json.dumps(now, indent=2) + "\n", encoding="utf-8")
    assert json.loads(FILE.read_text("utf-8")) == now, "run with PERFRULES_UPDATE_GOLDEN=1 to refresh it"
    assert len(now["policies"]) == len(list((ROOT / "rules").rglob("*.yaml"))) - len(list((ROOT / "rules").rglob("*.cases.yaml")))


def test_a_changed_policy_is_checked_in_full():
    text = (ROOT / "rules" / "guangzhou" / "panyu" / "2023.yaml").read_text("utf-8")
    assert validate.schema_passed(load_text(text, "p.yaml").data)
    edited = load_text(text.replace("id: guangzhou/panyu/2023", "id: guangzhou/panyu/2023\ntitel: 多写的字段", 1), "p.yaml")
    assert not validate.schema_passed(edited.data)
    try:
        validate.policy_from_document(edited)
    except Exception as exc:                         # the schema still finds the typo
        assert "titel" in str(getattr(exc, "problems", exc))
    else:
        raise AssertionError("an unknown key passed")


def test_evaluating_a_shipped_policy_imports_no_jsonschema():
    code = ("import sys\n"
            "from perfrules.service import Service\n"
            "result = Service().evaluate_file('examples/panyu-jiguan-gongwei-2023.yaml')\n"
            "print(result.score, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "engine")})
    assert out.stdout.split() == ["96.88", "False"], out.stdout + out.stderr


def test_a_claim_taken_as_plainly_valid_passes_the_schema():
    """facts._plainly_valid lets a fact file skip jsonschema; for claims it must never let
    through what the schema would refuse."""
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from perfrules.facts import _plainly_valid
    from perfrules.load import Document
    from perfrules.schema import schema_problems

    scalar = st.one_of(st.integers(-5, 200), st.decimals(-5, 200, places=2), st.booleans(), st.text(max_size=3),
                       st.none(), st.just(Decimal("NaN")))
    deduction = st.dictionaries(st.sampled_from(["indicator", "points", "reason", "extra"]), scalar, max_size=4)
    claim = st.one_of(scalar, st.dictionaries(st.sampled_from(["score", "deductions", "other"]),
                                              st.one_of(scalar, st.lists(deduction, max_size=3)), max_size=3))

    plain: list = []

    @settings(max_examples=300, deadline=None)
    @given(claim)
    def check(c):
        d = {"policy": "guangzhou/panyu/2023", "department": "某部门", "facts": {}, "claimed": c}
        if _plainly_valid(d):
            plain.append(c)
            assert schema_problems(Document("f.yaml", d, None), "facts.schema.json") == [], c
    check()
    assert plain, "no claim was taken as plainly valid: the property was never tried"


def test_content_no_json_can_hold_is_checked_in_full():
    assert not validate.schema_passed({"id": b"hello", "indicators": []})
