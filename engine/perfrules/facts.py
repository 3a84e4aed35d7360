"""Read a department's fact document against the facts its policy declares.

Each value is read by its fact type (values.py), and values read together are checked side by
side and noted for the report (written.py); derived facts are computed here, in Decimal
(decimal's 28-digit context). Numbers are kept exact, never rounded, so that every matcher
and the scorer compare the same value. All problems in a document are collected and raised
together.
"""
from __future__ import annotations

import ast
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from . import expr, limits, overrides, read_plan, written
from .load import Document, json_path
from .methods.manual import ManualParams
from .methods.weighted import weight_problems
from .model import NUMERIC_TYPES, Department, FactDecl, Leaf, Path, Policy
from .problems import InputError, Problem, did_you_mean
from .schema import schema_problems
from .values import shown


def read_department(doc: Document, policy: Policy) -> Department:
    """Check a fact document against the policy; raise InputError with every problem found."""
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "事实文件最外层应是“字段: 值”的映射。", "The top level must be a mapping.")])
    if not _plainly_valid(doc.data):
        problems = schema_problems(doc, "facts.schema.json")
        if problems:
            raise InputError(problems)
    d = doc.data
    reader = _Reader(doc, policy)
    values, items = reader.read(d["facts"])
    if not reader.problems:
        reader.problems += written.form_problems(doc, policy, reader.given, values, items)
    if d.get("year") is not None and d["year"] != policy.year:
        reader.err("E204", ("year",), f"事实文件的年度 {d['year']} 与评分办法 {policy.id} 的年度 {policy.year} 不一致。",
                   f"year {d['year']} does not match the policy's {policy.year}",
                   hint=f"把 year 改为 {policy.year}，或换用 {d['year']} 年度的评分办法（--policy）。")
    for ind, key in _manual_scores(policy):   # manual scores must lie within the indicator's points
        if key in values and values[key] is not None and not 0 <= values[key] <= ind.points:
            reader.err("E408", ("facts", key), f"手工评分“{key}”为 {expr.fmt(values[key])}，应在 0 到指标 {ind.id}“{ind.name}”"
                       f"的分值 {expr.fmt(ind.points)} 之间。",
                       f"manual score '{key}' is {expr.fmt(values[key])}; it must lie between 0 and the "
                       f"{expr.fmt(ind.points)} points of {ind.id}")
    if not reader.problems and read_plan.plan(policy).weighted:   # weighted leaves must carry their points
        _weights(reader, policy, items)
    judged = overrides.read(doc, policy, reader.err) if d.get("overrides") else ()
    if reader.problems:
        raise InputError(reader.problems)
    code = d.get("code")
    return Department(file=doc.file, name=d["department"], values=values, items=items,
                      short_name=d.get("short_name", ""), code="" if code is None else str(code),
                      year=d.get("year"), policy_ref=d.get("policy"), claimed=d.get("claimed"),
                      project=d.get("project", ""), overrides=judged,
                      warnings=written.notes(doc, policy, reader.given, values, items), written=reader.given)


def _weights(reader: "_Reader", policy: Policy, items: Mapping[str, list[dict]]) -> None:
    """E410 at the list fact (or the facts, if it was not given) for each weighted leaf whose
    records' weights cannot carry its points (methods/weighted.py)."""
    data = reader.doc.data
    assert isinstance(data, dict)         # read_department has checked the shape
    given = data["facts"]
    for leaf, zh, en in weight_problems(policy, items):
        key = leaf.method.items     # type: ignore[attr-defined]  # WeightedParams
        reader.err("E410", ("facts", key) if key in given else ("facts",), zh, en, at_key=True)


def _formula_text(decl: FactDecl) -> str:
    return decl.formula.text if decl.formula is not None else ""


@lru_cache(maxsize=64)
def _formula_names(policy: Policy) -> dict[str, str]:
    return {expr.formula_name(k): k for k in policy.facts}


@lru_cache(maxsize=64)
def _manual_scores(policy: Policy) -> list[tuple[Leaf, str]]:
    """(leaf, score fact) for every manually scored leaf: the score must lie within its points."""
    return [(leaf, leaf.method.score) for leaf in policy.leaves() if isinstance(leaf.method, ManualParams)]


_TOP_KEYS = {"policy", "department", "project", "short_name", "code", "year", "facts", "claimed"}


def _nonempty_text(x) -> bool:
    return isinstance(x, str) and x != ""


def _plainly_valid(d: dict) -> bool:
    """A fast check that implies schemas/facts.schema.json holds (batch evaluates thousands of
    documents a second); anything it is unsure of goes through jsonschema for located errors."""
    return (d.keys() <= _TOP_KEYS and ("claimed" not in d or _plain_claim(d["claimed"]))
            and _nonempty_text(d.get("department")) and isinstance(d.get("facts"), dict)
            and ("policy" not in d or _nonempty_text(d["policy"]))
            and ("short_name" not in d or _nonempty_text(d["short_name"]))
            and ("project" not in d or _nonempty_text(d["project"]))
            and ("code" not in d or type(d["code"]) in (str, int))
            and ("year" not in d or (type(d["year"]) is int and 2000 <= d["year"] <= 2100)))


def _number(x: object) -> bool:
    """A JSON Schema number as our readers give one: an int (not a bool) or a finite Decimal."""
    return type(x) is int or (isinstance(x, Decimal) and x.is_finite())


def _plain_claim(c: object) -> bool:
    """The claim as facts.schema.json has it: {score >= 0, deductions: [{indicator, points > 0, reason}]}."""
    if not isinstance(c, dict) or not c.keys() <= {"score", "deductions"} or not _number(c.get("score")) \
            or c["score"] < 0:
        return False
    ds = c.get("deductions", [])
    return isinstance(ds, list) and all(
        isinstance(x, dict) and x.keys() <= {"indicator", "points", "reason"} and _nonempty_text(x.get("indicator"))
        and _number(x.get("points")) and x["points"] > 0 and isinstance(x.get("reason", ""), str) for x in ds)


class _Reader:
    def __init__(self, doc: Document, policy: Policy):
        self.doc, self.policy = doc, policy
        self.problems: list[Problem] = []
        self.given: dict = {}           # the facts as written, under the keys the policy names them by

    def err(self, code: str, path: Path, zh: str, en: str = "", hint: str = "", at_key: bool = False,
            hint_en: str = "") -> None:
        self.problems.append(self.doc.problem(code, path, zh, en, hint, hint_en, at_key=at_key))

    def read(self, given: dict):
        decls = self.policy.facts
        plan = read_plan.plan(self.policy)
        values, items = {}, {}
        base = ("facts",)
        given = self.given = self.by_formula_name(given, base)
        for key in (() if given.keys() <= plan.input_keys else given):   # the common case: nothing to say
            if key not in decls:
                self.err("E403", base + (key,), f"评分办法 {self.policy.id} 没有声明事实“{key}”。",
                         f"policy {self.policy.id} declares no fact '{key}'", at_key=True,
                         # a file of 100,000 stray keys: no difflib for each
                         **_did_you_mean(str(key), [k for k, f in decls.items() if not f.derived] if len(self.problems) < 100 else []))
            elif decls[key].derived:
                self.err("E403", base + (key,), f"“{key}”由公式计算（{_formula_text(decls[key])}），不需要填写。",
                         f"'{key}' is computed by a formula; do not give it", at_key=True)
        bools = self.doc.yaml11_bools
        for key, decl, read, limited, yaml11_matters in plan.inputs:
            if key in given:
                raw = given[key]
                if bools and yaml11_matters and json_path(self.doc.written(base + (key,))) in bools:
                    # as for record fields: a text "Y" is just text
                    self.err("E107", base + (key,), f"“{key}”写成了 YAML 1.1 的是非词 {raw}，含义不明确。",
                             f"'{key}' is a YAML 1.1 yes/no word")
                    continue
                value, problem = read(decl, raw)
                if problem is None and limited:
                    problem = _beyond_limits(decl, value)
                if problem:
                    self.err(problem[2], base + (key,), f"事实“{key}”（{decl.label}）{problem[0]}", f"fact '{key}': {problem[1]}")
                    continue
            elif decl.required:
                self.err("E401", base, f"缺少必填事实“{key}”（{decl.label}）。", f"missing required fact '{key}'",
                         hint=f"在 facts 下加上一行“{key}: …”。", at_key=True)
                continue
            elif decl.type == "list":
                value = []
            else:
                value = decl.default
            if decl.type == "list":
                items[key] = self.read_records(decl, plan.lists[key].fields, value, base + (key,))
            else:
                values[key] = value
        if not self.problems:
            self.derive(self.policy.derived_order, values, base, given)
            for key in plan.derived_lists:
                order = plan.lists[key].derived
                env = dict(values)      # one scope per list: each record overwrites every field
                for i, rec in enumerate(items[key]):
                    env.update(rec)
                    self.derive(order, rec, base + (key, i), rec, env)
        return values, items

    def by_formula_name(self, given: dict, base: Path) -> dict:
        """A key written full-width (Ａ率) names the fact A率, as in a formula or a CSV header;
        problems about it still point at the key as written, and both spellings is E104."""
        if given.keys() <= self.policy.facts.keys():
            return dict(given)      # every key as the policy spells it: nothing to rename
        names = _formula_names(self.policy)
        out: dict = {}
        written: dict = {}          # fact key -> the key as the file wrote it
        for key, value in given.items():
            k = key if key in self.policy.facts or not isinstance(key, str) else names.get(expr.formula_name(key), key)
            if k in out:
                self.err("E104", base + (key,), f"“{key}”与“{written[k]}”是同一个事实，只能写一次。",
                         f"'{key}' and '{written[k]}' are one fact", at_key=True)
                continue
            out[k], written[k] = value, key
            if k != key:
                self.doc.aliases[base + (k,)] = base + (key,)
        return out

    def read_records(self, decl: FactDecl, fields: tuple[read_plan.Field, ...], records, path) -> list[dict]:
        out: list[dict] = []
        too_many = limits.records_problem(len(records))
        if too_many:     # located at the first record beyond the limit; none is read
            self.err(too_many[2], path + (limits.MAX_RECORDS,), f"列表“{decl.key}”{too_many[0]}",
                     f"list '{decl.key}': {too_many[1]}")
            return out
        bools = self.doc.yaml11_bools
        for i, rec in enumerate(records):
            p = path + (i,)
            if not isinstance(rec, dict):
                self.err("E402", p, f"“{decl.key}”的第 {i + 1} 项应是“字段: 值”的记录。", "each record must be a mapping")
                continue
            row = {}
            for k in (() if rec.keys() <= decl.input_keys else rec):
                if k not in decl.fields or decl.fields[k].formula is not None:
                    self.err("E403", p + (k,), f"“{decl.key}”的记录没有字段“{k}”。", f"records of '{decl.key}' have no field '{k}'",
                             **_did_you_mean(str(k), [f for f, x in decl.fields.items() if not x.derived]), at_key=True)
            for k, f, read, limited, yaml11_matters in fields:
                if k in rec:
                    if bools and yaml11_matters and json_path(p + (k,)) in bools:   # a name "N" is just text
                        self.err("E107", p + (k,), f"“{decl.key}”第 {i + 1} 项的“{k}”写成了 YAML 1.1 的是非词 {rec[k]}，含义不明确。",
                                 f"'{k}' in record {i + 1} of '{decl.key}' is a YAML 1.1 yes/no word")
                        continue
                    value, problem = read(f, rec[k])
                    if problem is None and limited:
                        problem = _beyond_limits(f, value)
                    if problem:
                        self.err(problem[2], p + (k,), f"“{decl.key}”第 {i + 1} 项的“{k}”{problem[0]}",
                                 f"'{k}' in record {i + 1} of '{decl.key}': {problem[1]}")
                        continue
                    row[k] = value
                elif f.required:
                    self.err("E401", p, f"“{decl.key}”第 {i + 1} 项缺少“{k}”。", f"record {i + 1} of '{decl.key}' lacks '{k}'")
                else:
                    row[k] = f.default
            out.append(row)
        return out

    def derive(self, order, values: dict, path, given, env=None) -> None:
        """Compute derived facts; `order` puts each after the facts its formula reads. The first
        that cannot be computed, or falls outside its bounds, is a problem and ends the scope."""
        env = values if env is None else env
        for f in order:
            key = f.key
            try:
                value = expr.compute(f.formula, env)
            except expr.EvalError as exc:
                self._not_computed(f, exc, env, path, given)
                return
            if f.type in NUMERIC_TYPES:      # the formula's type is number
                assert isinstance(value, Decimal)
                if abs(value) >= expr.MAX_ABS:
                    self.err("E405", path, f"“{key}”的计算结果过大。", f"'{key}' is too large")
                    return
                # a declared min/max binds derived facts too: bands are checked for gaps from min
                if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                    self._out_of_bounds(f, value, path, given)
                    return
            values[key] = value
            env[key] = value

    def _not_computed(self, f, exc: expr.EvalError, env, path, given) -> None:
        zero = _zero_divisor(f.formula.tree, env, given)   # point at the divisor that is 0
        first = zero or next((n for n in f.formula.names if n in given), None)
        at = path + ((first,) if first else ())
        why, why_en = ("除数“" + zero + "”为 0", f"the divisor '{zero}' is 0") if zero else (str(exc), "cannot be computed")
        self.err("E405", at, f"无法计算“{f.key}”（{f.formula.text}）：{why}。", f"cannot compute '{f.key}': {why_en}")

    def _out_of_bounds(self, f, value: Decimal, path, given) -> None:
        first = next((n for n in f.formula.names if n in given), None)
        bound = f"不能小于 {shown(f, f.min)}" if f.min is not None and value < f.min else f"不能大于 {shown(f, f.max)}"
        self.err("E407", path + ((first,) if first else ()),
                 f"“{f.key}”（{f.formula.text}）算得 {shown(f, value)}，{bound}。",
                 f"'{f.key}' computes to {shown(f, value)}, outside its declared min/max")


def _beyond_limits(decl: FactDecl, value: object):
    """A text (or one of a list of texts) longer than durable_rules can compare (limits.py)."""
    if decl.type == "text" and isinstance(value, str):
        return limits.text_problem(value)
    if decl.type == "texts" and isinstance(value, list):
        return next((p for p in map(limits.text_problem, value) if p), None)
    return None


def _did_you_mean(name: str, candidates) -> dict:
    """hint / hint_en keywords for a misspelt name, or for one with invisible characters in it
    (a zero-width or full-width space from an input method) that looks right on screen."""
    hidden = [ch for ch in name if unicodedata.category(ch) in ("Cf", "Zs") and ch != " "]
    if hidden:
        codes = "、".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
        return {"hint": f"名称中有看不见的字符 {codes}（零宽字符或全角空格），删去即可。",
                "hint_en": f"The name holds invisible characters ({codes.replace('、', ', ')}); delete them."}
    return {"hint": did_you_mean(name, candidates) or "", "hint_en": did_you_mean(name, candidates, "en") or ""}


def _zero_divisor(tree: ast.AST, env: Mapping[str, object], given: Mapping[str, object]) -> str | None:
    """The first given fact that is 0 on the right of a '/' (0/0 and x/0 alike)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for sub in ast.walk(node.right):
                if isinstance(sub, ast.Name) and sub.id in given and env.get(sub.id) == 0:
                    return sub.id
    return None
