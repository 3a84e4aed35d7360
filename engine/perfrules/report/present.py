"""What every reporter shares: how amounts, names, reasons and ordinals are shown, and how a
report's text or JSON becomes bytes.

Reporters never import one another; whatever two of them show the same way lives here, so
the text table, the Markdown table and the JSON agree on every amount and name.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import expr
from ..problems import cell_width

if TYPE_CHECKING:
    from ..model import Policy
    from ..score import IndicatorResult, Result

ORDINALS = "一二三四五六七八九十"
CONFIDENCE = {"zh": {"confirmed": "已核实", "inferred": "推算", "provisional": "暂定"},
              "en": {"confirmed": "confirmed", "inferred": "inferred", "provisional": "provisional"}}


@lru_cache(maxsize=8192)        # a batch formats the same few hundred amounts over and over
def money(x: Decimal) -> str:
    return format(expr.round2(x), "f")


_AS_THEY_ARE = frozenset((str, int, bool, type(None)))


def plain(value):
    """Fact values as JSON: exact decimals as strings, the rest as they are."""
    if type(value) in _AS_THEY_ARE:     # most values of a row: no isinstance chain
        return value
    if isinstance(value, Decimal):
        return expr.fmt(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# Text a department or a policy wrote, as a text or Markdown report shows it: it cannot break
# a line (newline, tab, U+2028 become a space) nor drive the terminal (ESC and every other C0/C1
# control, and the bidi overrides that reorder what is shown, become U+FFFD). Done here, where
# reports are drawn, not when facts are read: the JSON report and the reasons' data keep the
# exact text (JSON escapes it), and one table serves every reporter. name, title and
# reason_text stay exact (the JSON report uses them); the text and Markdown reporters wrap them.
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"
_SHOWN = {**{c: "\ufffd" for c in [*range(0x20), *range(0x7f, 0xa0), *range(0x202a, 0x202f), *range(0x2066, 0x206a)]},
          **{ord(c): " " for c in _BREAKS}}


_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_SHOWN)) + "]")   # what _SHOWN changes


def shown(text: object) -> str:
    """User text made safe to print on one line of a text or Markdown report."""
    text = str(text)
    # str.translate looks up every character of a Chinese text in the table; most texts need
    # nothing, and a search that finds nothing is several times cheaper
    return text.translate(_SHOWN) if _UNSAFE.search(text) else text


def name(ind, lang: str) -> str:
    """An indicator's (or grade's) name in the language asked for; Chinese when it has no English."""
    return (ind.name_en or ind.name) if lang == "en" else ind.name


def title(policy, lang: str) -> str:
    return (policy.title_en or policy.title) if lang == "en" else policy.title


def reason_text(node: IndicatorResult, lang: str) -> str:
    return "；".join(node.reasons) if lang == "zh" else "; ".join(node.reasons_en)


def ordinal(n: int) -> str:
    """Chinese ordinals for the 自评结论 (第一，第二…): 1 -> 一, 12 -> 十二, 20 -> 二十.
    English text counts (1), (2) instead; this is never used for it."""
    if n <= 10:
        return ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return (ORDINALS[tens - 1] if tens > 1 else "") + "十" + (ORDINALS[ones - 1] if ones else "")


def pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal cells (CJK characters take two)."""
    return text + " " * max(width - cell_width(text), 0)


def lpad(text: str, width: int) -> str:
    return " " * max(width - cell_width(text), 0) + text


def conclusion(result: Result, lang: str = "zh") -> str:
    """The 自评结论 paragraph, written the way the self-evaluation reports write it; a 认定
    is said in it: the score the rules give, and each leaf the 认定 spared a deduction."""
    dept = result.department
    who = shown(dept.project or dept.short_name or dept.name)
    year = shown(dept.year if dept.year is not None else result.policy.year)
    full, score = expr.fmt(result.policy.full_score), expr.fmt(result.score)
    ded = result.deductions
    judged = result.overridden
    if lang == "en":
        head = f"{who}: {shown(result.policy.subject_en)} for {year}, full score {full}, self-assessed score {score}"
        if judged:
            head += f" ({expr.fmt(result.rules_total)} by the rules; {len(judged)} indicator score(s) set by override)"
        if not ded:
            return head + ", with no deductions." + _spared(result, lang)
        parts = [f"({i}) {shown(reason_text(d, 'en'))}" for i, d in enumerate(ded, 1)]
        return head + ". Points were deducted because: " + "; ".join(parts) + "." + _spared(result, lang)
    head = f"{who}{year}年度{shown(result.policy.subject)}总分{full}分，自评得分为{score}分"
    if judged:
        head += f"（按评分规则计算为{expr.fmt(result.rules_total)}分，其中{len(judged)}项指标的得分经认定）"
    if not ded:
        return head + "，无扣分。" + _spared(result, lang)
    parts = [f"第{ordinal(i)}，{shown(reason_text(d, 'zh'))}" for i, d in enumerate(ded, 1)]
    return head + "，扣分原因主要是：" + "；".join(parts) + "。" + _spared(result, lang)


def _spared(result: Result, lang: str) -> str:
    """The leaves a 认定 brought to no deduction (the others say theirs among the deductions)."""
    spared = [n for n in result.overridden if n.deduction == 0]
    if not spared:
        return ""
    if lang == "en":
        return " Not deducted by override: " + "; ".join(
            f"{shown(n.indicator.id)} {shown(name(n.indicator, lang))} ({shown(reason_text(n, lang))})" for n in spared) + "."
    return "经认定不扣分的指标：" + "；".join(
        f"{shown(n.indicator.id)}{shown(n.indicator.name)}（{shown(reason_text(n, lang))}）" for n in spared) + "。"


def judged_line(result: Result, lang: str) -> str:
    """One line under a report's total when a 认定 changed it ('' otherwise)."""
    judged = result.overridden
    if not judged:
        return ""
    ids = "、".join(shown(n.indicator.id) for n in judged)
    if lang == "en":
        return (f"By the rules alone: {money(result.rules_total)}; {len(judged)} override(s) ({ids.replace('、', ', ')}) "
                f"give {money(result.score)}.")
    return f"按评分规则计算：{money(result.rules_total)} 分；认定 {len(judged)} 项（{ids}），认定后 {money(result.score)} 分。"


def unit_line(result: Result, lang: str) -> str:
    """Who was evaluated: the department, or the project and the department that runs it."""
    dept = result.department
    year = shown(dept.year if dept.year is not None else result.policy.year)
    if lang == "en":
        if dept.project:
            return f"Project: {shown(dept.project)}   Unit: {shown(dept.name)}   Year: {year}"
        return f"Department: {shown(dept.name)}   Year: {year}"
    if dept.project:
        return f"项目：{shown(dept.project)}　单位：{shown(dept.name)}　年度：{year}"
    return f"部门：{shown(dept.name)}　年度：{year}"


def encode(text: str) -> bytes:
    """UTF-8, whatever the terminal's locale. A file name that was not UTF-8 on disk reaches us
    with surrogate escapes and goes out as its own bytes; any other lone surrogate (only a
    caller's str can hold one) is written as \\udXXX rather than failing the whole report."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


SEPARATOR = "\n" + "=" * 60 + "\n\n"


def dump_results(stream: BinaryIO, reports: list[str]) -> None:
    """Several departments' text or Markdown reports one after another, a line of = between."""
    stream.write(encode(SEPARATOR.join(reports)))


def dump_lines(stream: BinaryIO, lines: list[str]) -> None:
    """Lines of text, each ending in a newline (an empty list writes nothing)."""
    stream.write(encode("".join(line + "\n" for line in lines)))


def dump_json(stream: BinaryIO, data: Any) -> None:
    """Indented, non-ASCII kept as it is (Chinese stays readable), one newline at the end."""
    stream.write(encode(json.dumps(data, ensure_ascii=False, indent=2) + "\n"))


def policy_ref(p: "Policy", lang: str) -> str:
    """How a report names its policy: the id, or for a policy chosen by path, the path and the
    start of its sha256 (never an official-looking id)."""
    if p.official:
        return p.id
    return f"{p.id}，sha256 {p.sha256[:12]}" if lang == "zh" else f"{p.id}, sha256 {p.sha256[:12]}"


def notes(result: Result, lang: str = "zh") -> list[str]:
    """The warnings a text or Markdown report prints under 提示 / Notes: one line each, located."""
    return [f"{shown(n.where())}: [{n.code}] {shown(n.text(lang))}" for n in result.warnings]
