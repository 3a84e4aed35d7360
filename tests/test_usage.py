"""Command-line usage in Chinese first: a misspelt command or option, a wrong value, a missing
argument are E602 problems with a did-you-mean hint (English with --lang en or
PERFRULES_LANG=en); `--help` speaks Chinese; `--version`; `perfrules explain CODE`."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from perfrules import __version__
from perfrules.problems import CODES


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "perfrules", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args,zh,hint", [
    (["evalute", "x.yaml"], "未知命令“evalute”。", "是否想写“evaluate”？"),
    (["evaluate", "x.yaml", "--polcy", "p"], "未知选项 --polcy。", "是否想写“--policy”？"),
    (["evaluate", "x.yaml", "-f", "xml"], "的值“xml”不在可选范围内，可选：text、json、markdown、docx、html。", "运行 perfrules --help"),
    (["evaluate"], "缺少参数 FACTS", "运行 perfrules --help"),
    (["evaluate", "x.yaml", "--policy"], "选项 --policy 后面需要一个值。", "运行 perfrules --help"),
    (["batch", "x.csv", "--jobs", "-3"], "应为不小于 0 的整数，实际是“-3”。", "运行 perfrules --help"),
    (["policies", "extra"], "多余的参数：extra。", "运行 perfrules --help"),
])
def test_usage_mistakes_are_e602_in_chinese(args, zh, hint):
    proc = cli(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    first = proc.stderr.splitlines()[0]
    assert first.startswith("perfrules: 错误 [E602] ") and zh in first, proc.stderr
    assert hint in proc.stderr and "Traceback" not in proc.stderr
    assert not any(word in proc.stderr for word in ("No such", "Usage:", "Error:")), proc.stderr


def test_usage_mistakes_in_english_by_option_or_environment():
    for proc in (cli("evalute", "x", "--lang", "en"), cli("evalute", "x", env={"PERFRULES_LANG": "en"})):
        assert proc.returncode == 2
        assert proc.stderr.startswith("perfrules: error [E602] No such command 'evalute'"), proc.stderr
        assert "Did you mean 'evaluate'?" in proc.stderr


def test_the_language_can_come_from_the_environment():
    proc = cli("policies", env={"PERFRULES_LANG": "en"})
    assert proc.returncode == 0 and "indicators" in proc.stdout and "个指标" not in proc.stdout


def test_help_speaks_chinese_and_english_on_request():
    zh = cli("evaluate", "--help").stdout
    assert zh.startswith("用法：perfrules evaluate") and "选项:" in zh and "显示本帮助并退出" in zh and "默认：zh]" in zh
    en = cli("evaluate", "--help", "--lang", "en").stdout
    assert en.startswith("Usage: perfrules evaluate") and "Options:" in en


def test_version():
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"perfrules {__version__}"


def test_explain_prints_every_code_page():
    for code in CODES:
        proc = cli("explain", code.lower())
        assert proc.returncode == 0 and proc.stdout.startswith(f"# {code} {CODES[code][0]}"), code


def test_explain_of_an_unknown_code():
    proc = cli("explain", "E999")
    assert proc.returncode == 2 and "[E602] 没有错误代码“E999”" in proc.stderr


def test_messages_point_at_the_explain_command():
    proc = cli("evaluate", "nope.yaml")
    assert proc.returncode == 2 and "  说明: perfrules explain E101" in proc.stderr


def test_a_number_out_of_its_range_names_both_ends(tmp_path):
    import subprocess
    import sys
    from conftest import ROOT
    out = subprocess.run([sys.executable, "-m", "perfrules", "serve", "--port", "99999"], capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT / "engine"), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert out.returncode == 2 and "应为 1 到 65535 之间的整数，实际是“99999”" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
