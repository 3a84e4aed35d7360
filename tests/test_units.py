"""Units and types (issue 9): a % or a money unit is never silently dropped or invented.

Fact files: a bare number in a percent fact (but 0), a % in an amount or a count, two values
read together written in different forms are refused (E404); an amount in another unit is
converted and noted (W101), an implausible one is noted (W102), and the notes reach every
report and the batch summary. Policies: constants compared with a percent fact carry their %
(E316); E307 shows percent gaps at the band beside them; `version: 1` is told to add quotes.
Each case is the issue's own example or one of its kind, worked out by hand.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import PANYU_FACTS, ROOT
from perfrules import expr, service
from perfrules.cli import app
from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.problems import InputError
from perfrules.report.markdown import render_markdown
from perfrules.report.text import render_text
from test_methods import codes, policy, run, score

D = Decimal
runner = CliRunner()
PANYU = PANYU_FACTS.read_text("utf-8")


def panyu(**swap: str):
    """The Panyu example with some lines of its facts written otherwise (old => new)."""
    text = PANYU
    for old, new in swap.items():
        assert old in text
        text = text.replace(old, new)
    return load_text(text, "facts.yaml")


def evaluate(doc):
    return service.evaluate_document(doc)


def refused(doc) -> list:
    with pytest.raises(InputError) as exc:
        evaluate(doc)
    return exc.value.problems


# ---- fact files: the examples -----------------------------------------------------

def test_a_percent_in_an_amount_is_refused_not_read_as_0_9883_wan():
    (p, *_) = refused(panyu(**{"实际支出数: 682.37万元": "实际支出数: 98.83%"}))
    assert p.code == "E404" and p.line == 13 and "金额" in p.message


def test_a_bare_yuan_amount_beside_a_wan_amount_is_refused_at_the_second():
    (p, *_) = refused(panyu(**{"全年预算数: 690.47万元": "全年预算数: 6904700"}))
    assert (p.code, p.line) == ("E404", 13)          # 实际支出数, written after the bare 全年预算数
    assert "6904700" in p.message and "万元" in p.hint


def test_target_with_percent_and_actual_bare_in_one_record_is_refused():
    (p, *_) = refused(panyu(**{"目标值: 200, 实际值: 185": "目标值: 95%, 实际值: 90"}))
    assert (p.code, p.line) == ("E404", 18) and "实际值" in p.message and "95%" in p.message


@pytest.mark.parametrize("written", ["690，47万元", "690,47万元", "6,90,470元", "690 47万元", "690.4,7万元",
                                     "690,47", "1,000,", "690.47 5", "12.3 4万元"])
def test_a_comma_or_space_that_does_not_group_thousands_is_refused_not_dropped(written):
    """690，47 with a Chinese comma is not 69047 (it scored 87.10, silently): a comma or space
    in a number may only group its whole part by three; anything else is E402 with the fix."""
    (p, *_) = refused(panyu(**{"全年预算数: 690.47万元": f"全年预算数: {written}"}))
    assert (p.code, p.line) == ("E402", 12) and "千位分隔" in p.message and written.strip() in p.message


@pytest.mark.parametrize("budget, spent", [("6,904,700元", "6,823,700元"), ("６，９０４，７００元", "6 823 700 元"),
                                           ("690.47 万元", "682.37万元")])
def test_thousands_separators_and_spaces_around_a_unit_still_read(budget, spent):
    result = evaluate(panyu(**{"全年预算数: 690.47万元": f"全年预算数: {budget}", "实际支出数: 682.37万元": f"实际支出数: {spent}"}))
    assert result.score == D("96.88")


@pytest.mark.parametrize("target, actual", [("20000人次", "1.85万人次"), ("2万人次", "1.85万人次"), ("20000", "1.85万"),
                                            ("20000", "18.5千"), ("20000", "185百人次")])
def test_wan_or_yi_before_a_counting_word_is_a_magnitude_refused_with_the_whole_number(target, actual):
    """1.85万人次 is 18,500, not 1.85 (a 99.99% gap: 95.38 instead of 96.88, silently)."""
    problems = refused(panyu(**{"目标值: 200, 实际值: 185": f"目标值: {target}, 实际值: {actual}"}))
    p = problems[-1]
    assert (p.code, p.line) == ("E404", 18) and "数量级" in p.message and "18500" in p.message


@pytest.mark.parametrize("target, actual, ok", [("200人次", "185次", False), ("2千克", "1850克", False),
                                                ("200人次", "185人次", True), ("200", "185人次", True),
                                                ("200人次", "185", True)])
def test_two_values_read_together_with_different_counting_words_are_refused(target, actual, ok):
    """A counting word may be left out of one of them, but two different ones (人次 and 次, 千克
    and 克) cannot be compared: E404 at the second, naming both."""
    doc = panyu(**{"目标值: 200, 实际值: 185": f"目标值: {target}, 实际值: {actual}"})
    if ok:
        assert evaluate(doc).score == D("96.88")
        return
    (p, *_) = refused(doc)
    assert (p.code, p.line) == ("E404", 18) and "量词" in p.message and target in p.message and actual in p.message


def test_a_percent_or_an_amount_beyond_its_limits_is_told_in_its_own_form():
    """E407 speaks as the file writes: 105% beyond 100% (not 1.05 beyond 1), 0% below 0.0001%."""
    from conftest import EXAMPLES
    text = (EXAMPLES / "national-project-2024.yaml").read_text("utf-8")
    for old, new, said in (("实际合格率: 93%", "实际合格率: 105%", "不能大于 100%，实际是 105%"),
                           ("目标合格率: 90%", "目标合格率: 0%", "不能小于 0.0001%，实际是 0%")):
        (p, *_) = refused(load_text(text.replace(old, new), "n.yaml"))
        assert p.code == "E407" and said in p.message, p.message


THREE = """
- {key: 甲, type: number, required: true}
- {key: 乙, type: number, required: true}
- {key: 丙, type: number, required: true}
- {key: 丁, type: number, required: true}
- {key: 率, type: number, formula: (乙 + 丙 + 丁) / 甲}
"""
THREE_RATE = """
kind: proportional
rate: 率
reason: 比率{率:%}，扣{扣分}分
"""


@pytest.mark.parametrize("written, ok", [(("200人次", "185", "10", "5"), True), (("200", "185人次", "10人次", "5"), True),
                                         (("200", "185人次", "10", "5次"), False), (("200", "185", "10人", "5人次"), False),
                                         (("200人次", "185人", "10", "5"), True), (("200", "185", "0.01千人", "5"), False)])
def test_counting_words_of_values_added_together_agree_whatever_stands_between(written, ok):
    """乙 + 丙 + 丁: 185人次, 10, 5次 is 次 against 人次 though a bare 10 stands between; the
    divisor 甲 may count something else (200人次 ÷ 185人 is a ratio)."""
    from test_methods import policy as make_policy
    pol = make_policy(THREE, THREE_RATE)
    text = "department: 测试部门\nyear: 2023\nfacts:\n" + "".join(f"  {k}: {v}\n" for k, v in zip("甲乙丙丁", written))
    doc = load_text(text, "f.yaml")
    if ok:
        assert read_department(doc, pol).values["率"] == D(sum(int("".join(ch for ch in v if ch.isdigit())) for v in written[1:])) \
            / D(int("".join(ch for ch in written[0] if ch.isdigit())))
        return
    with pytest.raises(InputError) as exc:
        read_department(doc, pol)
    (p, *_) = exc.value.problems
    assert p.code == "E404", p


def test_a_zero_is_the_same_in_every_form():
    result = evaluate(panyu(**{"目标值: 200, 实际值: 185": "目标值: 95%, 实际值: 0"}))
    assert result.score == D("95.38")     # 培训参加人数 100% short: 2 in (20%, +inf) + 0.5 群团; 100 - 0.12 - 2.5 - 2


@pytest.mark.parametrize("written, readings", [
    ("1.5", ("1.5%", "150%")), ("1", ("1%", "100%")), ("0.9883", ("98.83%", "0.9883%")), ("'98.83'", ("98.83%", "9883%")),
])
def test_a_bare_number_in_a_percent_fact_names_both_readings(written, readings):
    pol = policy("- {key: 率, type: percent, required: true}", "kind: proportional\nrate: 率\nreason: 扣{扣分}分")
    with pytest.raises(InputError) as exc:
        run(pol, f"率: {written}")
    (p,) = exc.value.problems
    assert p.code == "E404" and all(r in p.message and r in p.message_en for r in readings)


def test_zero_may_be_bare_in_a_percent_fact():
    pol = policy("- {key: 率, type: percent, required: true}", "kind: proportional\nrate: 率\nreason: 扣{扣分}分")
    assert score(pol, "率: 0") == score(pol, "率: 0%") == D(0)


def test_a_percent_in_a_count_is_refused():
    pol = policy("- {key: 个数, type: count, default: 0}",
                 "kind: per_unit\nvalue: 个数\nlimit: 0\nunit: 1\ndeduct: 1\nreason: 扣{扣分}分")
    with pytest.raises(InputError) as exc:
        run(pol, "个数: 100%")
    assert codes(exc) == ["E404"]


# ---- money units and notes ----------------------------------------------------------------

def test_amounts_in_yuan_are_converted_and_the_report_says_so():
    result = evaluate(panyu(**{"690.47万元": "6,904,700元", "682.37万元": "6,823,700元"}))
    assert result.score == D("96.88")
    assert [(n.code, n.line) for n in result.warnings] == [("W101", 12), ("W101", 13)]
    assert "按 690.47万元 计" in result.warnings[0].message
    text = render_text(result)
    assert "\n提示：\n  facts.yaml:12:10: [W101] “全年预算数”写作 6,904,700元，按 690.47万元 计。\n" in text
    assert "## Notes" in render_markdown(result, "en")


def test_bare_yuan_amounts_score_the_same_but_are_noted_as_implausible():
    """Both bare and both in yuan: the ratio is unharmed (96.88), and the report says look."""
    result = evaluate(panyu(**{"690.47万元": "6904700", "682.37万元": "6823700"}))
    assert result.score == D("96.88")
    assert [n.code for n in result.warnings] == ["W102", "W102"]
    assert "按元填写" in result.warnings[0].message and "yuan" in result.warnings[0].message_en


def test_the_json_report_lists_warnings_as_its_schema_says(tmp_path: Path):
    result = evaluate(panyu(**{"690.47万元": "6904700", "682.37万元": "6823700"}))
    (tmp_path / "f.yaml").write_text(panyu_text("6904700", "6823700"), "utf-8")
    out = runner.invoke(app, ["evaluate", str(tmp_path / "f.yaml"), "-f", "json"])
    data = json.loads(out.stdout)
    schema = json.loads((ROOT / "schemas" / "result.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert [w["code"] for w in data["warnings"]] == [n.code for n in result.warnings] == ["W102", "W102"]


def panyu_text(budget: str, spent: str) -> str:
    return PANYU.replace("690.47万元", budget).replace("682.37万元", spent)


def test_a_report_without_notes_has_no_notes_section():
    result = evaluate(load_text(PANYU, "facts.yaml"))
    assert result.warnings == () and "提示：" not in render_text(result)


MONEY_POLICY = """
- {key: 预算, type: money, unit: 元, required: true, min: 0.01, plausible: [1000, 10000000]}
- {key: 支出, type: money, unit: 元, required: true}
- {key: 率, type: percent, formula: 支出 / 预算}
"""


def test_a_money_fact_declares_its_unit_and_its_plausible_range():
    pol = policy(MONEY_POLICY, "kind: proportional\nrate: 率\nreason: 扣{扣分}分")
    result, _ = run(pol, "预算: 69.047万元\n支出: 682370元")
    assert result.department.values["预算"] == D("690470")          # 69.047万元 in yuan, exactly
    assert [n.code for n in result.warnings] == ["W101"]
    assert score(pol, "预算: 690470\n支出: 682370") == D("9.88")
    result, _ = run(pol, "预算: 100\n支出: 99")                     # below its declared 1000 yuan
    assert [(n.code, "预算" in n.message) for n in result.warnings] == [("W102", True)]


def test_a_file_of_batch_counts_departments_with_notes(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(panyu_text("6,904,700元", "6,823,700元"), "utf-8")
    (tmp_path / "b.yaml").write_text(PANYU, "utf-8")
    out = runner.invoke(app, ["batch", str(tmp_path), "-o", str(tmp_path / "out.csv")])
    assert out.exit_code == 0, out.stdout
    assert "有提示的部门 1 个" in out.stdout + out.stderr


# ---- policies: constants against a percent fact (E316) ---------------------------------------

RATE = "- {key: 率, type: percent, required: true, min: 0}"


@pytest.mark.parametrize("method, fix", [
    ("kind: per_unit\nvalue: 率\nlimit: 100\nunit: 1%\ndirection: below\ndeduct: 1\nreason: r", "100%"),
    ("kind: per_unit\nvalue: 率\nlimit: 0\nunit: 1\ndeduct: 1\nreason: r", "1%"),
    ("kind: proportional\nrate: 率\nfull_at: 0.9\nreason: r", "90%"),
    ("kind: bands\nvalue: 率\nbands:\n  - {when: '[0.9, +inf)', score: 10}\n  - {when: '[0, 90%)', score: 0, reason: r}", "90%"),
    ("kind: deductions\nrules:\n  - {when: 率 < 60, deduct: 1, reason: r}", "60%"),
    ("kind: deductions\nrules:\n  - {when: '0.6 <= 率 < 80%', deduct: 1, reason: r}", "60%"),
])
def test_a_bare_constant_against_a_percent_fact_is_e316_naming_the_fix(method, fix):
    with pytest.raises(InputError) as exc:
        policy(RATE, method)
    (p,) = exc.value.problems
    assert p.code == "E316" and f"写 {fix}" in p.message and fix in p.message_en


@pytest.mark.parametrize("method", [
    "kind: per_unit\nvalue: 率\nlimit: 0\nunit: 1%\ndeduct: 1\nreason: r",
    "kind: deductions\nrules:\n  - {when: '60% <= 率 < 80% or 率 == 0', deduct: 1, reason: r}",
    "kind: bands\nvalue: 率\nbands:\n  - {when: '[90%, +inf)', score: 10}\n  - {when: '[0, 90%)', score: 0, reason: r}",
])
def test_constants_written_with_percent_or_zero_pass(method):
    policy(RATE, method)


def test_percent_min_max_formula_and_money_limits_are_checked():
    with pytest.raises(InputError) as exc:
        policy("- {key: 率, type: percent, required: true, max: 1}", "kind: proportional\nrate: 率\nreason: r")
    assert codes(exc) == ["E316"] and "100%" in exc.value.problems[0].message
    with pytest.raises(InputError) as exc:
        policy(RATE + "\n- {key: 计分率, type: percent, formula: 'min(率, 1)'}", "kind: proportional\nrate: 计分率\nreason: r")
    assert codes(exc) == ["E316"]
    with pytest.raises(InputError) as exc:
        policy("- {key: 额, type: money, default: 0}", "kind: per_unit\nvalue: 额\nlimit: 10%\nunit: 1\ndeduct: 1\nreason: r")
    assert codes(exc) == ["E316"] and "金额" in exc.value.problems[0].message
    assert policy(RATE.replace("min: 0", "min: 0, max: 100%"), "kind: proportional\nrate: 率\nreason: r").facts["率"].max == 1


# ---- E307 and the version hint ------------------------------------------------------------

@pytest.mark.parametrize("bands, gap, at", [
    (["[90%, +inf)", "[0, 80%)"], "[80%, 90%)", 0),          # the band starting after the gap
    (["[0, 80%)", "[80%, 90%)"], "[90%, +inf)", 1),          # a gap up to +inf: the band ending before it
    (["[10%, +inf)", "[0, 5%]"], "(5%, 10%)", 0),
])
def test_e307_shows_percent_gaps_at_the_band_beside_them(bands, gap, at):
    rows = "".join(f"\n  - {{when: '{b}', score: 0, reason: r}}" for b in bands)
    with pytest.raises(InputError) as exc:
        policy(RATE, "kind: bands\nvalue: 率\nbands:" + rows)
    (p,) = exc.value.problems
    assert p.code == "E307" and gap in p.message and p.path.endswith(f"bands[{at}].when")


def test_e307_on_a_number_keeps_plain_numbers():
    assert expr.gaps_located([expr.interval("[5, +inf)")], D(0)) == [("[0, 5)", 0)]


def test_version_as_a_number_is_told_to_add_quotes(tmp_path: Path):
    text = (ROOT / "rules" / "guangzhou" / "panyu" / "2023.yaml").read_text("utf-8").replace("version: 1.0.0", "version: 1")
    (tmp_path / "p.yaml").write_text(text, "utf-8")
    out = runner.invoke(app, ["validate", str(tmp_path / "p.yaml")])
    assert out.exit_code == 2 and '提示: 这里要写文字：给数字加上引号，写成 version: "1"。' in out.stdout + out.stderr


def test_read_department_carries_no_warnings_for_plain_wan():
    pol = service.policy("guangzhou/panyu/2023")
    assert read_department(load_text(PANYU, "f.yaml"), pol).warnings == ()


def test_a_required_list_given_empty_is_noted_on_the_report(tmp_path):
    """绩效指标: [] scores LZ-01 in full (nothing missed): never silently, the report says so."""
    from perfrules.service import evaluate_file
    text = PANYU_FACTS.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith("    - {名称")]
    f = tmp_path / "empty.yaml"
    f.write_text("\n".join(kept).replace("  绩效指标:", "  绩效指标: []") + "\n", encoding="utf-8")
    result = evaluate_file(f)
    (note,) = [n for n in result.warnings if n.code == "W103"]
    assert "绩效指标" in note.message and note.line == text.splitlines().index("  绩效指标:") + 1
    assert not [n for n in evaluate_file(PANYU_FACTS).warnings if n.code == "W103"]
