"""The JSON result (schemas/result.schema.json): scores as two-place decimal strings."""
from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache

from .. import expr
from ..score import IndicatorResult, Result


@lru_cache(maxsize=8192)        # a batch formats the same few hundred amounts over and over
def money(x: Decimal) -> str:
    return format(expr.round2(x), "f")


def plain(value):
    """Fact values as JSON: exact decimals as strings, the rest as they are."""
    if isinstance(value, Decimal):
        return expr.fmt(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def name(ind, lang):
    return (ind.name_en or ind.name) if lang == "en" else ind.name


def reason_text(node: IndicatorResult, lang: str) -> str:
    return "；".join(node.reasons) if lang == "zh" else "; ".join(node.reasons_en)


def _node(node: IndicatorResult, lang: str) -> dict:
    ind = node.indicator
    out = {"id": ind.id, "name": name(ind, lang), "points": money(ind.points), "score": money(node.score),
           "deduction": money(node.deduction)}
    if node.children:
        out["children"] = [_node(c, lang) for c in node.children]
    else:
        out.update({"method": ind.method.kind, "confidence": ind.confidence, "basis": ind.basis,
                    "reasons": node.reasons if lang == "zh" else node.reasons_en, "facts_used": plain(node.facts_used)})
    return out


def to_dict(result: Result, lang: str = "zh") -> dict:
    p = result.policy
    by_id = p.indicator_index
    return {
        "schema_version": 1,
        "policy": {"id": p.id, "title": (p.title_en or p.title) if lang == "en" else p.title, "version": p.version,
                   "sha256": p.sha256},
        "department": result.department.name,
        "year": result.department.year if result.department.year is not None else p.year,
        "score": money(result.score),
        "max_score": money(result.max_score),
        "grade": result.grade(lang),
        "indicators": [_node(t, lang) for t in result.indicators],
        "deductions": [
            {"indicator": d.indicator.id, "name": name(d.indicator, lang),
             "path": [name(by_id[a], lang) for a in d.indicator.ancestors],
             "points": money(d.deduction), "reason": reason_text(d, lang), "facts_used": plain(d.facts_used)}
            for d in result.deductions],
    }


def render_json(result: Result, lang: str = "zh") -> str:
    return json.dumps(to_dict(result, lang), ensure_ascii=False, indent=2) + "\n"
