"""A policy as data a browser can build a form and a readable 评分办法 from: its facts
(labels, units, types, defaults, choices, help) and its indicator tree (points, methods,
basis). `GET /api/policies/{id}` answers with it; the 评分 and 评分办法 pages are drawn from it.

Defaults are written the way a fact file writes them (98.83%, 690.47万元, true), so that a
form that sends them back unchanged sends what the policy meant.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..forms import TYPE_NAMES, unit_of, written_number
from ..methods import METHODS
from ..model import FactDecl, Group, Leaf, Policy
from ..report.present import money, name, title


# how a department reads each scoring method's name
METHOD_NAMES = {"proportional": ("按比例计分", "proportional"), "bands": ("分档计分", "bands"),
                "deductions": ("逐项扣分", "deductions"), "per_item": ("按项计分", "per item"),
                "checklist": ("清单计分", "checklist"), "tiered": ("按档选择", "tiered"),
                "per_unit": ("按单位扣分", "per unit"), "manual": ("人工评分", "manual"),
                "weighted": ("加权计分", "weighted")}


def policy_summary(p: Policy, lang: str = "zh") -> dict[str, Any]:
    return {"id": p.id, "title": title(p, lang), "year": p.year, "version": p.version, "sha256": p.sha256}


def policy_detail(p: Policy, lang: str = "zh") -> dict[str, Any]:
    return {
        **policy_summary(p, lang),
        "full_score": money(p.full_score),
        "region": p.region,
        "grades": [{"name": (g.name_en or g.name) if lang == "en" else g.name, "min": money(g.min)} for g in p.grades],
        "facts": [fact(k, d, lang) for k, d in p.facts.items() if not d.derived],
        "derived": [{"key": k, "label": _label(d, lang), "type": d.type} for k, d in p.facts.items() if d.derived],
        "indicators": [indicator(i, lang) for i in p.indicators],
    }


def _label(d: FactDecl, lang: str) -> str:
    return (d.label_en or d.label or d.key) if lang == "en" else (d.label or d.key)


def fact(key: str, d: FactDecl, lang: str = "zh") -> dict[str, Any]:
    """One fact a department gives: what a form field needs to ask for it."""
    out: dict[str, Any] = {
        "key": key, "label": _label(d, lang), "type": d.type, "type_name": TYPE_NAMES.get(d.type, d.type),
        "unit": unit_of(d), "required": d.required, "help": d.description,
    }
    if d.has_default:
        out["default"] = written(d, d.default)
    if d.options:
        out["choices"] = list(d.options)
    for bound in ("min", "max"):
        value = getattr(d, bound)
        if value is not None:
            out[bound] = written(d, value)
    if d.type == "list":
        out["fields"] = [fact(k, f, lang) for k, f in d.inputs]
    return out


def written(d: FactDecl, value: object) -> object:
    """A value as a fact file writes it: a percent with %, money with its unit, the rest plain."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return written_number(d, value)
    if isinstance(value, (list, tuple)):
        return [written(d, v) for v in value]
    return value


def indicator(ind: Group | Leaf, lang: str = "zh") -> dict[str, Any]:
    out: dict[str, Any] = {"id": ind.id, "name": name(ind, lang), "points": money(ind.points), "basis": ind.basis}
    if isinstance(ind, Group):
        out["children"] = [indicator(c, lang) for c in ind.children]
    else:
        out["method"] = ind.method.kind
        words = METHOD_NAMES.get(ind.method.kind, (ind.method.kind, ind.method.kind))
        out["method_name"] = words[1 if lang == "en" else 0]
        out["criteria"] = ind.criteria
        out["rules"] = [METHODS[ind.method.kind].describe(ind, r, lang) for r in ind.rules]
    return out
