"""Reason templates: "{预算资金支出率:%}" -> 98.83%; "{扣分}" -> 0.12; "{项目}" -> A、B和C.

Our own tiny format, never str.format (which could reach attributes from user text).
[[…{x}…]] marks a stretch left out when a field in it is empty.

A number is never shown on the other side of an edge its decision was made against: the
values passed to `fill` may carry "_edges" (field name -> the constants its leaf compares it
with), and a value rounded onto or across one of them is shown with as many more places as it
takes (89.99999% below a 90% edge, not 90.00%).
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from typing import Mapping, Sequence

from .expr import fmt, shift

TEMPLATE_FIELD = re.compile(r"\{([^{}:]*)(?::([^{}]*))?\}")
_FORMAT = re.compile(r"^(%|\.[0-6]f|\.[0-6]%|、)$")   # "、": join a list with 、 only


class TemplateFormatError(ValueError):
    """A {field:format} whose format is not one of ours; `spec` is the format as written."""

    def __init__(self, spec: str):
        super().__init__(spec)
        self.spec = spec


def template_fields(text: str) -> list[tuple[str, str, int]]:
    """(name, format, offset) for each {field}; raises TemplateFormatError on a bad format."""
    out = []
    for m in TEMPLATE_FIELD.finditer(text):
        name, spec = m.group(1).strip(), (m.group(2) or "").strip()
        if spec and not _FORMAT.match(spec):
            raise TemplateFormatError(spec)
        out.append((name, spec, m.start()))
    return out


def join_names(names: list[str], lang: str = "zh") -> str:
    """A、B和C (zh) / A, B and C (en)."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    if lang == "en":
        return ", ".join(names[:-1]) + " and " + names[-1]
    return "、".join(names[:-1]) + "和" + names[-1]


def _side(a: Decimal, b: Decimal) -> int:
    return (a > b) - (a < b)


_PLACES = tuple(Decimal(1).scaleb(-n) for n in range(13))
_PREC = 28          # decimal's default precision, which we never change (expr.compute)


def rounded(value: Decimal, places: int, edges: Sequence[Decimal] = ()) -> Decimal:
    """value half-up to `places`, or to as many more as it takes to stay on its own side of
    (or on) every edge: 0.8999999 is 0.9 with no edge, 0.8999999 beside an edge at 0.9."""
    sign, digits, exponent = value.as_tuple()
    exact = max(-int(exponent), 0)
    if exact <= places and len(digits) + places - exact <= _PREC:   # exact already: no rounding, no wider context
        return value.quantize(_PLACES[places], rounding=ROUND_HALF_UP) if places < len(_PLACES) else \
            value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if places < len(_PLACES) and value.adjusted() + 1 + places <= _PREC:
        # the first try fits the default precision (as every share and amount of a report does):
        # no wider context to set up; quantize rounds the exact value whatever the precision
        shown = value.quantize(_PLACES[places], rounding=ROUND_HALF_UP)
        if all(_side(shown, e) == _side(value, e) for e in edges):
            return shown
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(value.as_tuple().digits) + exact + 2)
        while True:
            shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if places >= exact or all(_side(shown, e) == _side(value, e) for e in edges):
                return shown
            places += 1


def show(value, spec: str = "", lang: str = "zh", edges: Sequence[Decimal] = ()) -> str:
    """A value as it reads in a report, never across one of `edges` from where it lies."""
    if type(value) is Decimal:       # most fields of most reasons: straight to the number
        return _number(value, spec, edges)
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        parts = [show(v, "", lang) for v in value]
        if spec == "、":
            return ("、" if lang == "zh" else ", ").join(parts)
        return join_names(parts, lang)
    if isinstance(value, (int, Decimal)):
        return _number(Decimal(value), spec, edges)
    return str(value)


def _number(value: Decimal, spec: str, edges: Sequence[Decimal]) -> str:
    if spec.endswith("%"):
        places = int(spec[1]) if len(spec) > 1 else 2
        return format(rounded(shift(value, 2), places, [shift(e, 2) for e in edges] if edges else ()), "f") + "%"
    if spec.endswith("f"):
        return format(rounded(value, int(spec[1]), edges), "f")
    return fmt(rounded(value, 6, edges)) if value != value.to_integral_value() else fmt(value)


OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)   # [[…{x}…]]: left out when a field in it is empty
_PART = re.compile(OPTIONAL.pattern + "|" + TEMPLATE_FIELD.pattern, re.S)   # an optional stretch, or a field


def fill(text: str, values: Mapping[str, object], lang: str = "zh") -> str:
    """One pass over the template's own text: a value inserted is never scanned again, so a
    department's "{扣分:%%}" or "{全年预算数}" is shown as the text it is. values["_edges"], if
    given, maps a field to the edges its value must not be shown across."""
    edges = values.get("_edges") or {}
    assert isinstance(edges, Mapping)
    out: list[str] = []
    for piece in _pieces(text):
        if type(piece) is str:
            out.append(piece)
        elif type(piece[0]) is str:            # a field outside any [[…]]
            out.append(show(values.get(piece[0], ""), piece[1], lang, edges.get(piece[0], ())))
        elif not any(values.get(n) in (None, "", [], ()) for n in piece[0]):   # [[…]]: all its fields given
            out += [p if type(p) is str else show(values.get(p[0], ""), p[1], lang, edges.get(p[0], ()))
                    for p in piece[1]]
    return "".join(out)


@lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple:
    """A template cut once into literal text, fields (name, format) and optional stretches
    (their field names, their pieces), as _PART and TEMPLATE_FIELD match it: fill walks this
    instead of running the regexes, with a callback per field, for every reason of every
    department."""
    return tuple(_cut(text, _PART, True))


def _cut(text: str, rx: re.Pattern, outer: bool) -> list:
    out: list = []
    at = 0
    for m in rx.finditer(text):
        if m.start() > at:
            out.append(text[at:m.start()])
        if outer and m.group(1) is not None:
            inner = m.group(1)
            out.append((tuple(f.group(1).strip() for f in TEMPLATE_FIELD.finditer(inner)),
                        tuple(_cut(inner, TEMPLATE_FIELD, False))))
        else:
            name, spec = (m.group(2), m.group(3)) if outer else (m.group(1), m.group(2))
            out.append((name.strip(), (spec or "").strip()))
        at = m.end()
    if at < len(text):
        out.append(text[at:])
    return out
