"""`pip install .` ships the rules and schemas: build the wheel and look inside.

Slow (a real wheel build, several seconds) but always run: a plain non-editable install that
lacks rules/ or schemas/ cannot evaluate anything, and an editable install would never notice.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        # the build backend is already here: build offline, without an isolated environment
        cmd.insert(4, "--no-build-isolation")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("perfrules-*.whl")
    with zipfile.ZipFile(whl) as zf:
        names = zf.namelist()
        wanted = (".yaml", ".json", "METADATA", "entry_points.txt")
        return whl, names, {n: zf.read(n) for n in names if n.endswith(wanted)}


def test_wheel_has_the_shipped_rules(wheel):
    _, names, contents = wheel
    assert "perfrules/rules/guangzhou/panyu/2023.yaml" in names
    assert contents["perfrules/rules/guangzhou/panyu/2023.yaml"] == (ROOT / "rules/guangzhou/panyu/2023.yaml").read_bytes()
    shipped = {p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.yaml")}
    assert {f"perfrules/rules/{s}" for s in shipped} <= set(names)


def test_wheel_has_the_examples_the_cases_build_on(wheel):
    """rules/…/*.cases.yaml say base: ../../../examples/…, which must resolve inside the wheel too."""
    _, names, _ = wheel
    for example in ("panyu-jiguan-gongwei-2023.yaml", "national-project-2024.yaml"):
        assert f"perfrules/examples/{example}" in names


def test_wheel_has_the_schemas(wheel):
    _, names, contents = wheel
    for schema in ("policy.schema.json", "facts.schema.json", "result.schema.json"):
        assert f"perfrules/schemas/{schema}" in names
        assert contents[f"perfrules/schemas/{schema}"] == (ROOT / "schemas" / schema).read_bytes()


def test_wheel_has_the_code_and_the_entry_point(wheel):
    _, names, contents = wheel
    for module in ("cli", "service", "score", "model", "expr", "facts", "values", "schema", "load", "validate", "resources",
                   "methods/__init__", "methods/bands", "matcher/durable", "matcher/reference"):
        assert f"perfrules/{module}.py" in names
    entry = next(v for k, v in contents.items() if k.endswith(".dist-info/entry_points.txt")).decode("utf-8")
    assert re.search(r"^perfrules = perfrules\.cli:main$", entry, re.M)
    meta = next(v for k, v in contents.items() if k.endswith(".dist-info/METADATA")).decode("utf-8")
    assert "Requires-Dist: durable-rules==2.0.28" in meta


def test_installed_wheel_evaluates_from_anywhere(wheel, tmp_path):
    """Install the wheel (not editable) into a folder and run it outside the repository."""
    whl, _, _ = wheel
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                           "--target", str(target), str(whl)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import perfrules.resources as r; print(r.rules_dir())"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(target / "perfrules" / "rules")
    facts = work / "facts.yaml"
    facts.write_bytes((ROOT / "examples" / "panyu-jiguan-gongwei-2023.yaml").read_bytes())
    run = subprocess.run([sys.executable, "-m", "perfrules", "evaluate", "facts.yaml", "-f", "json"],
                         cwd=work, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["score"] == "96.88"
    page = subprocess.run([sys.executable, "-m", "perfrules", "explain", "E304"],
                          cwd=work, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert page.returncode == 0 and page.stdout == (ROOT / "docs" / "errors" / "E304.md").read_text("utf-8")


def test_wheel_has_the_services_pages(wheel):
    """`perfrules serve` renders templates and serves static files from the package itself."""
    _, names, _ = wheel
    web = ROOT / "engine" / "perfrules" / "web"
    assets = [p for folder in ("templates", "static") for p in (web / folder).rglob("*") if p.is_file()]
    assert assets
    for p in assets:
        assert f"perfrules/web/{p.relative_to(web).as_posix()}" in names
