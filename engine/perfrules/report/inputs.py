"""Every input a leaf's score used, as the reports show it (issue 9: a misread value is visible
on paper).

For each leaf: the facts its method reads, then, for each derived one, the facts its formula
reads (and theirs), each with its type's unit (98.83%, 690.47万元), as the fact file wrote it
where that differs (“6,823,700元”), the formula of a derived fact, and the records of a list
that deducted. Shown numbers are exact up to six places and marked “…” beyond, never rounded
silently; the JSON report carries every digit. The text, Markdown and JSON reporters all
draw from `leaf_inputs`, so they agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import expr, template
from .present import plain, shown

if TYPE_CHECKING:
    from ..model import Department, FactDecl, Policy
    from ..score import IndicatorResult, Result



@dataclass(frozen=True)
class Input:
    key: str
    type: str
    value: object                # exact: Decimal, bool, str, list of texts or of records
    source: str                  # given | default | derived
    written: object = None       # as the fact file wrote it (given facts only)
    formula: str = ""            # derived facts: the formula as the policy wrote it
    depth: int = 0               # 0: the method reads it; 1 and more: a formula above reads it


UNITS = {"zh": {"percent": "%", "money": "万元"}, "en": {"percent": "%", "money": " (×10,000 yuan)"}}


_NUMBERS: dict[tuple[str, str, str], str] = {}     # (str(value), type, lang) -> number(): half recur in a batch


def number(value: Decimal, type_: str, lang: str = "zh") -> str:
    """A number with its type's unit, exact to six places and marked … beyond (never a silent rounding)."""
    key = (str(value), type_, lang)     # str: the exact Decimal (a Decimal key would take -0 for 0)
    text = _NUMBERS.get(key)
    if text is None:
        if len(_NUMBERS) >= 8192:       # bounded: a batch's memory stays flat
            _NUMBERS.clear()
        text = _NUMBERS[key] = _number(value, type_, lang)
    return text


def _number(value: Decimal, type_: str, lang: str) -> str:
    x = expr.shift(value, 2) if type_ == "percent" else value
    shown = template.rounded(x, 6) if x != x.to_integral_value() else x
    text = expr.fmt(shown) + ("…" if shown != x else "")
    return text + UNITS[lang].get(type_, "")


def show(value: object, type_: str, lang: str) -> str:
    if isinstance(value, Decimal):
        return number(value, type_, lang)
    if type_ == "list" and isinstance(value, list):
        return f"{len(value)}条记录计扣" if lang == "zh" else f"{len(value)} record(s) deducted"
    return template.show(value, "、" if type_ == "texts" else "", lang)


def leaf_inputs(result: Result, node: IndicatorResult) -> list[Input]:
    """The inputs of one leaf, the method's own first, each derived fact followed by its sources."""
    policy, dept = result.policy, result.department
    out: list[Input] = []
    seen: set[str] = set()
    for first in node.facts_used:
        for key, depth, decl in sources(policy, first):
            if key in seen:     # and so, already, is every fact its formula reads
                continue
            seen.add(key)
            value = node.facts_used[key] if key in node.facts_used else dept.values.get(key)
            out.append(input_of(dept, key, value, decl, depth))
    return out


def input_of(dept: Department, key: str, value: object, decl: FactDecl, depth: int = 0) -> Input:
    """One input as read: derived by its formula, given by the fact file, or the default."""
    if decl.formula is not None:
        return Input(key, decl.type, value, "derived", formula=decl.formula.text, depth=depth)
    if key in dept.written:
        return Input(key, decl.type, value, "given", dept.written[key], depth=depth)
    return Input(key, decl.type, value, "default", depth=depth)


@lru_cache(maxsize=4096)
def sources(policy: Policy, key: str) -> tuple[tuple[str, int, FactDecl], ...]:
    """(fact, depth, declaration): the fact, then, if it is derived, the facts its formula reads
    and theirs, depth first, as the policy declares them (worked out once per policy and fact,
    not for every leaf of every department). A fact the policy does not declare: nothing."""
    decl = policy.facts.get(key)
    if decl is None:
        return ()
    out = [(key, 0, decl)]
    for name in decl.formula.names if decl.formula is not None else ():
        out += [(k, depth + 1, d) for k, depth, d in sources(policy, name)]
    return tuple(out)


def record_text(policy: Policy, list_key: str, record: dict[str, object], lang: str) -> str:
    """One list record as a line: 名称 培训参加人数，目标值 200，实际值 185，差距率 7.5%（计算）."""
    decl = policy.facts.get(list_key)
    fields: dict[str, FactDecl] = dict(decl.fields) if decl is not None else {}
    sep, derived = ("，", "（计算）") if lang == "zh" else (", ", " (computed)")
    parts = []
    for k, v in record.items():
        f = fields.get(k)
        t = f.type if f is not None else "number"
        parts.append(f"{k} {show(v, t, lang)}" + (derived if f is not None and f.formula is not None else ""))
    return sep.join(parts)


def lines(result: Result, node: IndicatorResult, lang: str) -> list[str]:
    """The text lines of one leaf's inputs (text and Markdown reports): key, value with its unit,
    formula or how it was obtained, as written; a list's deducting records one per line."""
    zh = lang == "zh"
    out = []
    for inp in leaf_inputs(result, node):
        pad = "  " * inp.depth
        text = f"{pad}{shown(inp.key)} = {shown(show(inp.value, inp.type, lang))}"
        if inp.formula:
            text += f"（{shown(inp.formula)}）" if zh else f" ({shown(inp.formula)})"
        elif inp.source == "default":
            text += "（默认值）" if zh else " (default)"
        elif _differs(inp):
            text += f"（填报“{shown(plain(inp.written))}”）" if zh else f" (written “{shown(plain(inp.written))}”)"
        out.append(text)
        if inp.type == "list" and isinstance(inp.value, list):
            out += [f"{pad}  · {shown(record_text(result.policy, inp.key, r, lang))}" for r in inp.value if isinstance(r, dict)]
    return out + [f"注：{shown(n)}" if zh else f"Note: {shown(n)}" for n in node.note_texts(lang)]


def _differs(inp: Input, shown_zh: str | None = None) -> bool:
    """Whether the value as written reads otherwise than as shown (0.9883 for 98.83%, 6,823,700元
    for 682.37万元): then both are printed. A yes/no, a list or the same text is not repeated.
    shown_zh: the value as shown in Chinese, if the caller has it already."""
    w = inp.written
    if w is None or isinstance(w, (bool, list, dict)) or inp.type == "list":
        return False
    return str(plain(w)) != (show(inp.value, inp.type, "zh") if shown_zh is None else shown_zh)


AFRESH = object()      # as_json's `value` when the caller has not made it already


def as_json(inp: Input, lang: str = "zh", value: object = AFRESH) -> dict[str, object]:
    """One input in the JSON report: exact value (Decimal as text), type, how it was shown and
    obtained. value: plain(inp.value), if the caller has it already."""
    out: dict[str, object] = {"key": inp.key, "type": inp.type, "value": plain(inp.value) if value is AFRESH else value,
                              "source": inp.source}
    shown_zh: str | None = None      # what _differs compares with, when this is it
    if isinstance(inp.value, Decimal):
        shown = out["shown"] = number(inp.value, inp.type, lang)
        shown_zh = shown if lang == "zh" else None
    if _differs(inp, shown_zh):
        out["written"] = plain(inp.written)
    if inp.formula:
        out["formula"] = inp.formula
    return out


def measured(result: Result, node: IndicatorResult, lang: str = "zh") -> list[str]:
    """A leaf's 目标值/实际值 for the docx and HTML score tables, where its method has them: a
    list method's deducting records, each as its label and the numbers the fact file gave for
    it (目标值 200，实际值 185); a rate's actual value (实际值 98.83%, to two places as the
    self-evaluation reports print it). Other methods (counts, checklists) have none: []."""
    out = []
    for inp in leaf_inputs(result, node):
        if inp.depth == 0 and inp.type == "percent" and isinstance(inp.value, Decimal):
            out.append(("实际值 " if lang == "zh" else "actual ") + format(expr.round2(expr.shift(inp.value, 2)), "f") + "%")
        elif inp.depth == 0 and inp.type == "list" and isinstance(inp.value, list):
            out += [_record_numbers(result.policy, inp.key, r, lang) for r in inp.value if isinstance(r, dict)]
    return out


def _record_numbers(policy: Policy, list_key: str, record: dict[str, object], lang: str) -> str:
    """名称：目标值 200，实际值 185 — the record's first text field, then its given numbers."""
    decl = policy.facts.get(list_key)
    fields = dict(decl.fields) if decl is not None else {}
    label = next((str(v) for k, v in record.items() if k in fields and fields[k].type == "text"), "")
    numbers = [f"{k} {show(v, fields[k].type, lang)}" for k, v in record.items()
               if k in fields and isinstance(v, Decimal) and fields[k].formula is None]
    sep = "，" if lang == "zh" else ", "
    return (f"{label}{'：' if lang == 'zh' else ': '}" if label else "") + sep.join(numbers)
