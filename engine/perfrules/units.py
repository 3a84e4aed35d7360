"""Policy constants checked against the type of what they are compared with (E316).

A number a policy writes next to a fact means what the fact means: against a percent fact it
must carry its % (a bare `limit: 100` meant 100% but is read as 10000%; `unit: 1` meant one
percentage point but is read as 100 of them), and a % against an amount or a count means
nothing. 0 is the same in every unit, so it may be written bare. Checked: fact min/max,
per_unit limit and unit, proportional full_at, interval edges (bands, per_item, manual
tiers), and the numbers that comparisons and min()/max() in formulas and conditions set
beside a percent fact. Each problem names the fix (`100%`). Nothing here changes a value:
it only says which constants are written in a form their fact does not take.
"""
from __future__ import annotations

import ast
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Mapping

from . import formula_text
from .intervals import fmt

Problem2 = tuple[str, str]           # (中文, English)

_PERCENT_TEXT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
_EDGE = re.compile(r"(?<![\w.])[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*%?")
_NO_PERCENT = ("money", "count")      # types a % never fits (number may hold a percentage)


def fix(value: Decimal) -> tuple[str, str]:
    """The percent a bare number most likely meant, and the other reading: 100 -> 100%
    (or 10000%), 1 -> 1% (or 100%), 0.9 -> 90% (or 0.9%)."""
    as_is, scaled = f"{fmt(value)}%", f"{fmt(value * 100)}%"
    return (as_is, scaled) if abs(value) >= 1 else (scaled, as_is)


def bare_problem(what: str, what_en: str, value: Decimal, fact: str, fact_en: str = "") -> Problem2:
    likely, other = fix(value)
    return (f"{what} 写的是不带 % 的 {fmt(value)}，但“{fact}”是百分比：若指 {likely} 就写 {likely}，若指 {other} 就写 {other}。",
            f"{what_en} is a bare {fmt(value)} but '{fact_en or fact}' is a percent: write {likely} if that is meant, or {other}")


def percent_problem(what: str, what_en: str, written: str, fact: str, fact_type: str) -> Problem2:
    kind, kind_en = ("金额", "an amount") if fact_type == "money" else ("个数", "a count")
    return (f"{what} 写的是百分比 {written}，但“{fact}”是{kind}：请去掉 %，写成与“{fact}”同单位的数。",
            f"{what_en} is the percent {written} but '{fact}' is {kind_en}: write a number in its unit, without %")


def constant(raw: object, fact: str, fact_type: str, what: str, what_en: str, fact_en: str = "") -> Problem2 | None:
    """A constant written in the policy (a YAML number, or text such as "90%") against a fact."""
    text = unicodedata.normalize("NFKC", raw).strip() if isinstance(raw, str) else None
    if text is not None and text.endswith("%"):
        return percent_problem(what, what_en, text, fact, fact_type) if fact_type in _NO_PERCENT else None
    if fact_type != "percent":
        return None
    try:
        value = Decimal(text if text is not None else str(raw))
    except (InvalidOperation, ValueError):
        return None                    # not a number at all: the caller's own check says so
    return bare_problem(what, what_en, value, fact, fact_en) if value != 0 else None


def interval(text: str, fact: str, fact_type: str, what: str, what_en: str, fact_en: str = "") -> Problem2 | None:
    """Every edge of an interval ("[90%, +inf)", "< 0.6") against the fact it bands."""
    for m in _EDGE.finditer(unicodedata.normalize("NFKC", text)):
        problem = constant(m.group(0).replace(" ", ""), fact, fact_type, what, what_en, fact_en)
        if problem:
            return problem
    return None


def formula(text: str, types: Mapping[str, str]) -> Problem2 | None:
    """The first number a comparison or min()/max() in a formula or condition sets beside a
    fact (`types`: fact key -> declared type) in a form that fact does not take."""
    try:
        tree = ast.parse(_marked(text), mode="eval")
    except (SyntaxError, ValueError, formula_text.UnclosedQuote, RecursionError):
        return None                    # the real parse reports it
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            operands = list(node.args)
        else:
            continue
        problem = _operands(operands, types)
        if problem:
            return problem
    return None


def _operands(operands: list[ast.expr], types: Mapping[str, str]) -> Problem2 | None:
    facts = [(o.id, types[o.id]) for o in operands if isinstance(o, ast.Name) and o.id in types]
    for key, kind in facts:
        for o in operands:
            written = _written(o)
            if written is None:
                continue
            value, is_percent = written
            if is_percent and kind in _NO_PERCENT:
                return percent_problem("与之比较的常数", "the constant compared with it", f"{fmt(value * 100)}%", key, kind)
            if not is_percent and kind == "percent" and value != 0:
                return bare_problem("与之比较的常数", "the constant compared with it", value, key)
    return None


def _written(node: ast.expr) -> tuple[Decimal, bool] | None:
    """(value, written with %) for a number literal, signed or not; None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1 if isinstance(node.op, ast.USub) else 1), node.operand
    is_percent = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == _MARK
    if is_percent:
        assert isinstance(node, ast.Call)
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return Decimal(str(node.value)) * sign / (100 if is_percent else 1), is_percent
    return None


_MARK = "_percent_"


def _marked(text: str) -> str:
    """The formula as Python, with each `90%` kept visible as `_percent_(90)` (the real parse
    makes it 0.90, which no longer says how it was written); literals blanked."""
    out = []
    for is_literal, piece in formula_text.pieces(text):
        if is_literal:
            out.append('""')
        else:
            code = unicodedata.normalize("NFKC", piece).translate(formula_text.SYMBOLS)
            out.append(_PERCENT_TEXT.sub(lambda m: f"{_MARK}({m.group(1)})", code))
    return "".join(out)
