"""The summary a reviewer reads after a batch (on stderr): counts, the score distribution,
the grades, the most common deductions and every failure with its located error. Fed one
Outcome at a time, so it never holds the batch.
"""
from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

from .. import expr
from ..problems import render_all
from ..report.present import shown
from .plan import Outcome


class Summary:
    """Counts, the score distribution, the common deductions and the failures: bounded memory
    (scores are counted by value: two decimals under the full score)."""

    def __init__(self, lang: str = "zh", verbose: bool = False):
        self.lang, self.verbose = lang, verbose
        self.evaluated = self.failed = 0
        self.noted = 0                             # departments whose report shows notes (提示)
        self.scores: Counter = Counter()
        self.grades: Counter = Counter()
        self.grade_order: list[str] = []
        self.deductions: dict[str, list] = {}     # id -> [name, departments, total points]
        self.judged: Counter = Counter()          # (id, name) -> departments whose score there is a 认定
        self.judged_departments = 0
        self.failures: list[Outcome] = []
        self.warnings: list[str] = []
        self.started = time.monotonic()
        self.elapsed = 0.0

    @property
    def total(self) -> int:
        return self.evaluated + self.failed

    def add(self, o: Outcome) -> None:
        if not o.ok:
            self.failed += 1
            self.failures.append(Outcome(o.source, o.department, problems=o.problems, internal=o.internal))
            return
        self.evaluated += 1
        self.noted += o.warnings > 0
        self.scores[Decimal(o.score)] += 1
        self.grades[o.grade] += 1
        for g in o.grades:
            if g not in self.grade_order:
                self.grade_order.append(g)
        if o.overrides:
            self.judged_departments += 1
            self.judged.update((i, name) for i, name, _ in o.overrides)
        for i, name, points in o.deductions:
            entry = self.deductions.setdefault(i, [name, 0, Decimal(0)])
            entry[1] += 1
            entry[2] += Decimal(points)

    def stats(self) -> dict:
        """min, median, mean, max of the scores (Decimal, two places), or {} if none."""
        n = self.evaluated
        if not n:
            return {}
        values = sorted(self.scores)
        def nth(k):   # the k-th smallest score, 0-based
            for v in values:
                k -= self.scores[v]
                if k < 0:
                    return v
        median = nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2
        mean = sum((v * c for v, c in self.scores.items()), Decimal(0)) / n
        return {"min": values[0], "median": expr.round2(median), "mean": expr.round2(mean), "max": values[-1]}

    def histogram(self) -> list[list]:
        """Scores in bins of five points, from the lowest bin scored to the highest (the top bin
        holds its upper edge: 95–100 holds 100): [label, departments] each."""
        if not self.scores:
            return []
        low, high = int(min(self.scores)) // 5 * 5, int(max(self.scores)) // 5 * 5
        if high == max(self.scores) and high > 0:      # a top score on an edge belongs to the bin below
            high -= 5
            low = min(low, high)
        counts = {edge: 0 for edge in range(low, high + 1, 5)}
        for score, n in self.scores.items():
            counts[min(int(score) // 5 * 5, high)] += n
        return [[f"{edge}–{edge + 5}", n] for edge, n in counts.items()]

    def render(self, jobs: int = 1, output: str | None = None, rows: int = 0) -> str:
        zh = self.lang == "zh"
        n, secs = self.total, max(self.elapsed, 1e-9)
        rate = n / secs
        out = []
        if zh:
            out.append(f"批量评分：共 {n:,} 个部门，评分 {self.evaluated:,} 个，失败 {self.failed:,} 个"
                       f"（用时 {secs:.1f} 秒，每秒 {rate:,.0f} 个，{jobs} 个进程）。")
        else:
            out.append(f"Batch: {n:,} departments, {self.evaluated:,} evaluated, {self.failed:,} failed "
                       f"({secs:.1f} s, {rate:,.0f}/s, {jobs} process{'es' if jobs > 1 else ''}).")
        s = self.stats()
        if s:
            f = lambda x: format(x, "f")  # noqa: E731
            out.append(f"得分：最低 {f(s['min'])}，中位数 {f(s['median'])}，平均 {f(s['mean'])}，最高 {f(s['max'])}" if zh else
                       f"Scores: min {f(s['min'])}, median {f(s['median'])}, mean {f(s['mean'])}, max {f(s['max'])}")
            order = self.grade_order + [g for g in self.grades if g not in self.grade_order]
            sep = "，" if zh else ", "
            out.append(("等级：" if zh else "Grades: ") + sep.join(f"{g} {self.grades[g]:,}" for g in order))
        if self.deductions:
            top = sorted(self.deductions.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[0]))[:10]
            out.append("最常见的扣分（指标：部门数，扣分合计）：" if zh else "Most common deductions (indicator: departments, points in all):")
            for i, (name, count, points) in top:
                out.append(f"  {i} {name}：{count:,} 个部门，合计 {format(points, 'f')} 分" if zh else
                           f"  {i} {name}: {count:,} departments, {format(points, 'f')} points")
        elif self.evaluated:
            out.append("没有任何扣分。" if zh else "No deductions at all.")
        if self.noted:
            out.append(f"有提示的部门 {self.noted:,} 个（金额换算了单位或与单位不相称，见其报告的“提示”）。" if zh else
                       f"Departments with notes: {self.noted:,} (amounts converted or implausible; see their reports' Notes).")
        out += self._judged()
        if self.failures:
            out.append(f"未能评分的部门（{self.failed:,} 个）：" if zh else f"Departments that could not be evaluated ({self.failed:,}):")
            for o in self.failures:
                out.append(self._failure(o))
        for w in self.warnings:
            out.append(w)
        if output is not None:
            out.append(f"结果已写入 {output}（{rows:,} 行）。" if zh else f"Results written to {output} ({rows:,} rows).")
        return "\n".join(out) + "\n"

    def _judged(self) -> list[str]:
        """How many departments' scores hold a 认定, and on which indicators (most first)."""
        if not self.judged_departments:
            return []
        zh, n = self.lang == "zh", sum(self.judged.values())
        top = sorted(self.judged.items(), key=lambda kv: (-kv[1], kv[0][0]))[:10]
        sep = "，" if zh else ", "
        where = sep.join(f"{i} {shown(name)} {count:,}" for (i, name), count in top)
        return [f"认定：{self.judged_departments:,} 个部门共 {n:,} 项（{where}），各行的“认定”列给出理由和按评分规则的得分。" if zh else
                f"Overrides: {n:,} in {self.judged_departments:,} department(s) ({where}); each row's override columns "
                "give the reasons and the score by the rules."]

    def _failure(self, o: Outcome) -> str:
        zh = self.lang == "zh"
        dept = shown(o.department)        # a name cannot forge lines of the summary
        who = f"（{dept}）" if dept and zh else f" ({dept})" if dept else ""
        if not o.problems:
            what = (f"内部错误（不是输入的问题）：{o.internal}" if zh else f"internal error (not your input): {o.internal}")
            return f"  {o.source}{who}: {what}"
        if self.verbose:
            text = render_all(list(o.problems), self.lang, verbose=True)
            return "\n".join("  " + line for line in (f"{o.source}{who}:\n" + text).splitlines())
        p = o.problems[0]
        where = p.file or o.source
        if p.line:
            where += f":{p.line}:{p.col}"
        at = f"（{p.path}）" if zh else f" (at {p.path})"
        more = len(o.problems) - 1
        extra = (f" 另有 {more} 个错误，使用 --verbose 查看。" if zh else f" +{more} more; use --verbose.") if more else ""
        return f"  {where}{who}: [{p.code}] {p.text(self.lang)}{at if p.path != '$' else ''}{extra}"
