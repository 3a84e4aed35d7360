"""The floor: the Panyu 2023 policy hand-written in plain Python, as a programmer would without
an engine. Decimal arithmetic and half-up rounding like perfrules; it reads the same records
(money as "1234.56万元", percents as "92.5%") but validates nothing and explains nothing:
it returns the score only.

The policy is rules/guangzhou/panyu/2023.yaml; every constant below is copied from it, so a
change to the YAML must be made here too (bench.py checks that both agree on every department).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO, ONE = Decimal(0), Decimal(1)
CENT = Decimal("0.01")
_UNITS = {"万元": ONE, "亿元": Decimal(10000), "千元": Decimal("0.1"), "元": Decimal("0.0001")}


def number(raw) -> Decimal:
    """"1234.56万元" (in 万元), "92.5%", "12.5", 7 -> Decimal."""
    if isinstance(raw, int):
        return Decimal(raw)
    text = str(raw).strip().replace(",", "")
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100
    for unit, factor in _UNITS.items():
        if text.endswith(unit):
            return Decimal(text[: -len(unit)]) * factor
    return Decimal(text)


def r2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def gap(rec: dict) -> Decimal:
    target, actual = number(rec["目标值"]), number(rec["实际值"])
    short = (target - actual) if rec.get("方向", "正向") == "正向" else (actual - target)
    return max(ZERO, short / target)          # exact, as perfrules keeps facts


def _checklist(facts: dict, items) -> Decimal:
    return sum((d for key, d in items if not facts.get(key, True)), ZERO)


def score(record: dict) -> Decimal:
    f = record["facts"]
    # YS-01 (10): proportional to the spending rate, full at 100%
    rate = number(f["实际支出数"]) / number(f["全年预算数"])
    total = r2(10 * min(max(rate, ZERO), ONE))
    # LZ-01 (40): per indicator short of its target: <=10% 0.5, <=20% 1, more 2; capped
    lz01 = ZERO
    for rec in f["绩效指标"]:
        g = gap(rec)
        if g > Decimal("0.2"):
            lz01 += 2
        elif g > Decimal("0.1"):
            lz01 += 1
        elif g > 0:
            lz01 += Decimal("0.5")
    total += 40 - min(lz01, Decimal(40))
    # LZ-02 (10), GL-03 (9), GL-04 (9): per unit over 0
    total += 10 - min(2 * Decimal(f.get("未完成重点工作任务数", 0)), Decimal(10))
    total += 9 - min(3 * Decimal(f.get("采购违规事项数", 0)), Decimal(9))
    total += 9 - min(3 * Decimal(f.get("资产管理违规事项数", 0)), Decimal(9))
    # GL-01 (3), GL-02 (10), GL-05 (9): checklists; the items add up to the points
    half = Decimal("0.5")
    total += 3 - _checklist(f, (("有内部财务管理制度", ONE), ("有绩效目标管理制度", half), ("有绩效运行监控制度", half),
                                ("有绩效评价管理制度", half), ("有评价结果应用制度", half)))
    q = Decimal("2.5")
    total += 10 - _checklist(f, (("按时编制预算", q), ("按时编制决算", q), ("公开预算", q), ("公开决算", q)))
    total += 9 - _checklist(f, (("开展绩效运行监控", 3), ("开展绩效自评", 3), ("按时报送自评材料", 3)))
    return r2(min(max(total, ZERO), Decimal(100)))
