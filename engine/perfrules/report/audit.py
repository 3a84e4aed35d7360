"""The `perfrules audit` report: for each fact file, whether the department's claimed score and
deductions agree with the policy, and every discrepancy, as text or JSON.

Text: a line per department, its discrepancies under it labelled by kind (得分不符, 漏扣分 …
in Chinese; the kind's name in English), then its 认定 (kind override, not a discrepancy: the
line says 含认定, never a plain 核对无误), then a count. JSON (schemas/audit.schema.json): a
list with one entry per file, amounts as decimal strings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .present import dump_json, dump_lines

if TYPE_CHECKING:
    from ..audit import Audited, Discrepancy

KINDS_ZH = {"total": "得分不符", "not_due": "多扣分", "not_claimed": "漏扣分", "amount": "扣分数不符",
            "arithmetic": "自报数字不自洽", "unknown_indicator": "未知指标", "override": "认定"}


def _entry_lines(entry: Audited, lang: str) -> list[str]:
    zh, found, result = lang == "zh", entry.found, entry.result
    head = f"{entry.file}：{result.department.name}" if zh else f"{entry.file}: {result.department.name}"
    judged = entry.overrides
    if not found and not judged:
        return [f"{head} — 核对无误（得分 {result.score}）" if zh else f"{head} — agrees (score {result.score})"]
    if not found:    # agrees, but the score holds a 认定: never a plain 核对无误
        lines = [f"{head} — 与评分办法一致，含认定 {len(judged)} 项（得分 {result.score}，按评分规则 {result.rules_total}）" if zh
                 else f"{head} — agrees, with {len(judged)} override(s) (score {result.score}, {result.rules_total} by the rules)"]
    else:
        lines = [f"{head} — 发现 {len(found)} 处不符" if zh else f"{head} — found {len(found)} discrepancies"]
        if judged:
            lines[0] += f"，另有认定 {len(judged)} 项" if zh else f", and {len(judged)} override(s)"
    lines += [f"  [{KINDS_ZH[d.kind] if zh else d.kind}] {d.text(lang)}" for d in found + judged]
    return lines


def write_text(entries: list[Audited], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    lines = [line for e in entries for line in _entry_lines(e, lang)]
    bad = sum(1 for e in entries if e.found)
    judged = sum(1 for e in entries if e.overrides)
    lines.append("")
    tail = (f"，{judged} 个有认定" if lang == "zh" else f"; {judged} with overrides") if judged else ""
    lines.append(f"核对 {len(entries)} 个部门，{bad} 个有不符之处{tail}。" if lang == "zh" else
                 f"Audited {len(entries)} department(s); {bad} with discrepancies{tail}.")
    dump_lines(stream, lines)


def _amount(x) -> str | None:
    return None if x is None else format(x, "f")


def _discrepancy(d: Discrepancy, lang: str) -> dict:
    return {"kind": d.kind, "indicator": d.indicator, "claimed": _amount(d.claimed), "due": _amount(d.due),
            "message": d.text(lang)}


def write_json(entries: list[Audited], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_json(stream, [{"file": e.file, "department": e.result.department.name, "score": _amount(e.result.score),
                        "ok": not e.found, "discrepancies": [_discrepancy(d, lang) for d in e.found],
                        **({"rules_score": _amount(e.result.rules_total),
                            "overrides": [_discrepancy(d, lang) for d in e.overrides]} if e.overrides else {})}
                       for e in entries])
