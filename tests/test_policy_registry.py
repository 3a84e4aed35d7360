"""Which policy a fact file gets: an id always means the registered policy; a path only a
policy file, reported by its path and sha256, never under the id it declares."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

from conftest import PANYU_FACTS, PANYU_POLICY, ROOT


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_an_id_is_never_shadowed_by_a_file_beside_the_facts(tmp_path):
    facts = tmp_path / "facts.yaml"
    shutil.copy(PANYU_FACTS, facts)
    fake = tmp_path / "guangzhou" / "panyu"
    fake.mkdir(parents=True)
    (fake / "2023").write_text(PANYU_POLICY.read_text("utf-8").replace("- {grade: 优, grade_en: Excellent, min: 90}",
                                                                        "- {grade: 优, grade_en: Excellent, min: 99}"),
                               encoding="utf-8")
    proc = cli("evaluate", facts, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["policy"]["id"] == "guangzhou/panyu/2023" and out["score"] == "96.88" and out["grade"] == "优"


def test_a_policy_chosen_by_path_is_named_by_its_path_and_sha256(tmp_path):
    copy = tmp_path / "my-policy.yaml"
    copy.write_text(PANYU_POLICY.read_text("utf-8"), encoding="utf-8")
    proc = cli("evaluate", PANYU_FACTS, "--policy", copy, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    policy = json.loads(proc.stdout)["policy"]
    assert policy["id"] == str(copy.resolve()) and len(policy["sha256"]) == 64
    text = cli("evaluate", PANYU_FACTS, "--policy", copy).stdout
    assert f"（{copy.resolve()}，sha256 {policy['sha256'][:12]}，版本" in text
    assert "guangzhou/panyu/2023" not in text


def test_a_registered_file_given_by_path_is_the_registered_policy():
    from perfrules import resources     # the registered file: in the package when installed
    proc = cli("evaluate", PANYU_FACTS, "--policy", resources.policy_ids()["guangzhou/panyu/2023"], "-f", "json")
    assert json.loads(proc.stdout)["policy"]["id"] == "guangzhou/panyu/2023"


def test_a_non_policy_file_is_refused_without_echoing_it(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-LINE\n", encoding="utf-8")
    facts_yaml = tmp_path / "facts.yaml"
    other = tmp_path / "other-facts.yaml"
    other.write_text("department: 别的部门\nfacts: {SECRET-KEY: 1}\n", encoding="utf-8")
    for ref in (secret, other, "/etc/passwd"):
        facts_yaml.write_text(f"policy: {ref}\ndepartment: 部门\nfacts: {{}}\n", encoding="utf-8")
        proc = cli("evaluate", facts_yaml)
        assert proc.returncode == 2 and "[E406]" in proc.stderr, proc.stderr
        assert "SECRET" not in proc.stderr + proc.stdout and "root:" not in proc.stderr + proc.stdout
