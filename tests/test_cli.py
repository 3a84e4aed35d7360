"""The command line: exit codes, --output, validate, policies and the internal-error path.

Exit codes (README): 0 evaluated · 1 a check found something · 2 invalid input or usage ·
3 internal error (one line for the user, the traceback in a log file). Input errors are
located messages, never tracebacks.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, PANYU_FACTS, PANYU_POLICY, ROOT, RULES


def cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def assert_clean_failure(proc, code=2):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip()


@pytest.fixture
def bad_files(tmp_path):
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("policy: guangzhou/panyu/2023\ndepartment: 某部门\nfacts: [1, 2\n", encoding="utf-8")
    value = tmp_path / "value.yaml"
    text = PANYU_FACTS.read_text(encoding="utf-8").replace("全年预算数: 690.47万元", "全年预算数: 很多")
    assert text != PANYU_FACTS.read_text(encoding="utf-8")
    value.write_text(text, encoding="utf-8")
    return {"syntax": syntax, "value": value}


# ---- exit codes ----------------------------------------------------------------------------

def test_evaluate_exit_0():
    proc = cli("evaluate", PANYU_FACTS)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "96.88" in proc.stdout


def test_lang_before_the_command_is_the_commands_language():
    """`perfrules --lang en evaluate …`, as the root --help lists it, answers in English; the
    command's own --lang still has the last word."""
    en = cli("--lang", "en", "evaluate", PANYU_FACTS)
    assert en.returncode == 0 and "Score" in en.stdout and "自评得分" not in en.stdout, en.stdout[-500:]
    zh = cli("--lang", "en", "evaluate", PANYU_FACTS, "--lang", "zh")
    assert zh.returncode == 0 and "自评得分" in zh.stdout
    bad = cli("--lang", "en", "evaluate", ROOT / "no-such-file.yaml")
    assert bad.returncode == 2 and "no such file" in bad.stderr.lower(), bad.stderr


def test_lang_before_one_command_does_not_outlive_it():
    """In one process (a test runner, the web service), the root --lang of one run leaves the next
    run in Chinese: it is not written into the environment."""
    from typer.testing import CliRunner

    from perfrules.cli import app
    runner = CliRunner()
    assert runner.invoke(app, ["--lang", "en", "policies"]).exit_code == 0
    after = runner.invoke(app, ["validate", "no-such-file.yaml"])
    assert after.exit_code == 2 and "找不到文件" in after.stderr, after.stderr


def test_evaluate_on_a_folder_says_it_is_one_and_names_batch(tmp_path):
    proc = cli("evaluate", tmp_path)
    assert_clean_failure(proc)
    assert "[E101]" in proc.stderr and "是文件夹" in proc.stderr and f"perfrules batch {tmp_path}" in proc.stderr


def test_dash_as_output_is_standard_output_and_audit_offers_only_what_it_writes(tmp_path):
    for args in (("evaluate", PANYU_FACTS, "-f", "json", "-o", "-"), ("batch", PANYU_FACTS, "-o", "-"),
                 ("audit", EXAMPLES / "audit" / "panyu-claim-wrong.yaml", "-o", "-")):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode in (0, 1) and "96.88" in proc.stdout, proc.stderr
        assert not (tmp_path / "-").exists()
    helped = cli("audit", "--help")
    assert "text|json|markdown" in helped.stdout and "docx" not in helped.stdout


def test_evaluate_two_files_json_is_a_list():
    proc = cli("evaluate", PANYU_FACTS, PANYU_FACTS, "-f", "json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert [d["score"] for d in data] == ["96.88", "96.88"]


def test_missing_file():
    proc = cli("evaluate", "no-such-file.yaml")
    assert_clean_failure(proc)
    assert "E101" in proc.stderr and "no-such-file.yaml" in proc.stderr


def test_malformed_yaml(bad_files):
    proc = cli("evaluate", bad_files["syntax"])
    assert_clean_failure(proc)
    assert "E103" in proc.stderr
    assert re.search(re.escape(str(bad_files["syntax"])) + r":\d+:\d+: ", proc.stderr)   # located


def test_bad_fact_value(bad_files):
    proc = cli("evaluate", bad_files["value"])
    assert_clean_failure(proc)
    assert "E402" in proc.stderr and "全年预算数" in proc.stderr


def test_bad_fact_value_json_errors(bad_files):
    proc = cli("evaluate", bad_files["value"], "-f", "json")
    assert_clean_failure(proc)
    report = json.loads(proc.stderr)
    assert report["ok"] is False and report["problems"][0]["code"] == "E402"


def test_unknown_policy_id():
    proc = cli("evaluate", "--policy", "guangzhou/panyu/1999", PANYU_FACTS)
    assert_clean_failure(proc)
    assert "E406" in proc.stderr and "guangzhou/panyu/1999" in proc.stderr


def test_unknown_policy_in_the_fact_file(tmp_path):
    facts = tmp_path / "f.yaml"
    facts.write_text(PANYU_FACTS.read_text(encoding="utf-8").replace("policy: guangzhou/panyu/2023", "policy: nowhere/2023"),
                     encoding="utf-8")
    proc = cli("evaluate", facts)
    assert_clean_failure(proc)
    assert "E406" in proc.stderr


@pytest.mark.parametrize("args", [
    ("evaluate", "-f", "pdf", PANYU_FACTS),
    ("evaluate", "--lang", "fr", PANYU_FACTS),
    ("evaluate",),
    ("evaluate", PANYU_FACTS, "--no-such-option"),
    ("no-such-command",),
])
def test_usage_errors(args):
    proc = cli(*args)
    assert proc.returncode == 2, proc
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_bad_format_names_the_choices():
    proc = cli("evaluate", "-f", "pdf", PANYU_FACTS)
    assert "pdf" in proc.stderr and "markdown" in proc.stderr


# ---- --output ------------------------------------------------------------------------------

def test_output_writes_the_file(tmp_path):
    target = tmp_path / "result.json"
    proc = cli("evaluate", PANYU_FACTS, "-f", "json", "--output", target)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["score"] == "96.88"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]   # no temp file left


def test_output_matches_stdout(tmp_path):
    target = tmp_path / "result.txt"
    assert cli("evaluate", PANYU_FACTS, "-o", target).returncode == 0
    assert target.read_text(encoding="utf-8") == cli("evaluate", PANYU_FACTS).stdout


def test_output_nothing_written_on_invalid_input(tmp_path, bad_files):
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    for bad in (bad_files["syntax"], bad_files["value"], tmp_path / "missing.yaml"):
        proc = cli("evaluate", bad, "-f", "json", "-o", target)
        assert_clean_failure(proc)
        assert not target.exists()
    # an existing file is left as it was
    target.write_text("previous", encoding="utf-8")
    proc = cli("evaluate", PANYU_FACTS, bad_files["value"], "-o", target)   # one good, one bad: nothing
    assert_clean_failure(proc)
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]


def test_output_to_a_missing_folder(tmp_path):
    proc = cli("evaluate", PANYU_FACTS, "-o", tmp_path / "no" / "such" / "dir" / "r.txt")
    assert_clean_failure(proc)
    assert "E601" in proc.stderr


def test_output_gets_the_umask_mode_and_the_umask_is_never_set(tmp_path, monkeypatch):
    """The temporary file is created with mode 0666 for the kernel to apply the umask:
    setting the umask (even to read it) races with other threads."""
    import os
    from perfrules.output import write_atomic
    before = os.umask(0o027)
    try:
        with monkeypatch.context() as m:
            m.setattr(os, "umask", lambda mask: pytest.fail("os.umask called"))
            target = tmp_path / "r.txt"
            write_atomic(target, "结果")
    finally:
        os.umask(before)
    assert target.read_text(encoding="utf-8") == "结果"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


# ---- validate and policies -----------------------------------------------------------------

def shipped_policies() -> list[Path]:
    return sorted(p for p in RULES.rglob("*.yaml")
                  if not p.name.endswith(".cases.yaml") and not p.parent.name.endswith(".cases"))


def example_files() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml"))


def test_there_is_something_to_validate():
    assert PANYU_POLICY in shipped_policies()
    assert PANYU_FACTS in example_files()


@pytest.mark.parametrize("path", shipped_policies() + example_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_validate_shipped_file(path):
    proc = cli("validate", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{path}: 通过")


def test_validate_all_at_once_json():
    files = shipped_policies() + example_files()
    proc = cli("validate", *files, "-f", "json")
    assert proc.returncode == 0, proc.stdout
    report = json.loads(proc.stdout)
    assert report["ok"] is True and [f["file"] for f in report["files"]] == [str(p) for p in files]
    kinds = {f["file"]: f["kind"] for f in report["files"]}
    assert kinds[str(PANYU_POLICY)] == "policy" and kinds[str(PANYU_FACTS)] == "facts"


def test_validate_a_broken_policy(tmp_path):
    broken = tmp_path / "p.yaml"
    broken.write_text(PANYU_POLICY.read_text(encoding="utf-8").replace("    points: 50\n", "    points: 51\n", 1),
                      encoding="utf-8")
    proc = cli("validate", broken)
    assert_clean_failure(proc)
    assert "E301" in proc.stderr or "E302" in proc.stderr


def test_policies_lists_panyu():
    proc = cli("policies")
    assert proc.returncode == 0
    assert any(line.startswith("guangzhou/panyu/2023  ") for line in proc.stdout.splitlines())
    data = json.loads(cli("policies", "-f", "json").stdout)
    panyu = next(r for r in data if r["id"] == "guangzhou/panyu/2023")
    assert panyu["year"] == 2023 and panyu["indicators"] == 8
    assert not any("error" in r for r in data)


# ---- exit 3: internal errors ---------------------------------------------------------------

def test_internal_error_exit_3(monkeypatch, tmp_path, capsys):
    import perfrules.cli
    import perfrules.service

    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure deep inside")

    monkeypatch.setattr(perfrules.service, "evaluate_document", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["perfrules", "evaluate", str(PANYU_FACTS)])
    with pytest.raises(SystemExit) as exc:
        perfrules.cli.main()
    assert exc.value.code == 3
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.search(r"[\u4e00-\u9fff]", lines[0]) and "内部错误" in lines[0]
    assert "Traceback" not in err and "simulated failure" not in err
    logs = list(tmp_path.glob("perfrules-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    log = logs[0].read_text(encoding="utf-8")
    assert log.startswith("Traceback (most recent call last):")
    assert "RuntimeError: simulated failure deep inside" in log and "in boom" in log


def test_internal_error_in_the_engine_exit_3(monkeypatch, tmp_path, capsys):
    """An EngineError (durable_rules failing) is internal too, not the user's input."""
    import perfrules.cli
    from perfrules.model import EngineError

    def broken(*args, **kwargs):
        raise EngineError("durable_rules failed in session 1: simulated")

    monkeypatch.setattr("perfrules.matcher.durable.DurableMatcher.fired", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["perfrules", "evaluate", str(PANYU_FACTS), "-f", "json"])
    with pytest.raises(SystemExit) as exc:
        perfrules.cli.main()
    assert exc.value.code == 3
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "EngineError" in err
    (log,) = tmp_path.glob("perfrules-error-*.log")
    assert "EngineError: durable_rules failed in session 1: simulated" in log.read_text(encoding="utf-8")


def test_main_exit_0_in_process(monkeypatch, capsys):
    import perfrules.cli
    monkeypatch.setattr(sys, "argv", ["perfrules", "evaluate", str(PANYU_FACTS), "-f", "json"])
    with pytest.raises(SystemExit) as exc:
        perfrules.cli.main()
    assert exc.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["score"] == "96.88"


# ---- outputs never destroy inputs ----------------------------------------------------------

def test_output_onto_an_input_is_refused(tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_bytes(PANYU_FACTS.read_bytes())
    link = tmp_path / "link.txt"
    link.symlink_to(facts)
    for args in (["evaluate", facts, "-o", facts], ["evaluate", facts, "-o", link],
                 ["audit", facts, "-o", facts], ["evaluate", facts, "--policy", PANYU_POLICY, "-o", PANYU_POLICY]):
        proc = cli(*args)
        assert_clean_failure(proc)
        assert proc.stderr.startswith(f"{args[-1]}: 错误 [E601]") and "输出文件就是本次读取的输入" in proc.stderr
    assert facts.read_bytes() == PANYU_FACTS.read_bytes() and link.is_symlink()


def test_output_onto_dev_null_writes_through():
    import os
    import stat
    proc = cli("evaluate", PANYU_FACTS, "-o", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_onto_a_symlink_and_an_existing_file(tmp_path):
    import os
    real, link, kept = tmp_path / "real.txt", tmp_path / "link.txt", tmp_path / "kept.txt"
    link.symlink_to(real)
    kept.write_text("old", encoding="utf-8")
    os.chmod(kept, 0o640)
    for out in (link, kept):
        proc = cli("evaluate", PANYU_FACTS, "-o", out)
        assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and "96.88" in real.read_text(encoding="utf-8")
    assert kept.stat().st_mode & 0o7777 == 0o640 and "96.88" in kept.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt", "link.txt", "real.txt"]
