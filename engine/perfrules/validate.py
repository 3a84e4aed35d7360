"""Step 2 — validate: JSON Schema first, then what a schema cannot say; build the Policy.

All problems in a file are collected (most relevant first) and raised together as an
InputError. A policy that passes here compiles and evaluates without surprises.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import lru_cache

from . import expr, resources
from .load import Document, json_path, load_file, load_text
from .policy import NUMERIC_TYPES, FactDecl, Grade, Indicator, Method, Policy, Rule
from .problems import InputError, Problem, did_you_mean, suggest


# ---- JSON Schema -------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _validator(name: str):
    import jsonschema  # imported here: only validation needs it
    schema = json.loads(resources.schema_path(name).read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_problems(doc: Document, schema_name: str) -> list[Problem]:
    """Schema errors as located Chinese problems, the most relevant first."""
    from jsonschema.exceptions import best_match, relevance
    validator = _validator(schema_name)
    data = _jsonable(doc.data)
    errors = list(validator.iter_errors(data))
    if not errors:
        return []
    # descend into if/then branches: report the leaf error, not "then failed"
    flat = []
    for e in errors:
        flat.extend(_leaves(e))
    best = best_match(flat)
    # a misspelt key ("titel") is the cause of the "title is missing" beside it: report it first
    typo_at = {tuple(e.absolute_path) for e in flat if e.validator == "additionalProperties"}
    flat.sort(key=lambda e: (e.validator == "required" and tuple(e.absolute_path) in typo_at, e is not best, relevance(e)))
    seen, out = set(), []
    for e in flat:
        p = _schema_problem(doc, e)
        k = (p.line, p.col, p.message)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def _leaves(error):
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _jsonable(value):
    """Decimals become floats for the schema check only (the model keeps Decimals)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return _NonFinite(str(value))   # .inf / .nan: not a number a policy can use, and not text either
    return value


def _exact(value):
    """The document for hashing: Decimals as their exact text, keys as text."""
    if isinstance(value, dict):
        return {str(k): _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, (Decimal, float)):
        return {"decimal": str(value)}
    return value


class _NonFinite:
    """.inf / .nan for the schema check: neither number nor text, so a typed field refuses it
    (as text it slipped through where text was expected and crashed the builder)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self):
        return self.text


_TYPE_ZH = {"string": "文字", "number": "数字", "integer": "整数", "boolean": "true 或 false",
            "array": "列表（每项以“- ”开头）", "object": "“字段: 值”的映射", "null": "空值"}


def _type_zh(t) -> str:
    if isinstance(t, list):
        return "或".join(_TYPE_ZH.get(x, x) for x in t)
    return _TYPE_ZH.get(t, str(t))


def _schema_problem(doc: Document, e) -> Problem:
    path = tuple(e.absolute_path)
    title = e.schema.get("title", "") if isinstance(e.schema, dict) else ""
    field = str(path[-1]) if path else "文件"
    v, inst = e.validator, e.instance
    if v == "required":
        missing = e.message.split("'")[1] if "'" in e.message else str(e.validator_value)
        known = e.schema.get("properties", {}) if isinstance(e.schema, dict) else {}
        typo = suggest(missing, [k for k in inst if k not in known]) if isinstance(inst, dict) else None
        return doc.problem("E201", path, f"{_where(path)}缺少必填字段“{missing}”。", f"missing required field '{missing}'",
                           hint=f"“{typo}”是否是“{missing}”的误写？" if typo else f"在此处加上一行“{missing}: …”。",
                           hint_en=f"Is '{typo}' a misspelling of '{missing}'?" if typo else "", at_key=True)
    if v == "additionalProperties":
        allowed = sorted(e.schema.get("properties", {}))
        extra = [k for k in inst if k not in e.schema.get("properties", {})] if isinstance(inst, dict) else []
        name = extra[0] if extra else "?"
        hint = did_you_mean(name, allowed) or f"允许的字段：{'、'.join(allowed)}。"
        return doc.problem("E203", path + (name,), f"未知字段“{name}”。", f"unknown field '{name}'",
                           hint=hint, hint_en=did_you_mean(name, allowed, "en") or f"allowed: {', '.join(allowed)}",
                           at_key=True)
    if v == "type":
        return doc.problem("E202", path, f"“{field}”应为{_type_zh(e.validator_value)}，实际填写的是 {_show(inst)}。",
                           f"'{field}' should be {e.validator_value}, got {_show(inst, True)}")
    if v in ("enum", "const"):
        allowed = e.validator_value if v == "enum" else [e.validator_value]
        hint = did_you_mean(str(inst), [str(a) for a in allowed]) or f"可选：{'、'.join(map(str, allowed))}。"
        return doc.problem("E204", path, f"“{field}”的值 {_show(inst)} 不在允许范围内。",
                           f"'{field}': {_show(inst, True)} is not one of {allowed}", hint=hint,
                           hint_en=did_you_mean(str(inst), [str(a) for a in allowed], "en"))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        rel = {"minimum": "不能小于", "maximum": "不能大于", "exclusiveMinimum": "应大于", "exclusiveMaximum": "应小于"}[v]
        return doc.problem("E204", path, f"“{field}”{rel} {e.validator_value}，实际是 {_show(inst)}。",
                           f"'{field}': {e.message}", hint=f"改为{rel} {e.validator_value} 的数。")
    if v in ("minItems", "minLength", "minProperties"):
        return doc.problem("E201", path, f"“{field}”不能为空。", f"'{field}' cannot be empty")
    if v == "uniqueItems":
        return doc.problem("E305", path, f"“{field}”中有重复的值。", f"'{field}' has duplicate values")
    desc = e.schema.get("description", "") if isinstance(e.schema, dict) else ""
    return doc.problem("E205", path, f"“{field}”{('（' + title + '）') if title else ''}格式不符合要求：{_show(inst)}。" +
                       (f"要求：{desc}" if desc else ""), f"'{field}': {e.message}")


def _where(path) -> str:
    return f"{json_path(path)} " if path else "文件最外层"


def _show(value, en: bool = False) -> str:
    if isinstance(value, (dict, list)):
        if en:
            return "a mapping" if isinstance(value, dict) else "a list"
        return "（" + ("映射" if isinstance(value, dict) else "列表") + "）"
    if isinstance(value, str):
        return f"'{value[:30]}'" if en else f"“{value[:30]}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing" if en else "空值"
    return str(value)


def yaml11_problems(doc: Document) -> list[Problem]:
    """Plain yes/no/on/off are text in perfrules; in a policy they are always a mistake."""
    out = []
    for p in sorted(doc.yaml11_bools):
        steps = _parse_path(p)
        out.append(doc.problem("E107", steps, f"{p} 写的是 YAML 1.1 的是非词，含义不明确。",
                               f"{p} is a YAML 1.1 yes/no word; its meaning is ambiguous"))
    return out


def _parse_path(text: str) -> tuple:
    import re
    steps = []
    for m in re.finditer(r"\.([^.\[]+)|\[(\d+)\]", text):
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return tuple(steps)


# ---- the policy --------------------------------------------------------------------------

def load_policy(path) -> Policy:
    return policy_from_document(load_file(path))


def load_policy_text(text: str, file: str = "<policy>") -> Policy:
    return policy_from_document(load_text(text, file))


def policy_from_document(doc: Document) -> Policy:
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "评分办法文件最外层应是“字段: 值”的映射。",
                                      "The top level of a policy must be a mapping.")])
    problems = yaml11_problems(doc) + schema_problems(doc, "policy.schema.json")
    if problems:
        raise InputError(problems)
    builder = _PolicyBuilder(doc)
    policy = builder.build()
    if builder.problems:
        raise InputError(builder.problems)
    return policy


def _dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _percentish(x) -> Decimal:
    return expr.number_text(x) if isinstance(x, str) else _dec(x)


class _PolicyBuilder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Problem] = []
        self.rules: list[Rule] = []

    def err(self, code, path, zh, en="", hint="", hint_en="", at_key=False):
        self.problems.append(self.doc.problem(code, path, zh, en, hint, hint_en, at_key))

    # -- facts
    def build(self) -> Policy:
        d = self.doc.data
        self.facts = self.build_facts(d["facts"], ("facts",), scope={})
        self.types = {k: f.expr_type for k, f in self.facts.items() if f.expr_type}
        self.check_formulas(self.facts, ("facts",), self.types)
        full = _dec(d["full_score"])
        grades = self.build_grades(d["grades"], full)
        ids: dict[str, tuple] = {}
        tops = [self.build_indicator(x, ("indicators", i), ids, ()) for i, x in enumerate(d["indicators"])]
        total = sum((t.points for t in tops), Decimal(0))
        if total != full:
            self.err("E302", ("full_score",), f"一级指标分值之和为 {expr.fmt(total)}，与满分 {expr.fmt(full)} 不符。",
                     f"top-level points add up to {expr.fmt(total)}, not {expr.fmt(full)}")
        # the exact content, numbers as written (not floats): it names the durable ruleset, so
        # two policies that differ anywhere must never share one
        raw = json.dumps(_exact(d), ensure_ascii=False, sort_keys=True).encode("utf-8")
        return Policy(
            id=d["id"], title=d["title"], year=d["year"], version=str(d["version"]), full_score=full,
            grades=grades, facts=self.facts, indicators=tops, title_en=d.get("title_en", ""),
            region=d.get("region", ""), subject=d.get("subject", "部门整体支出绩效"),
            subject_en=d.get("subject_en", "overall expenditure performance"), file=self.doc.file, sha256=hashlib.sha256(raw).hexdigest(), rules=self.rules)

    def build_facts(self, items, path, scope) -> dict[str, FactDecl]:
        out: dict[str, FactDecl] = {}
        for i, f in enumerate(items):
            p = path + (i,)
            key = f["key"]
            if key in out or key in scope:
                self.err("E305", p + ("key",), f"事实名“{key}”重复声明。", f"fact '{key}' declared twice")
                continue
            decl = FactDecl(
                key=key, type=f["type"], label=f.get("label", key), label_en=f.get("label_en", ""),
                description=f.get("description", ""), required=f.get("required", False),
                options=tuple(f.get("options", ())), path=p,
                min=_dec(f["min"]) if "min" in f else (Decimal(0) if f["type"] in ("money", "count") else None),
                max=_dec(f["max"]) if "max" in f else None)
            if "default" in f:
                decl.default, decl.has_default = f["default"], True
            if f["type"] == "list":
                decl.fields = self.build_facts(f["fields"], p + ("fields",), scope={})
                if "formula" in f:
                    self.err("E311", p + ("formula",), "列表类事实不能有公式。", "a list fact cannot have a formula")
            elif "fields" in f:
                self.err("E203", p + ("fields",), "只有 type: list 的事实才有 fields。", "only list facts have fields", at_key=True)
            if "options" in f and f["type"] != "choice":
                self.err("E203", p + ("options",), "只有 type: choice 的事实才有 options。", "only choice facts have options", at_key=True)
            if "formula" in f:
                if decl.required or decl.has_default:
                    self.err("E203", p + ("formula",), "派生事实由公式计算，不能同时声明 required 或 default。",
                             "a derived fact cannot be required or have a default", at_key=True)
                decl.formula = expr.Formula(f["formula"], None, ())  # parsed in check_formulas
            elif not decl.required and not decl.has_default and f["type"] != "list":
                self.err("E201", p, f"事实“{key}”既不是必填（required: true），也没有默认值（default）。",
                         f"fact '{key}' is neither required nor has a default",
                         hint="加上 required: true，或给出 default。", hint_en="add required: true or a default")
            if decl.has_default:
                from .facts import coerce  # the same reading as fact files
                value, problem = coerce(decl, decl.default)
                if problem:
                    self.err("E202", p + ("default",), f"默认值不符合类型 {decl.type}：{problem[0]}", problem[1])
                else:
                    decl.default = value
            if decl.type == "choice" and decl.has_default and decl.default not in decl.options:
                self.err("E204", p + ("default",), "默认值不在 options 中。", "default is not one of the options")
            out[key] = decl
        return out

    def check_formulas(self, facts: dict[str, FactDecl], path, types):
        """Parse every formula; find cycles among derived facts."""
        deps: dict[str, tuple[str, ...]] = {}
        for key, f in facts.items():
            if f.type == "list":
                inner = dict(types)
                inner.update({k: x.expr_type for k, x in f.fields.items() if x.expr_type})
                self.check_formulas(f.fields, f.path + ("fields",), inner)
                continue
            if f.formula is None:
                continue
            try:
                formula, kind = expr.parse(f.formula.text, types)
            except expr.ExprError as e:
                hint = hint_en = ""
                if e.code == "E304":
                    name = e.zh.split("“")[1].split("”")[0]
                    hint, hint_en = did_you_mean(name, types) or "", did_you_mean(name, types, "en") or ""
                self.err(e.code, f.path + ("formula",), f"事实“{key}”的公式：{e.zh}", e.en, hint=hint, hint_en=hint_en)
                f.formula = None
                continue
            if kind != f.expr_type:
                self.err("E311", f.path + ("formula",), f"公式的结果是{_KIND_ZH[kind]}，但“{key}”声明为 {f.type}。",
                         f"the formula gives a {kind} but '{key}' is {f.type}")
            f.formula = formula
            deps[key] = tuple(n for n in formula.names if n in facts and facts[n].derived)
        # cycles
        state: dict[str, int] = {}

        def visit(k, trail):
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
            for f in facts.values():
                if f.formula is not None and f.key in deps:
                    f.formula = None

    def build_grades(self, items, full) -> list[Grade]:
        grades = [Grade(g["grade"], _dec(g["min"]), g.get("grade_en", "")) for g in items]
        mins = [g.min for g in grades]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            self.err("E313", ("grades",), "等级应按最低分从高到低排列，且各不相同。", "grades must go from the highest min down")
        elif mins[-1] != 0:
            self.err("E313", ("grades", len(grades) - 1, "min"), "最低一档的 min 应为 0，否则部分得分没有等级。",
                     "the lowest grade must have min 0")
        elif mins[0] > full:
            self.err("E313", ("grades", 0, "min"), "最高一档的 min 超过了满分。", "the top grade's min is above the full score")
        return grades

    # -- indicators
    def build_indicator(self, x, path, ids, ancestors) -> Indicator:
        ind = Indicator(id=x["id"], name=x["name"], points=_dec(x["points"]), name_en=x.get("name_en", ""),
                        confidence=x.get("confidence", ""), basis=x.get("basis", ""), criteria=x.get("criteria", ""),
                        path=path, ancestors=ancestors)
        if ind.id in ids:
            self.err("E305", path + ("id",), f"指标编号“{ind.id}”重复（另一处在 {json_path(ids[ind.id])}）。",
                     f"indicator id '{ind.id}' is used twice")
        ids[ind.id] = path
        if ind.points.normalize().as_tuple().exponent < -2:   # scores are kept and reported to the cent
            self.err("E205", path + ("points",), f"指标 {ind.id} 的分值 {expr.fmt(ind.points)} 超过两位小数；分值最多保留两位小数。",
                     f"{ind.id}: points {expr.fmt(ind.points)} have more than two decimal places")
        if "children" in x:
            ind.children = [self.build_indicator(c, path + ("children", i), ids, ancestors + (ind.id,))
                            for i, c in enumerate(x["children"])]
            total = sum((c.points for c in ind.children), Decimal(0))
            if total != ind.points:
                self.err("E301", path + ("points",),
                         f"指标 {ind.id}“{ind.name}”分值为 {expr.fmt(ind.points)}，但下级指标分值之和为 {expr.fmt(total)}。",
                         f"{ind.id} has {expr.fmt(ind.points)} points but its children add up to {expr.fmt(total)}")
            if "method" in x:
                self.err("E203", path + ("method",), f"指标 {ind.id} 有下级指标，不能再写 method；计分方法写在最下级指标上。",
                         "an indicator with children has no method", at_key=True)
        elif "method" not in x:
            self.err("E201", path, f"最下级指标 {ind.id}“{ind.name}”缺少计分方法 method。",
                     f"leaf indicator {ind.id} has no method", at_key=False)
        else:
            ind.method = self.build_method(ind, x["method"], path + ("method",))
        if not ind.confidence:
            ind.confidence = "provisional"
        return ind

    def fact_of(self, key, path, want, purpose) -> FactDecl | None:
        """Look up a top-level fact and check its type fits (want: a set of types)."""
        f = self.facts.get(key)
        if f is None:
            self.err("E304", path, f"{purpose}引用了未声明的事实“{key}”。", f"{_purpose_en(purpose)}: undeclared fact '{key}'",
                     hint=did_you_mean(key, self.facts) or "先在 facts 中声明它。",
                     hint_en=did_you_mean(key, self.facts, "en") or "declare it under facts")
            return None
        if f.type not in want:
            self.err("E311", path, f"{purpose}需要类型为 {'/'.join(sorted(want))} 的事实，“{key}”是 {f.type}。",
                     f"{_purpose_en(purpose)} needs a {'/'.join(sorted(want))} fact; '{key}' is {f.type}")
            return None
        return f

    def rule(self, ind, path, **kw) -> Rule:
        r = Rule(index=len(self.rules), indicator=ind, path=path, **kw)
        self.rules.append(r)
        return r

    def check_amount(self, ind, amount, path, what):
        if amount > ind.points:
            self.err("E303", path, f"{what} {expr.fmt(amount)} 超过了指标 {ind.id} 的分值 {expr.fmt(ind.points)}。",
                     f"{_WHAT_EN.get(what, 'the amount')} {expr.fmt(amount)} exceeds the {expr.fmt(ind.points)} points of {ind.id}")

    def parse_interval(self, text, path):
        try:
            return expr.interval(text)
        except (ValueError, ArithmeticError):
            self.err("E312", path, f"区间“{text}”写法不对。", f"malformed interval '{text}'")
            return None

    def check_bands(self, intervals, paths, fact_min, want_cover):
        pairs = [(iv, p) for iv, p in zip(intervals, paths) if iv is not None]
        for i, (a, pa) in enumerate(pairs):
            for b, pb in pairs[i + 1:]:
                if expr.overlaps(a, b):
                    self.err("E306", pb, f"区间“{b.text}”与“{a.text}”重叠。", f"'{b.text}' overlaps '{a.text}'")
        if want_cover and len(pairs) == len(intervals) and pairs:
            missing = expr.gaps([iv for iv, _ in pairs], fact_min)
            if missing:
                self.err("E307", paths[0], f"分档没有覆盖：{'、'.join(missing)}。", f"no band covers {', '.join(missing)}")

    def build_method(self, ind: Indicator, m: dict, path) -> Method:
        kind = m["kind"]
        method = Method(kind=kind, reason=m.get("reason", ""), reason_en=m.get("reason_en", ""))
        extra_vars: set[str] = set()
        reasons: list[tuple[str, tuple]] = []
        if kind == "proportional":
            self.fact_of(m["rate"], path + ("rate",), set(NUMERIC_TYPES), "proportional 的 rate ")
            full_at = self._percent_param(m.get("full_at", 1), path + ("full_at",))
            if full_at is not None and full_at <= 0:
                self.err("E204", path + ("full_at",), "full_at 应大于 0。", "full_at must be above 0")
            method.params = {"rate": m["rate"], "full_at": full_at or Decimal(1)}
            self.rule(ind, path, fact=m["rate"])
            reasons.append((m["reason"], path + ("reason",)))
        elif kind == "bands":
            f = self.fact_of(m["value"], path + ("value",), set(NUMERIC_TYPES), "bands 的 value ")
            method.params = {"value": m["value"]}
            ivs, paths = [], []
            for i, b in enumerate(m["bands"]):
                bp = path + ("bands", i)
                iv = self.parse_interval(b["when"], bp + ("when",))
                ivs.append(iv)
                paths.append(bp + ("when",))
                score = _dec(b["score"])
                self.check_amount(ind, score, bp + ("score",), "档次得分")
                self.rule(ind, bp, interval=iv, score=score, reason=b.get("reason", ""), reason_en=b.get("reason_en", ""),
                          fact=m["value"])
                if score < ind.points and "reason" not in b:
                    self.err("E201", bp, "得分低于满分的档次需要写扣分说明 reason。", "a band below full points needs a reason")
                if "reason" in b:
                    reasons.append((b["reason"], bp + ("reason",)))
            self.check_bands(ivs, paths, f.min if f else None, want_cover=True)
            extra_vars = {"区间"}
        elif kind == "deductions":
            for i, r in enumerate(m["rules"]):
                rp = path + ("rules", i)
                try:
                    cond = expr.condition(r["when"], self.types)
                except expr.ExprError as e:
                    hint = hint_en = ""
                    if e.code == "E304":
                        name = e.zh.split("“")[1].split("”")[0]
                        hint, hint_en = did_you_mean(name, self.types) or "", did_you_mean(name, self.types, "en") or ""
                    self.err(e.code, rp + ("when",), f"扣分条件：{e.zh}", e.en, hint=hint, hint_en=hint_en)
                    cond = None
                deduct = _dec(r["deduct"])
                self.check_amount(ind, deduct, rp + ("deduct",), "扣分")
                self.rule(ind, rp, condition=cond, deduct=deduct, reason=r["reason"], reason_en=r.get("reason_en", ""))
                reasons.append((r["reason"], rp + ("reason",)))
        elif kind == "per_item":
            lst = self.fact_of(m["items"], path + ("items",), {"list"}, "per_item 的 items ")
            label = m.get("item_label")
            method.params = {"items": m["items"], "measure": m["measure"], "item_label": label,
                             "aggregate": m.get("aggregate", "each")}
            if lst is not None:
                fm = lst.fields.get(m["measure"])
                if fm is None or fm.expr_type != "number":
                    self.err("E304" if fm is None else "E311", path + ("measure",),
                             f"measure 应是列表“{lst.key}”中的数值字段，“{m['measure']}”不是。",
                             f"measure must be a numeric field of '{lst.key}'",
                             hint=did_you_mean(m["measure"], lst.fields) or "",
                             hint_en=did_you_mean(m["measure"], lst.fields, "en") or "")
                if label is not None and (label not in lst.fields or lst.fields[label].expr_type != "text"):
                    self.err("E304", path + ("item_label",), f"item_label 应是列表“{lst.key}”中的文字字段。",
                             f"item_label must be a text field of '{lst.key}'", hint=did_you_mean(label, lst.fields) or "",
                             hint_en=did_you_mean(label, lst.fields, "en") or "")
            ivs, paths = [], []
            for i, b in enumerate(m["bands"]):
                bp = path + ("bands", i)
                iv = self.parse_interval(b["when"], bp + ("when",))
                ivs.append(iv)
                paths.append(bp + ("when",))
                deduct = _dec(b["deduct"])
                self.check_amount(ind, deduct, bp + ("deduct",), "单项扣分")
                self.rule(ind, bp, on_items=True, interval=iv, deduct=deduct, reason=b["reason"],
                          reason_en=b.get("reason_en", ""))
                reasons.append((b["reason"], bp + ("reason",)))
            self.check_bands(ivs, paths, None, want_cover=False)
            extra_vars = {"项目", "个数", "区间"}
        elif kind == "checklist":
            for i, it in enumerate(m["items"]):
                ip = path + ("items", i)
                self.fact_of(it["fact"], ip + ("fact",), {"boolean"}, "清单项 ")
                deduct = _dec(it["deduct"])
                self.check_amount(ind, deduct, ip + ("deduct",), "清单项扣分")
                self.rule(ind, ip, fact=it["fact"], deduct=deduct, label=it["label"], label_en=it.get("label_en", ""))
            reasons.append((m["reason"], path + ("reason",)))
            extra_vars = {"缺少项", "缺少个数"}
        elif kind == "tiered":
            f = self.fact_of(m["choice"], path + ("choice",), {"choice"}, "tiered 的 choice ")
            method.params = {"choice": m["choice"]}
            seen = set()
            for i, t in enumerate(m["tiers"]):
                tp = path + ("tiers", i)
                if f is not None and t["value"] not in f.options:
                    self.err("E204", tp + ("value",), f"档次“{t['value']}”不是事实“{f.key}”的选项。",
                             f"tier '{t['value']}' is not an option of '{f.key}'",
                             hint=did_you_mean(t["value"], f.options) or f"可选：{'、'.join(f.options)}",
                             hint_en=did_you_mean(t["value"], f.options, "en") or f"options: {', '.join(f.options)}")
                if t["value"] in seen:
                    self.err("E305", tp + ("value",), f"档次“{t['value']}”重复。", f"tier '{t['value']}' is listed twice")
                seen.add(t["value"])
                score = _dec(t["score"])
                self.check_amount(ind, score, tp + ("score",), "档次得分")
                if score < ind.points and "reason" not in t:
                    self.err("E201", tp, "得分低于满分的档次需要写扣分说明 reason。", "a tier below full points needs a reason")
                self.rule(ind, tp, fact=m["choice"], value=t["value"], score=score, reason=t.get("reason", ""),
                          reason_en=t.get("reason_en", ""))
                if "reason" in t:
                    reasons.append((t["reason"], tp + ("reason",)))
            if f is not None:
                missing = [o for o in f.options if o not in seen]
                if missing:
                    self.err("E307", path + ("tiers",), f"选项 {'、'.join(missing)} 没有对应的档次。",
                             f"options without a tier: {', '.join(missing)}")
            extra_vars = {"档次"}
        elif kind == "per_unit":
            self.fact_of(m["value"], path + ("value",), set(NUMERIC_TYPES), "per_unit 的 value ")
            unit = self._percent_param(m["unit"], path + ("unit",))
            limit = self._percent_param(m["limit"], path + ("limit",))
            if unit is not None and unit <= 0:
                self.err("E204", path + ("unit",), "unit 应大于 0。", "unit must be above 0")
                unit = None
            deduct = _dec(m["deduct"])
            self.check_amount(ind, deduct, path + ("deduct",), "每单位扣分")
            method.params = {"value": m["value"], "limit": limit or Decimal(0), "unit": unit or Decimal(1),
                             "direction": m.get("direction", "above"), "units": m.get("units", "exact"), "deduct": deduct}
            self.rule(ind, path, fact=m["value"], deduct=deduct)
            reasons.append((m["reason"], path + ("reason",)))
            extra_vars = {"超出"}
        elif kind == "manual":
            self.fact_of(m["score"], path + ("score",), set(NUMERIC_TYPES), "manual 的 score ")
            self.fact_of(m["note"], path + ("note",), {"text"}, "manual 的 note ")
            tiers = []
            for i, t in enumerate(m.get("tiers", [])):
                iv = self.parse_interval(t["when"], path + ("tiers", i, "when"))
                tiers.append((t["label"], iv))
            if tiers and all(iv for _, iv in tiers):
                self.check_bands([iv for _, iv in tiers], [path + ("tiers", i, "when") for i in range(len(tiers))],
                                 Decimal(0), want_cover=True)
            method.params = {"score": m["score"], "note": m["note"], "tiers": tiers}
            self.rule(ind, path, fact=m["score"])
            reasons.append((m["reason"], path + ("reason",)))
            extra_vars = {"说明", "档次"}
        if method.reason_en:
            reasons.append((method.reason_en, path + ("reason_en",)))
        for r in self.rules:
            if r.indicator is ind and r.reason_en:
                reasons.append((r.reason_en, r.path + ("reason_en",)))
        allowed = {k for k, f in self.facts.items() if f.type != "list"} | {"扣分", "得分", "分值", "指标"} | extra_vars
        for text, rp in reasons:
            self.check_template(text, rp, allowed)
        method.rules = [r for r in self.rules if r.indicator is ind]
        return method

    def _percent_param(self, value, path):
        try:
            return _percentish(value)
        except (ValueError, ArithmeticError):
            self.err("E202", path, f"应为数字或百分比（如 90%），实际是 {_show(value)}。", "expected a number or a percent")
            return None

    def check_template(self, text, path, allowed):
        try:
            fields = expr.template_fields(text)
        except ValueError as bad:
            self.err("E310", path, f"说明模板中的格式“:{bad}”不受支持；可用 :% 、:.1% 或 :.2f。",
                     f"unsupported format ':{bad}'")
            return
        for name, _, _ in fields:
            if name not in allowed:
                self.err("E310", path, f"说明模板中的“{{{name}}}”不是已声明的事实或本方法提供的字段。",
                         f"'{{{name}}}' is not a declared fact or a field of this method",
                         hint=did_you_mean(name, allowed) or f"可用：{'、'.join(sorted(allowed))}",
                         hint_en=did_you_mean(name, allowed, "en") or f"allowed: {', '.join(sorted(allowed))}")


class _Stop(Exception):
    pass


_WHAT_EN = {"档次得分": "the band score", "扣分": "the deduction", "单项扣分": "the deduction per item",
            "清单项扣分": "the checklist deduction", "每单位扣分": "the deduction per unit"}


def _purpose_en(purpose: str) -> str:
    """'proportional 的 rate ' -> 'proportional rate'; '清单项 ' -> 'checklist item'."""
    return purpose.replace("清单项", "checklist item").replace(" 的 ", " ").strip()


_KIND_ZH = {"number": "数值", "boolean": "是/否", "text": "文字"}
