"""How a problem is shown (issue "Policy staff can trust what they edit", item 1).

    policy.yaml:2:12: 错误 [E103] message          file:line:col, level, code, message
        2 | title: 评分办法: 2023 年               the source line
          |            ^                           a caret placed by display width (CJK = 2 cells)
      位置: $.path   提示: one line   说明: perfrules explain E103
    还有 N 个错误，使用 --verbose 查看全部。       the most relevant problem first

and `--format json` gives the same problems as data.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfrules.cli import app
from perfrules.problems import CODES, Problem, cell_width, render

ROOT = Path(__file__).resolve().parent.parent
PANYU_FACTS = ROOT / "examples" / "panyu-jiguan-gongwei-2023.yaml"
runner = CliRunner()

GOOD_FACTS = """policy: guangzhou/panyu/2023
department: 区直机关工委
year: 2023
facts:
  全年预算数: 690.47万元
  实际支出数: 682.37万元
  绩效指标:
    - {名称: 培训参加人数, 目标值: 200, 实际值: 185}
  有内部财务管理制度: true
  有绩效目标管理制度: false
  有绩效运行监控制度: false
  有绩效评价管理制度: false
  有评价结果应用制度: false
"""
# three problems: an unknown fact (typo), the required fact it should have been, a bad boolean
THREE_PROBLEMS = (GOOD_FACTS.replace("全年预算数: 690.47万元", "全年预算额: 690.47万元")
                  .replace("有绩效目标管理制度: false", "有绩效目标管理制度: 没有吧"))


def invoke(*args, cwd: Path | None = None):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def three(tmp_path: Path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(THREE_PROBLEMS, "utf-8")
    return path


# ---- the caret -------------------------------------------------------------------------

def test_cell_width_counts_cjk_as_two():
    assert cell_width("abc") == 3
    assert cell_width("评分办法") == 8
    assert cell_width("title: 评分办法") == 15
    assert cell_width("１２３") == 6          # full-width digits too


def test_caret_is_placed_by_display_width_after_chinese(tmp_path: Path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("id: example/2023\ntitle: 评分办法: 2023 年\n", "utf-8")
    out = invoke("validate", policy).stderr.splitlines()
    assert out[0].startswith(f"{policy}:2:12: 错误 [E103] ")
    assert out[1] == "    2 | title: 评分办法: 2023 年"
    # 11 characters come before column 12, four of them Chinese: 15 cells
    assert out[2] == "      | " + " " * 15 + "^"
    assert out[2].index("^") - out[1].index("t") == cell_width("title: 评分办法")


def test_caret_after_chinese_key_in_a_fact_file(tmp_path: Path):
    facts = tmp_path / "facts.yaml"
    facts.write_text(GOOD_FACTS.replace("有绩效目标管理制度: false", "有绩效目标管理制度: 没有吧"), "utf-8")
    out = invoke("validate", facts).stderr.splitlines()
    assert out[0].startswith(f"{facts}:10:14: 错误 [E402] ")
    src, caret = out[1], out[2]
    assert src == "   10 |   有绩效目标管理制度: 没有吧"
    # the caret sits under 没, after 2 spaces, nine Chinese characters, a colon and a space
    assert caret == "      | " + " " * (2 + 18 + 2) + "^"


def test_render_directly():
    p = Problem("E301", "指标 YS 分值为 10，但下级指标分值之和为 8。", "YS has 10 points but its children add up to 8",
                "policy.yaml", 16, 13, "$.indicators[0].points", source_line="    points: 10\n")
    assert render(p).splitlines() == [
        "policy.yaml:16:13: 错误 [E301] 指标 YS 分值为 10，但下级指标分值之和为 8。",
        "   16 |     points: 10",
        "      |             ^",
        "  位置: $.indicators[0].points",
        f"  提示: {CODES['E301'][2]}",
        "  说明: perfrules explain E301",
    ]
    assert render(p, "en").splitlines()[0] == "policy.yaml:16:13: error [E301] YS has 10 points but its children add up to 8"
    assert render(p, "en").splitlines()[3:5] == ["  path: $.indicators[0].points", f"  hint: {CODES['E301'][3]}"]


def test_a_very_long_line_is_shown_as_a_window_with_the_caret_in_it():
    line = "title: " + "长" * 500 + ": 值"
    p = Problem("E103", "x", "x", "p.yaml", 2, line.index(": 值") + 1, source_line=line)
    shown, caret = render(p).splitlines()[1:3]
    assert len(shown) < 200 and shown.startswith("    2 | ...") and shown.endswith(": 值")
    text = shown[len("    2 | "):]
    assert caret.index("^") - len("      | ") == cell_width(text[: text.index(": 值")])   # under the colon


def test_no_caret_without_a_line(tmp_path: Path):
    out = invoke("validate", tmp_path / "不存在.yaml").stderr.splitlines()
    assert out[0] == f"{tmp_path / '不存在.yaml'}: 错误 [E101] 找不到文件或无法读取：{tmp_path / '不存在.yaml'}"
    assert not any(line.strip().startswith("|") for line in out)
    assert out[1:] == ["  位置: $", f"  提示: {CODES['E101'][2]}", "  说明: perfrules explain E101"]


# ---- what the message holds ------------------------------------------------------------

def test_path_hint_and_page(three: Path):
    err = invoke("validate", three).stderr
    lines = err.splitlines()
    assert lines[0] == f"{three}:5:3: 错误 [E403] 评分办法 guangzhou/panyu/2023 没有声明事实“全年预算额”。"
    assert "  位置: $.facts.全年预算额" in lines
    assert "  提示: 是否想写“全年预算数”？" in lines            # a did-you-mean hint, on one line
    assert "  说明: perfrules explain E403" in lines
    hints = [x for x in lines if x.startswith("  提示: ")]
    assert len(hints) == 1 and "\n" not in hints[0]


def test_most_relevant_first_then_the_count(three: Path):
    err = invoke("validate", three).stderr.splitlines()
    assert "[E403]" in err[0]                                   # the typo, the cause of the rest
    assert err[-1] == "还有 2 个错误，使用 --verbose 查看全部。"
    assert sum("错误 [" in x for x in err) == 1


def test_verbose_shows_every_problem(three: Path):
    err = invoke("validate", three, "--verbose").stderr
    heads = [x for x in err.splitlines() if ": 错误 [" in x]
    assert [h.split("[")[1][:4] for h in heads] == ["E403", "E401", "E402"]
    assert "还有" not in err
    assert heads[1].startswith(f"{three}:4:1: ")                # E401 points at facts:
    assert heads[2].startswith(f"{three}:10:14: ")


def test_english(three: Path):
    result = invoke("validate", three, "--lang", "en")
    lines = result.stderr.splitlines()
    assert lines[0] == f"{three}:5:3: error [E403] policy guangzhou/panyu/2023 declares no fact '全年预算额'"
    assert "  hint: Did you mean '全年预算数'?" in lines
    assert lines[-1] == "2 more error(s); use --verbose to see all."


def test_each_file_gets_its_own_first_problem(three: Path, tmp_path: Path):
    other = tmp_path / "other.yaml"
    other.write_text(GOOD_FACTS.replace("year: 2023", "year: 2022"), "utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_FACTS, "utf-8")
    result = invoke("validate", three, other, good)
    assert result.exit_code == 2
    assert f"{good}: 通过" in result.stdout
    heads = [x for x in result.stderr.splitlines() if ": 错误 [" in x]
    assert heads[0].startswith(f"{three}:5:3: 错误 [E403]") and heads[1].startswith(f"{other}:3:7: 错误 [E204]")


# ---- problems as data --------------------------------------------------------------------

def test_validate_json(three: Path):
    result = invoke("validate", three, "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    problems = data["files"][0]["problems"]
    assert [p["code"] for p in problems] == ["E403", "E401", "E402"]
    first = problems[0]
    assert first == {"code": "E403", "title": CODES["E403"][0], "message": "评分办法 guangzhou/panyu/2023 没有声明事实“全年预算额”。",
                     "file": str(three), "line": 5, "col": 3, "path": "$.facts.全年预算额",
                     "hint": "是否想写“全年预算数”？", "doc": "perfrules explain E403"}
    en = json.loads(invoke("validate", three, "--format", "json", "--lang", "en").stdout)
    assert en["files"][0]["problems"][0]["title"] == CODES["E403"][1]
    assert en["files"][0]["problems"][0]["hint"] == "Did you mean '全年预算数'?"


def test_evaluate_json_problems_go_to_stderr_and_nothing_is_written(three: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    result = invoke("evaluate", three, "--format", "json", "--output", out)
    assert result.exit_code == 2 and result.stdout == "" and not out.exists()
    data = json.loads(result.stderr)
    assert data["ok"] is False and [p["code"] for p in data["problems"]] == ["E403", "E401", "E402"]


def test_output_folder_missing_is_e601_in_the_asked_language(tmp_path: Path):
    target = tmp_path / "没有这个文件夹" / "结果.txt"
    zh = invoke("evaluate", PANYU_FACTS, "--output", target)
    assert zh.exit_code == 2 and "错误 [E601] 输出目录不存在" in zh.stderr
    en = invoke("evaluate", PANYU_FACTS, "--output", target.with_suffix(".json"), "--lang", "en", "--format", "json")
    assert en.exit_code == 2 and json.loads(en.stderr)["problems"][0]["code"] == "E601"
    assert not target.parent.exists()


def test_the_real_command_exits_2_without_a_traceback(three: Path, tmp_path: Path):
    """The installed entry point (python -m perfrules), not just the typer app."""
    out = tmp_path / "out.txt"
    proc = subprocess.run([sys.executable, "-m", "perfrules", "evaluate", str(three), "--output", str(out)],
                          capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"{three}:5:3: 错误 [E403] ")
    assert "还有 2 个错误" in proc.stderr and not out.exists()
