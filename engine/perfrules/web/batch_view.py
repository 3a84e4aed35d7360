"""A district file's batch as one JSON document (`POST /api/batch`, and the 批量 page):
every scored row, the summary (counts, statistics, grades, the score histogram, the common
deductions), the discrepancies between claims and scores, and the failures with their
located problems. Built from the Outcomes batch's workers return, as the workbook is.
"""
from __future__ import annotations

from typing import Any

from ..batch.plan import Outcome
from ..batch.summary import Summary
from ..report.present import money

_KINDS = {"total": "总分不符", "not_due": "不应扣分", "not_claimed": "漏报扣分", "amount": "扣分不符",
          "arithmetic": "自报算术不符", "unknown_indicator": "未知指标", "override": "认定"}


def batch_json(summary: Summary, outcomes: list[Outcome], rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """`rows`: the result of each scored Outcome, in order (their JSON Lines rows, read)."""
    stats = summary.stats()
    return {
        "schema_version": 1,
        "summary": {
            "departments": summary.total, "evaluated": summary.evaluated, "failed": summary.failed,
            **{k: money(v) for k, v in stats.items()},
            "grades": [{"grade": g, "departments": summary.grades.get(g, 0)} for g in summary.grade_order],
            "histogram": [{"bin": label, "departments": n} for label, n in summary.histogram()],
            "deductions": [{"indicator": i, "name": name, "departments": n, "points": money(total)}
                           for i, (name, n, total) in sorted(summary.deductions.items(),
                                                             key=lambda kv: (-kv[1][1], kv[0]))],
        },
        "rows": [{**row, "source": o.source, **({"claimed": o.claimed} if o.claimed else {})}
                 for o, row in zip((o for o in outcomes if o.ok), rows)],
        "discrepancies": [
            {"source": o.source, "department": o.department, "kind": kind,
             "kind_name": _KINDS.get(kind, kind) if lang == "zh" else kind, "indicator": indicator,
             "claimed": claimed, "due": due, "message": text}
            for o in outcomes if o.ok for kind, indicator, claimed, due, text in o.findings],
        "failures": [
            {"source": o.source, "department": o.department,
             "problems": [p.as_dict(lang) for p in o.problems],
             **({"internal": o.internal} if o.internal else {})}
            for o in outcomes if not o.ok],
    }
