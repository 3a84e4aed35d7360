"""The policy test cases shipped beside each policy pass, and exercise every rule."""
import pytest
from typer.testing import CliRunner

from conftest import RULES
from perfrules.cases import describe, find_case_files, run_file
from perfrules.cli import app

CASE_FILES = find_case_files([RULES])


def test_every_shipped_policy_has_cases():
    policies = [p for p in RULES.rglob("*.yaml") if not p.name.endswith(".cases.yaml")]
    assert policies
    for p in policies:
        assert p.with_name(p.stem + ".cases.yaml").is_file(), f"{p} has no .cases.yaml beside it"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: str(p.relative_to(RULES)))
def test_cases_pass_and_cover_every_rule(path):
    report = run_file(path)
    failures = {r.case.name: r.diffs for r in report.results if not r.ok}
    assert not failures
    assert len(report.results) >= len(report.policy.leaves())
    assert [describe(report.policy, r) for r in report.uncovered()] == []


def test_cli_reports_failures_with_a_diff_and_exit_1(tmp_path):
    (tmp_path / "p.yaml").write_text((RULES / "guangzhou/panyu/2023.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "p.cases.yaml").write_text(
        "base: " + str(RULES.parent / "examples/panyu-jiguan-gongwei-2023.yaml") + "\n"
        "cases:\n  - name: 错的期望\n    expect: {score: 96.87}\n", "utf-8")
    result = CliRunner().invoke(app, ["test", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL  错的期望" in result.stdout
    assert "得分：期望 96.87，实际 96.88" in result.stdout
    assert "PASS: 0/1" in result.stdout
    assert "未覆盖：" in result.stdout


def test_cli_passes_on_shipped_rules():
    result = CliRunner().invoke(app, ["test"])
    assert result.exit_code == 0, result.stdout
    assert "PASS: " in result.stdout and "FAIL" not in result.stdout


def test_a_rejected_fact_in_a_case_is_located_in_the_cases_file(tmp_path):
    """A bad value a case sets is reported at its line in the cases file; one inherited from
    the base fact file, at its line there."""
    from conftest import PANYU_FACTS
    cases = tmp_path / "x.cases.yaml"
    cases.write_text(
        "policy: guangzhou/panyu/2023\n"
        f"base: {PANYU_FACTS}\n"
        "cases:\n"
        "  - name: 错的支出\n"
        "    facts:\n"
        "      实际支出数: 很多\n"
        "    expect: {score: 96.88}\n", encoding="utf-8")
    (result,) = run_file(cases).results
    assert not result.ok
    assert f"{cases}:6:14 [E402]" in result.diffs[0].message and f"{cases}:6:14 [E402]" in result.diffs[0].message_en


def test_test_without_a_path_says_what_it_ran():
    from perfrules import resources
    result = CliRunner().invoke(app, ["test"])
    first = result.stdout.splitlines()[0]
    assert first == f"未指定用例文件：运行随附评分办法的全部测试用例（{resources.rules_dir()}，共 {len(CASE_FILES)} 个文件）。"
    english = CliRunner().invoke(app, ["test", "--lang", "en", "-f", "json"])
    import json
    assert json.loads(english.stdout)["searched"] == str(resources.rules_dir())
    named = CliRunner().invoke(app, ["test", str(CASE_FILES[0])])
    assert not named.stdout.startswith("未指定")
