"""Every input the score used is on the report (issue 9 §3): per leaf, the facts read with
their units, as the fact file wrote them where that reads otherwise, each derived value with
its formula and the facts it came from, the records that deducted, and the statements that
deduct nothing (按100%计), in the text, Markdown and JSON reports alike."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import EXAMPLES
from perfrules.cli import app

NATIONAL = str(EXAMPLES / "national-project-2024.yaml")


def _out(*args: str) -> str:
    result = CliRunner().invoke(app, ["evaluate", NATIONAL, *args])
    assert result.exit_code == 0, result.stdout
    return result.stdout


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end)]


def test_the_text_report_shows_each_leafs_inputs_as_read():
    facts = _section(_out(), "计分所用事实：", "自评得分：")
    for line in ["  YS-01 预算执行率",
                 "    预算执行率 = 94.05%（全年执行数 ÷ 全年预算数）",            # derived: its value and formula,
                 "      全年执行数 = 112.86万元（填报“1,128,600元”）",           # then its inputs, with the unit
                 "      全年预算数 = 120万元",                                    # and the text the file wrote
                 "      实际培训期数 = 10（填报“１０”）",
                 "    合格率完成率 = 103.333333…%（实际合格率 / 目标合格率）",     # … : more digits than shown
                 "    注：合格率完成率103.33%，按100%计",                          # over 100%: stated, not silent
                 "      · 班次 第四期，逾期天数 5"]:                               # a record that deducted
        assert line + "\n" in facts, line


def test_the_english_text_and_markdown_reports_show_them_too():
    en = _section(_out("--lang", "en"), "Facts used:", "Score: ")
    assert "      全年执行数 = 112.86 (×10,000 yuan) (written “1,128,600元”)\n" in en
    assert "    Note: 合格率完成率 103.33%, counted as 100%\n" in en
    md = _section(_out("-f", "markdown"), "## 计分所用事实", "## 自评结论")
    assert "- **YS-01 预算执行率**\n  - 预算执行率 = 94.05%（全年执行数 ÷ 全年预算数）\n    - 全年执行数 = 112.86万元（填报“1,128,600元”）\n" in md


def test_the_json_report_carries_exact_values_types_and_sources():
    data = json.loads(_out("-f", "json"))
    def walk(nodes):
        for n in nodes:
            yield from walk(n["children"]) if "children" in n else [n]
    leaves = {leaf["id"]: leaf for leaf in walk(data["indicators"])}
    assert leaves["YS-01"]["facts_read"] == [
        {"key": "预算执行率", "type": "percent", "value": "0.9405", "source": "derived", "shown": "94.05%",
         "formula": "全年执行数 ÷ 全年预算数"},
        {"key": "全年执行数", "type": "money", "value": "112.86", "source": "given", "shown": "112.86万元", "written": "1,128,600元"},
        {"key": "全年预算数", "type": "money", "value": "120", "source": "given", "shown": "120万元"}]
    cc03 = leaves["CC-03"]
    assert cc03["notes"] == ["合格率完成率103.33%，按100%计"]
    assert cc03["facts_read"][0]["value"] == "1.033333333333333333333333333"      # every digit the score used
    assert cc03["facts_used"] == {"合格率完成率": "1.033333333333333333333333333"}    # the old field, unchanged in shape
    assert "notes" not in leaves["YS-01"]
