"""The Panyu 2023 policy as a GoRules zen-engine decision graph (JDM), built here in Python.

    input -> derive (expression node: spending rate, each indicator's gap, unrounded as in perfrules)
          -> deductions (decision table, hit policy "collect": one row per rule that can
             deduct; its output is the leaf indicator and the points it takes)
          -> score (expression node: per leaf, the sum of its deductions capped at the
             leaf's points; the total half-up to 2 places)
          -> output

ZEN identifiers are ASCII only (a Chinese fact name is a lexer error), so `context()` maps the
record's facts to ASCII keys and parses "1234.56万元" and "92.5%" with the floor's `number()`.
ZEN computes in decimal, and its round() is half away from zero, which for these non-negative
values is perfrules' half-up. zen-engine is a benchmark-only dependency (see README.md).
"""
from __future__ import annotations

import json

from plain import number

# (leaf id, points) in policy order
LEAVES = [("YS-01", 10), ("LZ-01", 40), ("LZ-02", 10), ("GL-01", 3), ("GL-02", 10), ("GL-03", 9), ("GL-04", 9),
          ("GL-05", 9)]

# the deductions table: (leaf, condition, points deducted); cells are ZEN expressions
_BAND1, _BAND2, _BAND3 = "# > 0 and # <= 0.1", "# > 0.1 and # <= 0.2", "# > 0.2"
ROWS = [
    ("YS-01", "rate < 1", "10 - round(max([rate, 0]) * 10, 2)"),
    ("LZ-01", f"some(gaps, {_BAND1})", f"count(gaps, {_BAND1}) * 0.5"),
    ("LZ-01", f"some(gaps, {_BAND2})", f"count(gaps, {_BAND2}) * 1"),
    ("LZ-01", f"some(gaps, {_BAND3})", f"count(gaps, {_BAND3}) * 2"),
    ("LZ-02", "tasks > 0", "tasks * 2"),
    ("GL-01", "finance_rules == false", "1"),
    ("GL-01", "target_rules == false", "0.5"),
    ("GL-01", "monitoring_rules == false", "0.5"),
    ("GL-01", "evaluation_rules == false", "0.5"),
    ("GL-01", "results_rules == false", "0.5"),
    ("GL-02", "budget_prepared == false", "2.5"),
    ("GL-02", "accounts_prepared == false", "2.5"),
    ("GL-02", "budget_disclosed == false", "2.5"),
    ("GL-02", "accounts_disclosed == false", "2.5"),
    ("GL-03", "procurement_irregularities > 0", "procurement_irregularities * 3"),
    ("GL-04", "asset_irregularities > 0", "asset_irregularities * 3"),
    ("GL-05", "monitoring_done == false", "3"),
    ("GL-05", "self_evaluation_done == false", "3"),
    ("GL-05", "materials_on_time == false", "3"),
]

_BOOLEANS = {  # ASCII key -> fact; a boolean left out means its default, true
    "finance_rules": "有内部财务管理制度", "target_rules": "有绩效目标管理制度", "monitoring_rules": "有绩效运行监控制度",
    "evaluation_rules": "有绩效评价管理制度", "results_rules": "有评价结果应用制度",
    "budget_prepared": "按时编制预算", "accounts_prepared": "按时编制决算", "budget_disclosed": "公开预算",
    "accounts_disclosed": "公开决算", "monitoring_done": "开展绩效运行监控", "self_evaluation_done": "开展绩效自评",
    "materials_on_time": "按时报送自评材料",
}
_COUNTS = {"tasks": "未完成重点工作任务数", "procurement_irregularities": "采购违规事项数",
           "asset_irregularities": "资产管理违规事项数"}


def _node(id_: str, type_: str, name: str, x: int, content: dict | None = None) -> dict:
    node = {"id": id_, "type": type_, "name": name, "position": {"x": x * 250, "y": 0}}
    if content is not None:
        node["content"] = content
    return node


def jdm() -> dict:
    derive = {"passThrough": True, "expressions": [
        {"id": "rate", "key": "rate", "value": "spent / budget"},
        {"id": "gaps", "key": "gaps",
         "value": "map(indicators, #.up ? max([0, (#.target - #.actual) / #.target])"
                  " : max([0, (#.actual - #.target) / #.target]))"},
    ]}
    table = {"hitPolicy": "collect", "passThrough": True, "outputPath": "deductions",
             "inputs": [{"id": "when", "name": "Condition", "field": ""}],
             "outputs": [{"id": "leaf", "name": "Indicator", "field": "leaf"},
                         {"id": "points", "name": "Deduction", "field": "points"}],
             "rules": [{"_id": f"r{i}", "when": cond, "leaf": json.dumps(leaf), "points": pts}
                       for i, (leaf, cond, pts) in enumerate(ROWS)]}
    lost = [{"id": f"d{i}", "key": leaf.replace("-", "_"),
             "value": f"min([sum(map(filter(deductions, #.leaf == '{leaf}'), #.points)), {points}])"}
            for i, (leaf, points) in enumerate(LEAVES)]
    total = " + ".join(f"$.{leaf.replace('-', '_')}" for leaf, _ in LEAVES)
    score = {"expressions": lost + [{"id": "score", "key": "score", "value": f"round(max([0, 100 - ({total})]), 2)"}]}
    nodes = [_node("in", "inputNode", "Request", 0), _node("derive", "expressionNode", "derive", 1, derive),
             _node("deductions", "decisionTableNode", "deductions", 2, table),
             _node("score", "expressionNode", "score", 3, score), _node("out", "outputNode", "Response", 4)]
    order = ["in", "derive", "deductions", "score", "out"]
    edges = [{"id": f"e{i}", "sourceId": a, "targetId": b, "type": "edge"} for i, (a, b) in enumerate(zip(order, order[1:]))]
    return {"nodes": nodes, "edges": edges}


def context(record: dict) -> dict:
    """The zen input for one record: ASCII keys, plain numbers, defaults filled in."""
    f = record["facts"]
    ctx = {"budget": float(number(f["全年预算数"])), "spent": float(number(f["实际支出数"])),
           "indicators": [{"target": float(number(r["目标值"])), "actual": float(number(r["实际值"])),
                           "up": r.get("方向", "正向") == "正向"} for r in f["绩效指标"]]}
    for key, fact in _BOOLEANS.items():
        ctx[key] = f.get(fact, True)
    for key, fact in _COUNTS.items():
        ctx[key] = f.get(fact, 0)
    return ctx


def decision():
    """A compiled zen decision of the graph (import zen only when asked)."""
    import zen
    return zen.ZenEngine().create_decision(json.dumps(jdm(), ensure_ascii=False))
