"""Synthetic departments for the shipped Panyu 2023 policy, as JSON Lines.

    python benchmarks/generate.py 10000 > depts.jsonl
    python benchmarks/generate.py 10000 --seed 7 -o depts.jsonl

Each line has the shape of a YAML fact file: {policy, department, year, facts}. The data is
synthetic (every department name says so) and seeded: the same seed gives the same lines, and
the first N lines do not depend on how many are generated, so a run of 200 is a prefix of a
run of 200,000. `departments()` yields one record at a time, so nothing is held in memory.

The spreads are assumptions meant to look like a district's departments, not statistics:
- budget: log-normal around 1,500万元; spending rate mostly 85-100% (60% in 95-100%, 22% in
  85-95%, 5% exactly 100%), a tail (10% in 70-85%, 3% in 40-70%);
- 3-10 performance indicators, each met with probability 0.70, short by at most 10% 0.15, by
  10-20% 0.08, by more 0.07; a tenth are "lower is better" (反向) cost or time indicators;
  values written as people write them (integers, "92.5%", "12.5");
- the four dedicated performance-management policies: all present in 40%, none (like the
  shipped example) in 30%, otherwise each present with probability 0.5; internal financial
  rules missing in 3%;
- budget and final-account preparation/disclosure and performance practice: each missing in
  1-7% of departments;
- procurement and asset irregularities: none in about 92%, otherwise 1-4; unfinished key
  tasks: none in 88%, otherwise 1-3;
- a fact at its policy default (0 irregularities, true for preparation) is left out half the
  time, as people leave out what the policy does not require.
Money is written "1234.56万元" and every number is an integer or a string, so any JSON or
YAML reader sees the same exact values (no floats).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from typing import Iterator

POLICY = "guangzhou/panyu/2023"
YEAR = 2023

_UNITS = [
    "发展和改革局", "教育局", "科技工业商务和信息化局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
    "住房和城乡建设局", "交通运输局", "水务局", "农业农村局", "文化广电旅游体育局", "卫生健康局",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "城市管理和综合执法局",
    "政务服务数据管理局", "信访局", "档案馆", "直属机关工作委员会", "总工会", "妇女联合会", "科学技术协会",
    "残疾人联合会", "工商业联合会",
]
_STREETS = [
    "市桥街道", "沙头街道", "东环街道", "桥南街道", "小谷围街道", "大石街道", "洛浦街道", "石壁街道",
    "钟村街道", "大龙街道", "沙湾街道", "南村镇", "新造镇", "化龙镇", "石楼镇", "石碁镇",
]
_NAMES = [f"广州市番禺区{u}" for u in _UNITS] + [f"广州市番禺区{s}办事处" for s in _STREETS]

_RULES = ["财务审批制度", "本级使用资金管理制度", "政府采购内部控制制度", "资产管理办法", "公务接待管理规定",
          "差旅费管理办法", "合同管理办法"]

# (name, category, kind, direction, target range); kind says how values are written
_INDICATORS = [
    ("开展学习或培训活动次数", "产出", "small", "正向", (2, 12)),
    ("开展群团活动次数", "产出", "small", "正向", (2, 8)),
    ("培训参加人数", "效益", "count", "正向", (100, 800)),
    ("服务群众人次", "产出", "count", "正向", (500, 20000)),
    ("完成项目数", "产出", "small", "正向", (3, 30)),
    ("检查覆盖企业数", "产出", "count", "正向", (50, 2000)),
    ("发放补助人数", "效益", "count", "正向", (100, 5000)),
    ("群众满意度", "满意度", "percent", "正向", (85, 95)),
    ("项目验收合格率", "效益", "percent", "正向", (95, 100)),
    ("重点任务按期完成率", "效益", "percent", "正向", (90, 100)),
    ("人均培训成本（元）", "产出", "decimal", "反向", (200, 1000)),
    ("投诉平均办结时长（天）", "效益", "decimal", "反向", (5, 15)),
]


def _pick(rng: random.Random, table) -> object:
    x = rng.random()
    for value, p in table:
        if x < p:
            return value
        x -= p
    return table[-1][0]


def _spending_rate(rng: random.Random) -> float:
    band = _pick(rng, [("full", 0.05), ("high", 0.60), ("mid", 0.22), ("low", 0.10), ("tail", 0.03)])
    return {"full": lambda: 1.0, "high": lambda: rng.uniform(0.95, 1.0), "mid": lambda: rng.uniform(0.85, 0.95),
            "low": lambda: rng.uniform(0.70, 0.85), "tail": lambda: rng.uniform(0.40, 0.70)}[band]()


def _shortfall(rng: random.Random) -> float:
    """0 when the indicator is met, else the relative gap to its target."""
    band = _pick(rng, [("met", 0.70), ("under10", 0.15), ("10to20", 0.08), ("over20", 0.07)])
    if band == "met":
        return 0.0
    lo, hi = {"under10": (0.005, 0.10), "10to20": (0.10, 0.20), "over20": (0.20, 0.60)}[band]
    return rng.uniform(lo, hi)


def _indicator(rng: random.Random, spec) -> dict:
    name, category, kind, direction, (lo, hi) = spec
    gap = _shortfall(rng)
    met_bonus = rng.uniform(0, 0.08) if gap == 0 else 0.0
    # a met indicator may exceed its target (or, lower-is-better, stay under it)
    factor = (1 - gap + met_bonus) if direction == "正向" else (1 + gap - met_bonus)
    rec = {"名称": name, "类别": category}
    if kind == "small":
        target = rng.randint(lo, hi)
        rec["目标值"], rec["实际值"] = target, max(0, round(target * factor))
    elif kind == "count":
        target = rng.randint(lo // 10, hi // 10) * 10
        rec["目标值"], rec["实际值"] = target, max(0, round(target * factor))
    elif kind == "percent":
        target = rng.randint(lo, hi)
        actual = min(100.0, target * factor) if direction == "正向" else target * factor
        rec["目标值"], rec["实际值"] = f"{target}%", f"{actual:.1f}%"
    else:
        target = round(rng.uniform(lo, hi), 1)
        rec["目标值"], rec["实际值"] = f"{target:.1f}", f"{max(0.0, target * factor):.1f}"
    if direction != "正向":
        rec["方向"] = direction
    return rec


def department(rng: random.Random, i: int) -> dict:
    """One synthetic department; draws from rng in a fixed order."""
    budget = min(80000.0, max(30.0, math.exp(rng.gauss(math.log(1500), 1.0))))
    spent = budget * _spending_rate(rng)
    facts: dict = {"全年预算数": f"{budget:.2f}万元", "实际支出数": f"{spent:.2f}万元"}
    specs = rng.sample(_INDICATORS, rng.randint(3, 10))
    facts["绩效指标"] = [_indicator(rng, s) for s in specs]

    def maybe(key, value, default):
        """Leave a default-valued fact out half the time."""
        if value != default or rng.random() < 0.5:
            facts[key] = value

    maybe("未完成重点工作任务数", _pick(rng, [(0, 0.88), (1, 0.08), (2, 0.03), (3, 0.01)]), 0)
    has_finance = rng.random() >= 0.03
    facts["已有内部管理制度"] = rng.sample(_RULES, rng.randint(1, 4)) if has_finance else []
    facts["有内部财务管理制度"] = has_finance
    pm = _pick(rng, [("all", 0.40), ("none", 0.30), ("some", 0.30)])
    for key in ("有绩效目标管理制度", "有绩效运行监控制度", "有绩效评价管理制度", "有评价结果应用制度"):
        facts[key] = pm == "all" or (pm == "some" and rng.random() < 0.5)
    for key, p_missing in (("按时编制预算", 0.01), ("按时编制决算", 0.01), ("公开预算", 0.02), ("公开决算", 0.03)):
        maybe(key, rng.random() >= p_missing, True)
    maybe("采购违规事项数", _pick(rng, [(0, 0.93), (1, 0.05), (2, 0.015), (3, 0.004), (4, 0.001)]), 0)
    maybe("资产管理违规事项数", _pick(rng, [(0, 0.91), (1, 0.06), (2, 0.02), (3, 0.008), (4, 0.002)]), 0)
    for key, p_missing in (("开展绩效运行监控", 0.04), ("开展绩效自评", 0.01), ("按时报送自评材料", 0.07)):
        maybe(key, rng.random() >= p_missing, True)
    name = _NAMES[rng.randrange(len(_NAMES))]
    return {"policy": POLICY, "department": f"{name}（合成样本{i + 1}）", "year": YEAR, "facts": facts}


def departments(n: int, seed: int = 2023) -> Iterator[dict]:
    """n synthetic departments, one at a time."""
    rng = random.Random(seed)
    for i in range(n):
        yield department(rng, i)


def lines(n: int, seed: int = 2023) -> Iterator[str]:
    """The same departments as JSON Lines text (each ends with a newline)."""
    for d in departments(n, seed):
        yield json.dumps(d, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of departments")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args(argv)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        out.writelines(lines(args.n, args.seed))
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
