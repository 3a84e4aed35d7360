"""Reason templates: "{预算资金支出率:%}" -> 98.83%; "{扣分}" -> 0.12; "{项目}" -> A、B和C.

Our own tiny format, never str.format (which could reach attributes from user text).
[[…{x}…]] marks a stretch left out when a field in it is empty.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Mapping

from .expr import fmt, round_to

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


def show(value, spec: str = "", lang: str = "zh") -> str:
    """A value as it reads in a report."""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        parts = [show(v, "", lang) for v in value]
        if spec == "、":
            return ("、" if lang == "zh" else ", ").join(parts)
        return join_names(parts, lang)
    if isinstance(value, (int, Decimal)):
        value = Decimal(value)
        if spec.endswith("%"):
            places = int(spec[1]) if len(spec) > 1 else 2
            return format(round_to(value * 100, places), "f") + "%"
        if spec.endswith("f"):
            return format(round_to(value, int(spec[1])), "f")
        return fmt(round_to(value, 6)) if value != value.to_integral_value() else fmt(value)
    return str(value)


OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)   # [[…{x}…]]: left out when a field in it is empty
_PART = re.compile(OPTIONAL.pattern + "|" + TEMPLATE_FIELD.pattern, re.S)   # an optional stretch, or a field


def fill(text: str, values: Mapping[str, object], lang: str = "zh") -> str:
    """One pass over the template's own text: a value inserted is never scanned again, so a
    department's "{扣分:%%}" or "{全年预算数}" is shown as the text it is."""
    def field(m: re.Match) -> str:
        return show(values.get(m.group(1).strip(), ""), (m.group(2) or "").strip(), lang)

    def part(m: re.Match) -> str:
        if m.group(1) is None:                  # a field outside any [[…]]
            return show(values.get(m.group(2).strip(), ""), (m.group(3) or "").strip(), lang)
        inner = m.group(1)
        names = [f.group(1).strip() for f in TEMPLATE_FIELD.finditer(inner)]
        if any(values.get(n) in (None, "", [], ()) for n in names):
            return ""
        return TEMPLATE_FIELD.sub(field, inner)   # the stretch is template text: one pass over it too
    return _PART.sub(part, text)
