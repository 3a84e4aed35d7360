"""Step 2 — validate: a policy document becomes a frozen Policy, or problems.

JSON Schema first (schema.py), then the passes a schema cannot express, in this order:
facts (declarations and defaults), formulas (parsed, typed, no loops), grades, indicators
(each leaf's method builds and checks its own parameters and rules: methods/), totals.
All problems in a file are collected (most relevant first) and raised together as an
InputError. A policy that passes here compiles and scores without surprises.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, Mapping

from . import expr, limits, overrides, resources, units
from .load import Document, json_path, load_file, load_text
from .methods import METHODS, Checks, Head
from .methods.base import dec, name_hints, reason_paths
from .model import NUMERIC_TYPES, FactDecl, Grade, Group, Indicator, Leaf, Path, Policy, Spending
from .problems import InputError, Problem, show_value
from .schema import schema_problems, yaml11_problems
from .values import DEFAULT_MONEY_UNIT, coerce

_KIND_ZH = {"number": "数值", "boolean": "是/否", "text": "文字"}


def load_policy(path: Any) -> Policy:
    return policy_from_document(load_file(path))


def load_policy_text(text: str, file: str = "<policy>") -> Policy:
    return policy_from_document(load_text(text, file))


def policy_from_document(doc: Document) -> Policy:
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "评分办法文件最外层应是“字段: 值”的映射。",
                                      "The top level of a policy must be a mapping.")])
    problems = yaml11_problems(doc) + ([] if schema_passed(doc.data) else schema_problems(doc, "policy.schema.json"))
    if problems:
        raise InputError(problems)
    builder = _PolicyBuilder(doc)
    policy = builder.build()
    if builder.problems:
        raise InputError(builder.problems)
    return policy


# The shipped policies' content hashes, each checked against policy.schema.json when they were
# shipped (tests/test_schema_passed.py keeps the list current): for them the schema check, and
# importing jsonschema, is skipped on every run (issue 12: 70 ms of a one-file evaluate).
# Any other content, or another schema, is checked in full; the passes below always run.
PASSED = "policy.passed.json"


def schema_passed(data: object) -> bool:
    passed = _passed()
    if not passed:
        return False
    try:
        return content_hash(data) in passed
    except (TypeError, ValueError, RecursionError):    # content no shipped policy has (bytes from !!binary…)
        return False


@lru_cache(maxsize=1)
def _passed() -> frozenset[str]:
    try:
        record = json.loads(resources.schema_path(PASSED).read_text("utf-8"))
        schema = hashlib.sha256(resources.schema_path("policy.schema.json").read_bytes()).hexdigest()
    except (OSError, ValueError):
        return frozenset()
    return frozenset(record.get("policies", ())) if record.get("schema") == schema else frozenset()


def passed_record() -> dict:
    """What PASSED should hold now: the schema's sha256 and each shipped policy's content hash
    (of those that pass the schema)."""
    out = []
    for path in resources.policy_ids().values():
        doc = load_file(path)
        if isinstance(doc.data, dict) and not schema_problems(doc, "policy.schema.json"):
            out.append(content_hash(doc.data))
    return {"schema": hashlib.sha256(resources.schema_path("policy.schema.json").read_bytes()).hexdigest(),
            "policies": sorted(out)}


def content_hash(data: object) -> str:
    """sha256 of the exact content, numbers as written (not floats): it names the engine's
    ruleset, so two policies that differ anywhere must never share one."""
    return hashlib.sha256(json.dumps(_exact(data), ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _exact(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, (Decimal, float)):
        return {"decimal": str(value)}
    return value


class _Stop(Exception):
    pass


class _PolicyBuilder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Problem] = []

    def err(self, code: str, path: Path, zh: str, en: str = "", hint: str = "", hint_en: str = "",
            at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(code, path, zh, en, hint, hint_en, at_key))

    def build(self) -> Policy:
        d = self.doc.data
        assert isinstance(d, dict)
        pending: dict[Path, str] = {}
        facts = self.build_facts(d["facts"], ("facts",), pending)
        types = {k: f.expr_type for k, f in facts.items() if f.expr_type}
        self.check_formulas(facts, types, pending)
        full = dec(d["full_score"])
        grades = self.build_grades(d["grades"], full)
        self.checks = Checks(facts, self.err)
        ids: dict[str, Path] = {}
        tops = tuple(self.build_indicator(x, ("indicators", i), ids, ()) for i, x in enumerate(d["indicators"]))
        spending = self.build_spending(d.get("report"))
        limits.policy_problems(self.checks.rules, facts, self.err)     # what durable_rules cannot run
        total = sum((t.points for t in tops), Decimal(0))
        if total != full:
            self.err("E302", ("full_score",), f"一级指标分值之和为 {expr.fmt(total)}，与满分 {expr.fmt(full)} 不符。",
                     f"top-level points add up to {expr.fmt(total)}, not {expr.fmt(full)}")
        return Policy(
            id=d["id"], title=d["title"], year=d["year"], version=str(d["version"]), full_score=full,
            grades=grades, facts=facts, indicators=tops, rules=tuple(self.checks.rules), title_en=d.get("title_en", ""),
            region=d.get("region", ""), subject=d.get("subject", "部门整体支出绩效"),
            subject_en=d.get("subject_en", "overall expenditure performance"), file=self.doc.file,
            sha256=content_hash(d), spending=spending)

    def build_spending(self, raw: Mapping[str, str] | None) -> Spending | None:
        """`report: {budget, actual, rate}`: facts of the right types (the schema has the keys)."""
        if raw is None:
            return None
        for key, want in (("budget", set(NUMERIC_TYPES)), ("actual", set(NUMERIC_TYPES)), ("rate", {"percent"})):
            self.checks.fact_of(raw[key], ("report", key), want, f"report 的 {key} ")
        return Spending(raw["budget"], raw["actual"], raw["rate"])

    # -- facts ---------------------------------------------------------------------------------
    def build_facts(self, items: list[dict[str, Any]], path: Path, pending: dict[Path, str]) -> dict[str, FactDecl]:
        """Declarations; a formula's text goes to `pending` (by the fact's path), parsed once
        every fact is known."""
        out: dict[str, FactDecl] = {}
        seen: dict[str, str] = {}          # the name a formula sees -> the key declared first
        for i, f in enumerate(items):
            p = path + (i,)
            key = f["key"]
            first = seen.setdefault(expr.formula_name(key), key)
            if key in out or first != key:
                self.err("E305", p + ("key",), f"事实名“{key}”重复声明。" if key in out else
                         f"事实名“{key}”与“{first}”在公式中无法区分（全角与半角字母、数字视为相同）。",
                         f"fact '{key}' declared twice" if key in out else
                         f"fact '{key}' and '{first}' are one name in a formula")
                continue
            fields: dict[str, FactDecl] = {}
            if f["type"] == "list":
                fields = self.build_facts(f["fields"], p + ("fields",), pending)
                if "formula" in f:
                    self.err("E311", p + ("formula",), "列表类事实不能有公式。", "a list fact cannot have a formula")
            elif "fields" in f:
                self.err("E203", p + ("fields",), "只有 type: list 的事实才有 fields。", "only list facts have fields", at_key=True)
            if "options" in f and f["type"] != "choice":
                self.err("E203", p + ("options",), "只有 type: choice 的事实才有 options。", "only choice facts have options", at_key=True)
            decl = FactDecl(
                key=key, type=f["type"], label=f.get("label", key), label_en=f.get("label_en", ""),
                description=f.get("description", ""), required=f.get("required", False),
                options=tuple(f.get("options", ())), path=p, fields=fields, has_default="default" in f,
                min=self.bound(f, "min", p) if "min" in f else (Decimal(0) if f["type"] in ("money", "count") else None),
                max=self.bound(f, "max", p), **self.money_unit(f, p))
            if "formula" in f and f["type"] != "list":
                if decl.required or decl.has_default:
                    self.err("E203", p + ("formula",), "派生事实由公式计算，不能同时声明 required 或 default。",
                             "a derived fact cannot be required or have a default", at_key=True)
                pending[p] = f["formula"]
            elif "formula" not in f and not decl.required and not decl.has_default and f["type"] != "list":
                self.err("E201", p, f"事实“{key}”既不是必填（required: true），也没有默认值（default）。",
                         f"fact '{key}' is neither required nor has a default",
                         hint="加上 required: true，或给出 default。", hint_en="add required: true or a default")
            if decl.has_default:
                decl = self.default(decl, f["default"], p)
            out[key] = decl
        return out

    def bound(self, f: Mapping[str, Any], which: str, p: Path) -> Decimal | None:
        """A declared min or max, written in the form its fact takes (100%, not 1, for a percent)."""
        if which not in f:
            return None
        raw = f[which]
        problem = units.constant(raw, f["key"], f["type"], which, which)
        if problem:
            self.err("E316", p + (which,), problem[0], problem[1])
        try:
            return expr.number_text(raw) if isinstance(raw, str) else dec(raw)
        except (ValueError, ArithmeticError):
            self.err("E202", p + (which,), f"{which} 应为数字或百分比（如 100%），实际是 {show_value(raw)}。",
                     f"{which} must be a number or a percent")
            return None

    def money_unit(self, f: Mapping[str, Any], p: Path) -> dict[str, Any]:
        """unit and plausible: only for money (a money fact is held in 万元 unless it says)."""
        if f["type"] != "money":
            for k in ("unit", "plausible"):
                if k in f:
                    self.err("E203", p + (k,), f"只有 type: money 的事实才有 {k}。", f"only money facts have {k}", at_key=True)
            return {}
        unit = f.get("unit", DEFAULT_MONEY_UNIT)
        plausible = tuple(dec(x) for x in f["plausible"]) if "plausible" in f else None
        if plausible is not None and plausible[0] > plausible[1]:
            self.err("E204", p + ("plausible",), "plausible 应写成 [下限, 上限]，下限不能大于上限。",
                     "plausible is [low, high] with low <= high")
        return {"unit": unit, "plausible": plausible}

    def default(self, decl: FactDecl, raw: object, p: Path) -> FactDecl:
        value, problem = coerce(decl, raw)       # the same reading as fact files
        if problem:
            self.err("E202", p + ("default",), f"默认值不符合类型 {decl.type}：{problem[0]}", problem[1])
            value = raw
        if decl.type == "choice" and value not in decl.options:
            self.err("E204", p + ("default",), "默认值不在 options 中。", "default is not one of the options")
        return dataclasses.replace(decl, default=value)

    def check_formulas(self, facts: dict[str, FactDecl], types: Mapping[str, str], pending: Mapping[Path, str]) -> None:
        """Parse every formula (list records see their own fields too); refuse loops."""
        deps: dict[str, tuple[str, ...]] = {}
        for key, f in list(facts.items()):
            if f.type == "list":
                inner = {**types, **{k: x.expr_type for k, x in f.fields.items() if x.expr_type}}
                self.check_formulas(f.fields, inner, pending)    # type: ignore[arg-type]  # built here, a dict
                continue
            if f.path not in pending:
                continue
            try:
                formula, kind = expr.parse(pending[f.path], dict(types))
            except expr.ExprError as e:
                hint, hint_en = name_hints(e, types)
                self.err(e.code, f.path + ("formula",), f"事实“{key}”的公式：{e.zh}", e.en, hint=hint, hint_en=hint_en)
                continue
            if kind != f.expr_type:
                self.err("E311", f.path + ("formula",), f"公式的结果是{_KIND_ZH[kind]}，但“{key}”声明为 {f.type}。",
                         f"the formula gives a {kind} but '{key}' is {f.type}")
            unit_problem = units.formula(pending[f.path], {k: x.type for k, x in facts.items()})
            if unit_problem:
                self.err("E316", f.path + ("formula",), f"事实“{key}”的公式：{unit_problem[0]}", unit_problem[1])
            facts[key] = dataclasses.replace(f, formula=formula)
            deps[key] = tuple(n for n in formula.names if n in facts and facts[n].path in pending)
        state: dict[str, int] = {}

        def visit(k: str, trail: list[str]) -> None:
            if state.get(k) == 2:
                return
            if state.get(k) == 1:
                loop = trail[trail.index(k):] + [k]
                self.err("E314", facts[k].path + ("formula",), "派生事实循环引用：" + " → ".join(loop),
                         "derived facts refer to each other in a loop: " + " -> ".join(loop))
                raise _Stop
            state[k] = 1
            for d in deps.get(k, ()):
                visit(d, trail + [k])
            state[k] = 2
        try:
            for k in deps:
                visit(k, [])
        except _Stop:
            for k in deps:
                facts[k] = dataclasses.replace(facts[k], formula=None)

    # -- grades and indicators -----------------------------------------------------------------
    def build_grades(self, items: list[dict[str, Any]], full: Decimal) -> tuple[Grade, ...]:
        grades = tuple(Grade(g["grade"], dec(g["min"]), g.get("grade_en", "")) for g in items)
        mins = [g.min for g in grades]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            self.err("E313", ("grades",), "等级应按最低分从高到低排列，且各不相同。", "grades must go from the highest min down")
        elif mins[-1] != 0:
            self.err("E313", ("grades", len(grades) - 1, "min"), "最低一档的 min 应为 0，否则部分得分没有等级。",
                     "the lowest grade must have min 0")
        elif mins[0] > full:
            self.err("E313", ("grades", 0, "min"), "最高一档的 min 超过了满分。", "the top grade's min is above the full score")
        return grades

    def build_indicator(self, x: dict[str, Any], path: Path, ids: dict[str, Path], ancestors: tuple[str, ...]) -> Indicator:
        head = Head(x["id"], x["name"], dec(x["points"]))
        common = dict(id=head.id, name=head.name, points=head.points, name_en=x.get("name_en", ""),
                      confidence=x.get("confidence", ""), basis=x.get("basis", ""),
                      criteria=x.get("criteria", ""), path=path, ancestors=ancestors)
        if head.id in ids:
            self.err("E305", path + ("id",), f"指标编号“{head.id}”重复（另一处在 {json_path(ids[head.id])}）。",
                     f"indicator id '{head.id}' is used twice")
        ids[head.id] = path
        allowed = overrides.bounds(x, head.points, "children" not in x, path, self.err)
        if head.points.normalize().as_tuple().exponent < -2:   # type: ignore[operator]  # scores are kept to the cent
            self.err("E205", path + ("points",), f"指标 {head.id} 的分值 {expr.fmt(head.points)} 超过两位小数；分值最多保留两位小数。",
                     f"{head.id}: points {expr.fmt(head.points)} have more than two decimal places")
        if "children" in x:
            children = tuple(self.build_indicator(c, path + ("children", i), ids, ancestors + (head.id,))
                             for i, c in enumerate(x["children"]))
            total = sum((c.points for c in children), Decimal(0))
            if total != head.points:
                self.err("E301", path + ("points",),
                         f"指标 {head.id}“{head.name}”分值为 {expr.fmt(head.points)}，但下级指标分值之和为 {expr.fmt(total)}。",
                         f"{head.id} has {expr.fmt(head.points)} points but its children add up to {expr.fmt(total)}")
            if "method" in x:
                self.err("E203", path + ("method",), f"指标 {head.id} 有下级指标，不能再写 method；计分方法写在最下级指标上。",
                         "an indicator with children has no method", at_key=True)
            return Group(children=children, **common)
        if "method" not in x:
            self.err("E201", path, f"最下级指标 {head.id}“{head.name}”缺少计分方法 method。",
                     f"leaf indicator {head.id} has no method", at_key=False)
            return Group(children=(), **common)  # refused anyway
        return self.build_leaf(head, x["method"], path + ("method",), {**common, "override": allowed})

    def build_leaf(self, head: Head, m: dict[str, Any], path: Path, common: dict[str, Any]) -> Leaf:
        method = METHODS[m["kind"]]
        first = len(self.checks.rules)
        built = method.build(self.checks, head, m, path)
        rules = tuple(self.checks.rules[first:])
        for text, tp in built.templates + reason_paths(rules, m, path):
            self.checks.template(text, tp, method.fields)
        used = tuple(dict.fromkeys(method.facts_read(built.params, rules)))
        return Leaf(method=built.params, rules=rules, reason=built.reason, reason_en=built.reason_en,
                    facts_used=used, **common)

