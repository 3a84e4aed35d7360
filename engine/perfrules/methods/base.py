"""What every scoring method module provides, and the checks its build step may use.

A method module holds everything about one `kind`: its frozen parameters, how they are built
and checked from the policy document, the rules it makes (each with an engine-neutral `when`
that a matcher encodes), how a leaf is scored from the rules that fired, how a rule is named
in a coverage report, and the reason-template fields it offers. `methods/__init__.py` looks
them up by kind; adding a method is one module and one line there.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

from .. import expr, template, units
from ..model import NUMERIC_TYPES, FactDecl, Leaf, Params, Path, Rule, When
from ..problems import did_you_mean, show_value

# (rule index, record index or None): what a matcher reports for one department
Firing = tuple[int, "int | None"]

# every reason template may name the declared facts and these
COMMON_FIELDS = frozenset({"扣分", "得分", "分值", "指标"})

# err(code, path, zh, en, hint, hint_en, at_key): records a located problem
Report = Callable[..., None]


@dataclass(frozen=True)
class Head:
    """What a method's build knows of its leaf before the leaf exists."""
    id: str
    name: str
    points: Decimal


@dataclass
class Built:
    """A method's build result: its parameters, the leaf-level reason template, and the
    Chinese templates to check, in the order their problems are reported."""
    params: Params
    reason: str = ""
    reason_en: str = ""
    templates: list[tuple[str, Path]] = field(default_factory=list)


@dataclass
class Scored:
    """A leaf's raw outcome: a score (bands, tiers, proportional, manual) or a deduction
    (the rest, capped at the leaf's points by `score`), with the reasons to fill."""
    score: Decimal | None = None
    deduction: Decimal = Decimal(0)
    fills: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)   # (zh, en, fields)
    used: dict[str, object] = field(default_factory=dict)     # extra facts shown (records)
    notes: list[tuple[str, str]] = field(default_factory=list)   # (zh, en) statements that deduct nothing


class Method(Protocol):
    kind: ClassVar[str]
    fields: ClassVar[frozenset[str]]     # template fields beyond the facts and COMMON_FIELDS

    def build(self, c: "Checks", head: Head, m: Mapping[str, object], path: Path) -> Built: ...

    def facts_read(self, params: Params, rules: Sequence[Rule]) -> list[str]: ...

    def score(self, leaf: Leaf, fired: Sequence[Firing], rules: Sequence[Rule],
              values: Mapping[str, object], items: Mapping[str, list[dict[str, object]]]) -> Scored: ...

    def describe(self, leaf: Leaf, rule: Rule, lang: str = "zh") -> str: ...


def count_units(units: Decimal, how: str) -> Decimal:
    """Units beyond a limit as a method counts them: exact, ceil (any part is one) or floor."""
    if how == "ceil":
        return Decimal(math.ceil(units))
    if how == "floor":
        return Decimal(math.floor(units))
    return units


def records(m: Mapping[str, object], key: str) -> list[dict[str, Any]]:
    """A list of mappings in a method's document (bands, rules, items, tiers): the schema
    has checked the shape."""
    value = m.get(key, [])
    assert isinstance(value, list)
    return value


def dec(x: object) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


_WHAT_EN = {"档次得分": "the band score", "扣分": "the deduction", "单项扣分": "the deduction per item",
            "清单项扣分": "the checklist deduction", "每单位扣分": "the deduction per unit", "权重": "the weight"}


def purpose_en(purpose: str) -> str:
    """'proportional 的 rate ' -> 'proportional rate'; '清单项 ' -> 'checklist item'."""
    return purpose.replace("清单项", "checklist item").replace(" 的 ", " ").strip()


class Checks:
    """The policy's facts and the checks a method's build runs; problems go to `err`,
    rules are numbered in policy order."""

    def __init__(self, facts: Mapping[str, FactDecl], err: Report):
        self.facts = facts
        self.types = {k: f.expr_type for k, f in facts.items() if f.expr_type}
        self.err = err
        self.rules: list[Rule] = []

    def rule(self, leaf: str, path: Path, when: When, **kw: object) -> Rule:
        r = Rule(index=len(self.rules), leaf=leaf, when=when, path=path, **kw)  # type: ignore[arg-type]
        self.rules.append(r)
        return r

    def fact_of(self, key: str, path: Path, want: set[str], purpose: str) -> FactDecl | None:
        """A top-level fact, if declared and of a type in `want`."""
        f = self.facts.get(key)
        if f is None:
            self.err("E304", path, f"{purpose}引用了未声明的事实“{key}”。", f"{purpose_en(purpose)}: undeclared fact '{key}'",
                     hint=did_you_mean(key, self.facts) or "先在 facts 中声明它。",
                     hint_en=did_you_mean(key, self.facts, "en") or "declare it under facts")
            return None
        if f.type not in want:
            self.err("E311", path, f"{purpose}需要类型为 {'/'.join(sorted(want))} 的事实，“{key}”是 {f.type}。",
                     f"{purpose_en(purpose)} needs a {'/'.join(sorted(want))} fact; '{key}' is {f.type}")
            return None
        return f

    def numeric_fact(self, key: str, path: Path, purpose: str) -> FactDecl | None:
        return self.fact_of(key, path, set(NUMERIC_TYPES), purpose)

    def amount(self, head: Head, amount: Decimal, path: Path, what: str) -> None:
        if amount > head.points:
            self.err("E303", path, f"{what} {expr.fmt(amount)} 超过了指标 {head.id} 的分值 {expr.fmt(head.points)}。",
                     f"{_WHAT_EN.get(what, 'the amount')} {expr.fmt(amount)} exceeds the {expr.fmt(head.points)} points of {head.id}")

    def interval(self, text: str, path: Path, against: tuple[str, ...] | None = None) -> expr.Interval | None:
        """An interval; its edges written in the form its measure takes (`against`: the measure's
        name, type and, if it is no fact, English name; 90%, not 0.9, for a percent)."""
        try:
            iv = expr.interval(text)
        except (ValueError, ArithmeticError):
            self.err("E312", path, f"区间“{text}”写法不对。", f"malformed interval '{text}'")
            return None
        if against is not None:
            name, kind, *name_en = against
            self.unit_problem(path, units.interval(text, name, kind, f"区间“{text}”的端点", f"interval '{text}'", *name_en))
        return iv

    def constant(self, raw: object, path: Path, fact: FactDecl | None, what: str) -> None:
        """A constant compared with `fact`, written in the form its type takes (E316)."""
        if fact is not None:
            self.unit_problem(path, units.constant(raw, fact.key, fact.type, what, what))

    def unit_problem(self, path: Path, problem: tuple[str, str] | None) -> None:
        if problem:
            self.err("E316", path, problem[0], problem[1])

    def bands(self, intervals: Sequence[expr.Interval | None], paths: Sequence[Path], fact_min: Decimal | None,
              want_cover: bool, percent: bool = False) -> None:
        """Bands never overlap; where they must cover the fact's range, they leave no gap (each
        gap shown as the fact is written, 80% for a percent, at the band beside it)."""
        pairs = [(iv, p) for iv, p in zip(intervals, paths) if iv is not None]
        for i, (a, _) in enumerate(pairs):
            for b, pb in pairs[i + 1:]:
                if expr.overlaps(a, b):
                    self.err("E306", pb, f"区间“{b.text}”与“{a.text}”重叠。", f"'{b.text}' overlaps '{a.text}'")
        if want_cover and len(pairs) == len(intervals) and pairs:
            show = expr.fmt_percent if percent else expr.fmt
            missing = expr.gaps_located([iv for iv, _ in pairs], fact_min, show)
            if missing:
                texts = [text for text, _ in missing]
                self.err("E307", paths[missing[0][1]], f"分档没有覆盖：{'、'.join(texts)}。", f"no band covers {', '.join(texts)}")

    def percent(self, value: object, path: Path) -> Decimal | None:
        """A number or a percent written as text (90%)."""
        try:
            return expr.number_text(value) if isinstance(value, str) else dec(value)
        except (ValueError, ArithmeticError):
            self.err("E202", path, f"应为数字或百分比（如 90%），实际是 {show_value(value)}。", "expected a number or a percent")
            return None

    def condition(self, text: str, path: Path) -> expr.Formula | None:
        try:
            cond = expr.condition(text, self.types)
        except expr.ExprError as e:
            hint, hint_en = name_hints(e, self.types)
            self.err(e.code, path, f"扣分条件：{e.zh}", e.en, hint=hint, hint_en=hint_en)
            return None
        self.unit_problem(path, units.formula(text, {k: f.type for k, f in self.facts.items()}))
        return cond

    def template(self, text: str, path: Path, extra: frozenset[str]) -> None:
        """A reason template names only declared facts and the fields its method offers."""
        allowed = {k for k, f in self.facts.items() if f.type != "list"} | COMMON_FIELDS | extra
        try:
            fields = template.template_fields(text)
        except template.TemplateFormatError as bad:
            self.err("E310", path, f"说明模板中的格式“:{bad.spec}”不受支持；可用 :% 、:.1% 或 :.2f。",
                     f"unsupported format ':{bad.spec}'")
            return
        # the fields blanked out, each position kept: a brace left is one no field closed
        # ("扣分{扣分分" would print as it stands)
        stray = re.search(r"[{}]", template.TEMPLATE_FIELD.sub(lambda m: "\0" * len(m.group()), text))
        if stray:
            around = text[max(stray.start() - 8, 0):stray.start() + 9]
            self.err("E310", path, f"说明模板中有不配对的花括号“{stray.group()}”（{around}）。",
                     f"an unmatched '{stray.group()}' in the reason template",
                     hint="字段写作 {扣分} 这样成对的花括号；说明文字中要用花括号，请改用全角“｛｝”。",
                     hint_en="A field is written {扣分}, in a pair of braces; for a brace in the text use the full-width ｛｝.")
            return
        for name, _, _ in fields:
            if name not in allowed:
                self.err("E310", path, f"说明模板中的“{{{name}}}”不是已声明的事实或本方法提供的字段。",
                         f"'{{{name}}}' is not a declared fact or a field of this method",
                         hint=did_you_mean(name, allowed) or f"可用：{'、'.join(sorted(allowed))}",
                         hint_en=did_you_mean(name, allowed, "en") or f"allowed: {', '.join(sorted(allowed))}")


def name_hints(e: expr.ExprError, candidates: Mapping[str, object]) -> tuple[str, str]:
    """(zh, en) did-you-mean hints for an undeclared name in a formula (the name travels as data)."""
    if e.name is None:
        return "", ""
    return did_you_mean(e.name, candidates) or "", did_you_mean(e.name, candidates, "en") or ""


def reason_paths(built_rules: Sequence[Rule], m: Mapping[str, object], path: Path) -> list[tuple[str, Path]]:
    """The English templates to check: the method's own and each rule's."""
    out = []
    if m.get("reason_en"):
        out.append((str(m["reason_en"]), path + ("reason_en",)))
    out += [(r.reason_en, r.path + ("reason_en",)) for r in built_rules if r.reason_en]
    return out
