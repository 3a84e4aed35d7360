"""The evaluate result as JSON (schemas/result.schema.json): scores as two-place decimal strings,
the 自评结论 text (`conclusion`) and 部门编码 (`code`, when the fact file gives one);
with overrides, each leaf's `override` and the total the rules alone give (`rules_score`).

`to_dict` is the one JSON shape of a Result: `perfrules evaluate -f json` writes it and a batch
writes it per row (plus "source"), so the two can never drift apart.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from ..model import Indicator, Leaf
from . import inputs
from .present import conclusion, dump_json, money, name, plain, reason_text, title

if TYPE_CHECKING:
    from ..score import IndicatorResult, Result


def indicator_node(result: Result, node: IndicatorResult, lang: str) -> dict[str, object]:
    ind = node.indicator
    out = {**identity(ind, lang), "score": money(node.score), "deduction": money(node.deduction)}
    if node.children:
        out["children"] = [indicator_node(result, c, lang) for c in node.children]
    else:
        assert isinstance(ind, Leaf)          # a group has children (policy.schema.json: minItems 1)
        out.update(leaf_fields(ind, node.reasons if lang == "zh" else node.reasons_en))
        out.update({"facts_used": plain(node.facts_used),
                    "facts_read": [inputs.as_json(i, lang) for i in inputs.leaf_inputs(result, node)]})
        if node.notes:
            out["notes"] = node.note_texts(lang)
        if node.override is not None:
            out["override"] = _override(node)
    return out


def identity(ind: Indicator, lang: str) -> dict[str, object]:
    """The first fields of an indicator's node, the same for every department."""
    return {"id": ind.id, "name": name(ind, lang), "points": money(ind.points)}


def leaf_fields(leaf: Leaf, reasons: list[str]) -> dict[str, object]:
    """A leaf's fields after its score and deduction, up to its reasons."""
    out: dict[str, object] = {"method": leaf.method.kind}
    if leaf.confidence:                       # left out in the policy: nothing is claimed
        out["confidence"] = leaf.confidence
    out.update({"basis": leaf.basis, "reasons": reasons})
    return out


def _override(node: IndicatorResult) -> dict[str, object]:
    """A leaf's 认定: the score it sets, the rules' score beside it, and why."""
    o = node.override
    assert o is not None and node.rules_score is not None
    out: dict[str, object] = {"score": money(node.score), "rules_score": money(node.rules_score), "reason": o.reason}
    if o.adjust is not None:
        out["adjust"] = money(o.adjust)
    out.update({k: v for k, v in (("by", o.by), ("document", o.document)) if v})
    return out


def used_data(node: IndicatorResult, memo: dict | None) -> dict[str, object]:
    """A leaf's facts_used as JSON data. A caller that encodes the row at once (batch.rows) passes
    a memo, one per row: a leaf's records are then made into JSON data once, not for its
    facts_used, its facts_read and its deduction each (the three then share that data, which
    is why to_dict, whose dict its callers own, passes none)."""
    if memo is None:
        return plain(node.facts_used)
    got = memo.get(id(node))          # the node outlives the memo: its id stays its own
    if got is None:
        got = memo[id(node)] = plain(node.facts_used)
    return got


def to_dict(result: Result, lang: str = "zh") -> dict[str, object]:
    head, tail = parts(result, lang)
    return {**head, "indicators": [indicator_node(result, t, lang) for t in result.indicators], **tail}


def parts(result: Result, lang: str, memo: dict | None = None) -> tuple[dict[str, object], dict[str, object]]:
    """The fields before "indicators" and those after it (batch.rows writes the tree between;
    memo: see used_data)."""
    p = result.policy
    by_id = p.indicator_index
    head = {
        "schema_version": 1,
        "policy": {"id": p.id, "title": title(p, lang), "version": p.version, "sha256": p.sha256},
        "department": result.department.name,
        **({"code": result.department.code} if result.department.code else {}),
        **({"project": result.department.project} if result.department.project else {}),
        "year": result.department.year if result.department.year is not None else p.year,
        "score": money(result.score),
        "max_score": money(result.max_score),
        "grade": result.grade(lang),
        "conclusion": conclusion(result, lang),
    }
    tail: dict[str, object] = {
        "deductions": [
            {"indicator": d.indicator.id, "name": name(d.indicator, lang),
             "path": [name(by_id[a], lang) for a in d.indicator.ancestors],
             "points": money(d.deduction), "reason": reason_text(d, lang), "facts_used": used_data(d, memo)}
            for d in result.deductions],
        "warnings": [n.as_dict(lang) for n in result.warnings],
    }
    if result.overridden:       # the rules' score beside the official one, and each 认定
        tail["rules_score"] = money(result.rules_total)
        tail["overrides"] = [{"indicator": n.indicator.id, "name": name(n.indicator, lang), **_override(n)}
                             for n in result.overridden]
    return head, tail


def write(results: list[Result], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    """One result as an object, several as a list of them."""
    data = [to_dict(r, lang) for r in results]
    dump_json(stream, data[0] if len(data) == 1 else data)
