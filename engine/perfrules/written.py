"""How a fact file wrote its numbers: compared values in one form, conversions and implausible
amounts pointed out.

`values.py` reads one value; this module looks at values side by side. Two numbers that one
formula or one condition reads together (目标值 and 实际值 of a record, 实际支出数 and
全年预算数) must be written in the same form: both with % or neither, both with a money unit
or neither (E404 at the second); 0 is the same in every form. An amount written in another
unit than its fact's is converted exactly and the report says so (W101); an amount beyond
what is plausible for its unit (a bare 6904700 in a 万元 fact looks like 元) is a warning the
report shows (W102). The facts compared are worked out once per policy.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from . import expr
from .expr import Formula
from .load import Document
from .model import FactDecl, Holds, Policy
from .problems import Note, Problem
from .values import BARE, PERCENT, PLAUSIBLE_MAX, UNIT, form, written_unit

_COMPARED_TYPES = ("number", "money")    # the types two forms can be written in (percent always takes %)
_COUNTED = ("number", "count")            # the types a counting word may follow (185人次, 3项), each apart
_FORM_ZH = {PERCENT: "带 %", UNIT: "带金额单位", BARE: "不带 % 或单位"}
_FORM_EN = {PERCENT: "with %", UNIT: "with a money unit", BARE: "bare"}


@dataclass(frozen=True)
class _Scope:
    """One mapping of given values (the facts, or one list's records): the groups of its keys
    that are read together, those added, subtracted or compared with one another (alike: one
    counting word), and its money keys."""
    groups: tuple[tuple[str, ...], ...]
    alike: tuple[tuple[str, ...], ...]
    money: tuple[str, ...]
    required_lists: tuple[str, ...] = ()      # top level only: lists that W103 looks at


@lru_cache(maxsize=64)
def _scopes(policy: Policy) -> dict[str, _Scope]:
    """'' for the top-level facts, a list fact's key for its records."""
    conditions = [r.when.condition for r in policy.rules if isinstance(r.when, Holds)]
    top = _scope(policy.facts, conditions)
    out = {"": replace(top, required_lists=tuple(k for k, d in policy.facts.items() if d.type == "list" and d.required))}
    for key, decl in policy.inputs:
        if decl.type == "list":
            out[key] = _scope(decl.fields, [])
    return out


def _scope(decls: Mapping[str, FactDecl], conditions: Sequence[Formula]) -> _Scope:
    readers = [d.formula for d in decls.values() if d.formula is not None] + list(conditions)
    groups, alike = [], []
    for formula in readers:
        for t in _COMPARED_TYPES:
            group = tuple(n for n in formula.names if n in decls and not decls[n].derived and decls[n].type == t)
            if len(group) > 1:
                groups.append(group)
        for names in _alike(formula.tree):
            for t in _COUNTED:
                group = tuple(n for n in names if n in decls and not decls[n].derived and decls[n].type == t)
                if len(group) > 1:
                    alike.append(group)
    money = tuple(k for k, d in decls.items() if d.type == "money" and not d.derived)
    return _Scope(tuple(dict.fromkeys(groups)), tuple(dict.fromkeys(alike)), money)


def _alike(tree: ast.AST) -> list[tuple[str, ...]]:
    """The names a formula or condition adds, subtracts or compares with one another (目标值 −
    实际值, a < b): quantities of one kind, whose counting words must agree. A product or a
    quotient (人次 ÷ 人) is no such pair."""
    def terms(node: ast.AST) -> list[str]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return terms(node.left) + terms(node.right)
        if isinstance(node, ast.UnaryOp):
            return terms(node.operand)
        return [node.id] if isinstance(node, ast.Name) else []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            names = terms(node)
        elif isinstance(node, ast.Compare):
            names = [n for side in (node.left, *node.comparators) for n in terms(side)]
        else:
            continue
        if len(set(names)) > 1:
            out.append(tuple(dict.fromkeys(names)))
    return out


def form_problems(doc: Document, policy: Policy, given: Mapping[str, object], values: Mapping[str, object],
                  items: Mapping[str, list[dict[str, object]]]) -> list[Problem]:
    """E404 for each value written in another form than the first of the values read with it
    (`values`, `items`: as read, every value of the file readable)."""
    scopes = _scopes(policy)
    out = _mixed(doc, scopes[""], policy.facts, given, values, ("facts",), None)
    for key, scope in scopes.items():
        records = given.get(key) if key else None
        if (scope.groups or scope.alike) and isinstance(records, list):
            decl = policy.facts[key]
            for i, (rec, row) in enumerate(zip(records, items.get(key, []))):
                out += _mixed(doc, scope, decl.fields, rec, row, ("facts", key, i), (key, i))
    return out


def _one_form(group: tuple[str, ...], given: Mapping[str, object]) -> bool:
    """Every value of the group that is given written in one form (all bare, the common case,
    included), a counting word or none: nothing to say about it."""
    kinds = {_kind(form(given[k])) for k in group if k in given}
    return len(kinds) <= 1


def _one_word(group: tuple[str, ...], given: Mapping[str, object]) -> bool:
    """At most one counting word among the group's given values (a bare one may leave it out)."""
    words = {f for f in (form(given[k]) for k in group if k in given) if _is_word(f)}
    return len(words) <= 1


def _kind(f: str) -> str:
    """% or a money unit, or else bare: a counting word (人次) may be left out of a bare number."""
    return f if f in (PERCENT, UNIT) else BARE


def _is_word(f: str) -> bool:
    """A form that is a counting word (人次), not %, a money unit or bare."""
    return f not in (PERCENT, UNIT, BARE)


def _form_zh(f: str) -> str:
    return _FORM_ZH.get(f) or f"带量词“{f}”"


def _form_en(f: str) -> str:
    return _FORM_EN.get(f) or f"with the counting word '{f}'"


def _mixed(doc: Document, scope: _Scope, decls: Mapping[str, FactDecl], given: Mapping[str, object],
           values: Mapping[str, object], base: tuple, record: tuple[str, int] | None) -> list[Problem]:
    """record: (list fact, index) when `given` is one of its records, None for the facts. Each
    value against the first written of its group (% or a unit against none), and a counting
    word against the first counting word of the values it is added to, subtracted from or
    compared with (200人次, 185, 10次: 次 against 人次, whatever stands between them)."""
    out: list[Problem] = []
    done: set[str] = set()
    order: dict = {}

    def checked(groups, same, first_of) -> None:
        nonlocal order
        for group in groups:
            if same(group, given):
                continue
            present = [k for k in group if k in given and values.get(k) != 0]
            if len(present) < 2 or same(tuple(present), given):
                continue        # one form throughout (zeros aside), nothing to say
            order = order or {k: n for n, k in enumerate(given)}
            written = sorted(present, key=order.__getitem__)
            first = first_of(written)
            for key in written:
                f, f0 = form(given[key]), form(given[first])
                if key in done or key == first or same((key, first), given):
                    continue
                done.add(key)
                where = "" if record is None else f"“{record[0]}”第 {record[1] + 1} 项的"
                out.append(doc.problem(
                    "E404", base + (key,),
                    f"{where}“{key}”写作 {given[key]}（{_form_zh(f)}），与一起计算的“{first}”（{given[first]}，"
                    f"{_form_zh(f0)}）写法不同，含义不明确。",
                    f"'{key}' is written {_form_en(f)} ({given[key]}) but '{first}', read with it, {_form_en(f0)} "
                    f"({given[first]})", hint=_hint(decls[key], f, f0), hint_en=_hint_en(decls[key], f, f0)))

    checked(scope.groups, _one_form, lambda written: written[0])
    checked(scope.alike, _one_word, lambda written: next(k for k in written if _is_word(form(given[k]))))
    return out


def _hint(decl: FactDecl, f: str, f0: str) -> str:
    if decl.type == "money":
        return f"一起计算的金额都写明单位，如 690.47{decl.unit}、6,904,700元。"
    if _is_word(f) and _is_word(f0):
        return f"一起比较的两个数用同一个量词，换算后再写，如都写“{f0}”。"
    return "一起比较的两个数写法要一致：都带 %（如 95%、90%），或都不带。"


def _hint_en(decl: FactDecl, f: str, f0: str) -> str:
    if decl.type == "money":
        return f"Write every amount read together with its unit, e.g. 690.47{decl.unit} or 6,904,700元."
    if _is_word(f) and _is_word(f0):
        return f"Write numbers compared together with one counting word, converted first (both in '{f0}')."
    return "Write numbers compared together the same way: both with % (95%, 90%) or neither."


def notes(doc: Document, policy: Policy, given: Mapping[str, object], values: Mapping[str, object],
          items: Mapping[str, list[dict[str, object]]]) -> tuple[Note, ...]:
    """W101 for every amount converted from the unit it was written in, W102 for every amount
    beyond what its unit makes plausible, W103 for a required list given empty."""
    scopes = _scopes(policy)
    out = list(_amounts(doc, policy.facts, scopes[""].money, given, values, ("facts",), ""))
    out += _empty_lists(doc, policy, scopes[""].required_lists, given)
    for key, scope in scopes.items():
        records = given.get(key) if key else None
        if scope.money and isinstance(records, list):
            for i, (rec, row) in enumerate(zip(records, items.get(key, []))):
                out += _amounts(doc, policy.facts[key].fields, scope.money, rec, row, ("facts", key, i),
                                f"“{key}”第 {i + 1} 项的")
    return tuple(out)


def _empty_lists(doc: Document, policy: Policy, keys: Iterable[str], given: Mapping[str, object]) -> list[Note]:
    """W103 for a required list given with no record: its indicators then score as if nothing
    were missed, a full score by omission unless that is really so."""
    return [_note(doc, "W103", ("facts", key),
                  f"必填清单“{key}”（{decl.label or key}）一条记录也没有：按评分办法，没有记录就没有差距，相关指标不扣分；请确认确实如此。",
                  f"the required list '{key}' has no records: its indicators lose nothing for it; check that this is so")
            for key, decl in ((k, policy.facts[k]) for k in keys) if given.get(key) == []]


def _amounts(doc: Document, decls: Mapping[str, FactDecl], keys: Iterable[str], given: Mapping[str, object],
             values: Mapping[str, object], base: tuple, where: str) -> Iterable[Note]:
    for key in keys:
        if key not in given or not isinstance(values.get(key), Decimal):
            continue
        decl, raw, value = decls[key], given[key], values[key]
        assert isinstance(value, Decimal)
        unit = decl.unit
        written = written_unit(raw)
        lo, hi = decl.plausible or (Decimal(0), PLAUSIBLE_MAX[unit])
        if not (written and written != unit) and lo <= value <= hi:
            continue        # the common case: nothing to note
        shown = f"{expr.fmt(value)}{unit}"
        if written and written != unit:
            yield _note(doc, "W101", base + (key,), f"{where}“{key}”写作 {raw}，按 {shown} 计。",
                        f"'{key}' is written {raw}; counted as {shown}")
        if not lo <= value <= hi:
            bare = "；若是按元填写，请写明“元”" if not written and value > hi and unit != "元" else ""
            yield _note(doc, "W102", base + (key,),
                        f"{where}“{key}”为 {shown}，不在合理范围 {expr.fmt(lo)}–{expr.fmt(hi)}{unit} 内，请核对金额和单位{bare}。",
                        f"'{key}' is {shown}, outside the plausible {expr.fmt(lo)}-{expr.fmt(hi)} {unit}; check the amount and its unit"
                        + ("; if it is in yuan, write 元" if bare else ""))


def _note(doc: Document, code: str, path: tuple, zh: str, en: str) -> Note:
    p = doc.problem(code, path, zh, en)
    return Note(code, p.message, p.message_en, p.file, p.line, p.col, p.path)
