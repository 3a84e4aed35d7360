"""Read a department's fact file against the facts its policy declares.

Values are accepted as people write them where the meaning is unambiguous (98.83%,
690.47万元, 6,904,700元, full-width digits, 是/否) and refused with a hint where it is not
(a bare 98.83 in a percent field). Derived facts are computed here, in Decimal, and every
number is held to six decimal places so that durable_rules and the scorer see the same value.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import expr
from .load import Document, json_path
from .policy import NUMERIC_TYPES, FactDecl, Policy
from .problems import InputError, did_you_mean


@dataclass
class Department:
    """One department's facts, normalised: what evaluate() needs and nothing else."""

    file: str
    name: str
    values: dict                      # top-level facts (declared and derived)
    items: dict = field(default_factory=dict)   # list facts: key -> list of record dicts
    short_name: str = ""
    year: int | None = None
    policy_ref: str | None = None
    claimed: dict | None = None


_TRUE = {"true", "是", "有", "yes", "y", "on", "已", "已制定", "已建立", "✓", "√", "1"}
_FALSE = {"false", "否", "无", "没有", "no", "n", "off", "未", "未制定", "未建立", "✗", "×", "0"}
_MONEY_UNITS = {"万元": Decimal(1), "元": Decimal("0.0001"), "亿元": Decimal(10000), "千元": Decimal("0.1")}
_NUM = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|万元|亿元|千元|元|[\u4e00-\u9fff]{1,3})?$")


_PLAIN_NUM = re.compile(r"([+-]?\d+(?:\.\d+)?)(%|万元)?")


def _clean(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip()
    return t.replace(",", "").replace(" ", "").replace("，", "")


def coerce(decl: FactDecl, raw) -> tuple[object, tuple | None]:
    """(value, None) or (None, (中文, English, code)). Shared by fact files and policy defaults."""
    return _COERCE.get(decl.type, _unknown_type)(decl, raw)


def _coerce_number(decl: FactDecl, raw):
    t = decl.type
    if type(raw) is int and t != "percent":          # the common case, without the checks below
        value = Decimal(raw)
        if -_MAX_INT < raw < _MAX_INT and (decl.min is None or value >= decl.min) and (decl.max is None or value <= decl.max):
            return value, None
    value, problem = _number(decl, raw)
    if problem:
        return None, problem
    if not value.is_finite() or abs(value) >= expr.MAX_ABS:
        return None, ("数值过大（不应达到 10^12）。", "number too large", "E407")
    value = expr.quantize6(value)
    if t == "count" and value != value.to_integral_value():
        return None, (f"个数应为整数，实际是 {expr.fmt(value)}。", "a count must be a whole number", "E402")
    if decl.min is not None and value < decl.min:
        return None, (f"不能小于 {expr.fmt(decl.min)}，实际是 {expr.fmt(value)}。", f"below the minimum {decl.min}", "E407")
    if decl.max is not None and value > decl.max:
        return None, (f"不能大于 {expr.fmt(decl.max)}，实际是 {expr.fmt(value)}。", f"above the maximum {decl.max}", "E407")
    return value, None


_MAX_INT = 10**12


def _coerce_boolean(decl: FactDecl, raw):
    if raw is True or raw is False:
        return raw, None
    if isinstance(raw, (str, int, Decimal)):
        s = _clean(str(raw)).lower()
        if s in _TRUE:
            return True, None
        if s in _FALSE:
            return False, None
    return None, (f"应填 true 或 false（也可写 是/否），实际是 {_show(raw)}。", f"expected true or false, got {_show(raw, True)}", "E402")


def _coerce_text(decl: FactDecl, raw):
    if isinstance(raw, str) and raw.strip():
        return raw.strip(), None
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return str(raw), None
    return None, (f"应为文字，实际是 {_show(raw)}。", f"expected text, got {_show(raw, True)}", "E402")


def _coerce_texts(decl: FactDecl, raw):
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list) and all(isinstance(x, (str, int, Decimal)) and not isinstance(x, bool) for x in raw):
        return [str(x).strip() for x in raw if str(x).strip()], None
    return None, (f"应为文字列表，实际是 {_show(raw)}。", f"expected a list of text, got {_show(raw, True)}", "E402")


def _coerce_choice(decl: FactDecl, raw):
    if type(raw) is str and raw in decl.options:      # exact: no stripping needed
        return raw, None
    s = str(raw).strip() if isinstance(raw, (str, int, Decimal)) and not isinstance(raw, bool) else None
    if s in decl.options:
        return s, None
    hint = did_you_mean(str(raw), decl.options)
    return None, (f"应为 {'、'.join(decl.options)} 之一，实际是 {_show(raw)}。{hint}",
                  f"expected one of {', '.join(decl.options)}, got {_show(raw, True)}", "E204")


def _coerce_list(decl: FactDecl, raw):
    if isinstance(raw, list):
        return raw, None   # records are read by read_records, which can locate each field
    return None, (f"应为记录列表（每项以“- ”开头），实际是 {_show(raw)}。", "expected a list of records", "E402")


def _unknown_type(decl: FactDecl, raw):
    return None, ("未知类型。", "unknown type", "E402")


_COERCE = {**{t: _coerce_number for t in NUMERIC_TYPES}, "boolean": _coerce_boolean, "text": _coerce_text,
           "texts": _coerce_texts, "choice": _coerce_choice, "list": _coerce_list}


def _number(decl: FactDecl, raw) -> tuple[Decimal | None, tuple | None]:
    if isinstance(raw, bool) or raw is None:
        return None, (f"应为数字，实际是 {_show(raw)}。", f"expected a number, got {_show(raw, True)}", "E402")
    if isinstance(raw, float):   # .inf / .nan from YAML
        return None, (f"应为有限的数字，实际是 {raw}。", "expected a finite number", "E402")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
        if decl.type == "percent" and abs(value) > 2:
            return None, (f"百分比字段填了 {expr.fmt(value)}，不清楚是 {expr.fmt(value)}% 还是 {expr.fmt(value * 100)}%。",
                          f"{value} in a percent field is ambiguous", "E404")
        return value, None
    if not isinstance(raw, str):
        return None, (f"应为数字，实际是 {_show(raw)}。", f"expected a number, got {_show(raw, True)}", "E402")
    m = _PLAIN_NUM.fullmatch(raw) or _NUM.match(_clean(raw))   # most values need no clean-up
    if not m:
        return None, (f"无法识别的数字 {_show(raw)}。", f"not a number: {_show(raw, True)}", "E402")
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:
        return None, (f"无法识别的数字 {_show(raw)}。", f"not a number: {_show(raw, True)}", "E402")
    unit = m.group(2) or ""
    if unit == "%":
        return value / 100, None
    if unit in _MONEY_UNITS:
        if decl.type != "money":
            return None, (f"“{raw}”带有金额单位，但该事实不是金额（money）。", "a money unit on a non-money fact", "E404")
        return value * _MONEY_UNITS[unit], None
    if unit:
        if decl.type in ("number", "count"):
            return value, None   # 185人次, 3项: a counting word after the number
        return None, (f"“{raw}”的单位“{unit}”不适用于 {decl.type} 类型。", f"unit '{unit}' does not fit {decl.type}", "E404")
    if decl.type == "percent" and abs(value) > 2:
        return None, (f"百分比字段填了 {expr.fmt(value)}，不清楚是 {expr.fmt(value)}% 还是 {expr.fmt(value * 100)}%。",
                      f"{value} in a percent field is ambiguous", "E404")
    return value, None


def _show(raw, en: bool = False) -> str:
    if isinstance(raw, str):
        return f"'{raw[:30]}'" if en else f"“{raw[:30]}”"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if raw is None:
        return "nothing" if en else "空值"
    if isinstance(raw, (list, dict)):
        if en:
            return "a list" if isinstance(raw, list) else "a mapping"
        return "（列表）" if isinstance(raw, list) else "（映射）"
    return str(raw)


def read_department(doc: Document, policy: Policy) -> Department:
    """Check a fact document against the policy; raise InputError with every problem found."""
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "事实文件最外层应是“字段: 值”的映射。", "The top level must be a mapping.")])
    if not _plainly_valid(doc.data):
        from .validate import schema_problems
        problems = schema_problems(doc, "facts.schema.json")
        if problems:
            raise InputError(problems)
    d = doc.data
    reader = _Reader(doc, policy)
    values, items = reader.read(d["facts"])
    if d.get("year") is not None and d["year"] != policy.year:
        reader.err("E204", ("year",), f"事实文件的年度 {d['year']} 与评分办法 {policy.id} 的年度 {policy.year} 不一致。",
                   f"year {d['year']} does not match the policy's {policy.year}",
                   hint=f"把 year 改为 {policy.year}，或换用 {d['year']} 年度的评分办法（--policy）。")
    for ind, key in policy.manual_scores:   # manual scores must lie within the indicator's points
        if key in values and values[key] is not None and not 0 <= values[key] <= ind.points:
            reader.err("E408", ("facts", key), f"手工评分“{key}”为 {expr.fmt(values[key])}，应在 0 到指标 {ind.id}“{ind.name}”"
                       f"的分值 {expr.fmt(ind.points)} 之间。",
                       f"manual score '{key}' is {expr.fmt(values[key])}; it must lie between 0 and the "
                       f"{expr.fmt(ind.points)} points of {ind.id}")
    if reader.problems:
        raise InputError(reader.problems)
    claimed = d.get("claimed")
    return Department(file=doc.file, name=d["department"], values=values, items=items,
                      short_name=d.get("short_name", ""), year=d.get("year"), policy_ref=d.get("policy"),
                      claimed=claimed)


_TOP_KEYS = {"policy", "department", "short_name", "code", "year", "facts", "claimed"}


def _nonempty_text(x) -> bool:
    return isinstance(x, str) and x != ""


def _plainly_valid(d: dict) -> bool:
    """A fast check that implies schemas/facts.schema.json holds (batch evaluates thousands of
    documents a second); anything it is unsure of goes through jsonschema for located errors."""
    return (d.keys() <= _TOP_KEYS and "claimed" not in d
            and _nonempty_text(d.get("department")) and isinstance(d.get("facts"), dict)
            and ("policy" not in d or _nonempty_text(d["policy"]))
            and ("short_name" not in d or _nonempty_text(d["short_name"]))
            and ("code" not in d or type(d["code"]) in (str, int))
            and ("year" not in d or (type(d["year"]) is int and 2000 <= d["year"] <= 2100)))


class _Reader:
    def __init__(self, doc: Document, policy: Policy):
        self.doc, self.policy, self.problems = doc, policy, []

    def err(self, code, path, zh, en="", hint="", at_key=False, hint_en=""):
        self.problems.append(self.doc.problem(code, path, zh, en, hint, hint_en, at_key=at_key))

    def read(self, given: dict):
        decls = self.policy.facts
        values, items = {}, {}
        base = ("facts",)
        for key in given:
            if key not in decls:
                self.err("E403", base + (key,), f"评分办法 {self.policy.id} 没有声明事实“{key}”。",
                         f"policy {self.policy.id} declares no fact '{key}'", at_key=True,
                         # a file of 100,000 stray keys: no difflib for each
                         **_did_you_mean(str(key), [k for k, f in decls.items() if not f.derived] if len(self.problems) < 100 else []))
            elif decls[key].derived:
                self.err("E403", base + (key,), f"“{key}”由公式计算（{decls[key].formula.text}），不需要填写。",
                         f"'{key}' is computed by a formula; do not give it", at_key=True)
        for key, decl in self.policy.inputs:
            if key in given:
                raw = given[key]
                if self.doc.yaml11_bools and ("$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in base + (key,))) in self.doc.yaml11_bools \
                        and decl.type not in ("boolean", "text", "texts"):   # as for record fields: a text "Y" is just text
                    self.err("E107", base + (key,), f"“{key}”写成了 YAML 1.1 的是非词 {raw}，含义不明确。",
                             f"'{key}' is a YAML 1.1 yes/no word")
                    continue
                value, problem = coerce(decl, raw)
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
                items[key] = self.read_records(decl, value, base + (key,))
            else:
                values[key] = value
        if not self.problems:
            self.derive(self.policy.derived_order, values, base, given)
            for key, decl in self.policy.inputs:
                if decl.type == "list" and decl.derived_order:
                    env = dict(values)      # one scope per list: each record overwrites every field
                    for i, rec in enumerate(items[key]):
                        env.update(rec)
                        self.derive(decl.derived_order, rec, base + (key, i), rec, env)
        return values, items

    def read_records(self, decl: FactDecl, records, path) -> list[dict]:
        out = []
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
            for k, f in decl.inputs:
                if k in rec:
                    if self.doc.yaml11_bools and f.type not in ("boolean", "text", "texts") \
                            and json_path(p + (k,)) in self.doc.yaml11_bools:   # a name "N" is just text
                        self.err("E107", p + (k,), f"“{decl.key}”第 {i + 1} 项的“{k}”写成了 YAML 1.1 的是非词 {rec[k]}，含义不明确。",
                                 f"'{k}' in record {i + 1} of '{decl.key}' is a YAML 1.1 yes/no word")
                        continue
                    value, problem = coerce(f, rec[k])
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

    def derive(self, order: list[FactDecl], values: dict, path, given, env=None):
        """Compute derived facts; `order` puts each after the facts its formula reads."""
        env = values if env is None else env

        def compute(f):
            key = f.key
            try:
                value = expr.evaluate(f.formula, env)
            except expr.EvalError as exc:
                zero = _zero_divisor(f.formula.tree, env, given)   # point at the divisor that is 0
                first = zero or next((n for n in f.formula.names if n in given), None)
                at = path + ((first,) if first else ())
                why, why_en = ("除数“" + zero + "”为 0", f"the divisor '{zero}' is 0") if zero else (str(exc), "cannot be computed")
                self.err("E405", at, f"无法计算“{key}”（{f.formula.text}）：{why}。", f"cannot compute '{key}': {why_en}")
                raise _Failed
            if f.expr_type == "number":
                if abs(value) >= expr.MAX_ABS:
                    self.err("E405", path, f"“{key}”的计算结果过大。", f"'{key}' is too large")
                    raise _Failed
                value = expr.quantize6(value)
                # a declared min/max binds derived facts too: bands are checked for gaps from min
                if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                    first = next((n for n in f.formula.names if n in given), None)
                    bound = f"不能小于 {expr.fmt(f.min)}" if f.min is not None and value < f.min else f"不能大于 {expr.fmt(f.max)}"
                    self.err("E407", path + ((first,) if first else ()),
                             f"“{key}”（{f.formula.text}）算得 {expr.fmt(value)}，{bound}。",
                             f"'{key}' computes to {expr.fmt(value)}, outside its declared min/max")
                    raise _Failed
            values[key] = value
            env[key] = value
        try:
            for f in order:
                compute(f)
        except _Failed:
            pass


class _Failed(Exception):
    pass


def _did_you_mean(name: str, candidates) -> dict:
    """hint / hint_en keywords for a misspelt name, or for one with invisible characters in it
    (a zero-width or full-width space from an input method) that looks right on screen."""
    hidden = [ch for ch in name if unicodedata.category(ch) in ("Cf", "Zs") and ch != " "]
    if hidden:
        codes = "、".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
        return {"hint": f"名称中有看不见的字符 {codes}（零宽字符或全角空格），删去即可。",
                "hint_en": f"The name holds invisible characters ({codes.replace('、', ', ')}); delete them."}
    return {"hint": did_you_mean(name, candidates) or "", "hint_en": did_you_mean(name, candidates, "en") or ""}


def _zero_divisor(tree, env, given) -> str | None:
    """The first given fact that is 0 on the right of a '/' (0/0 and x/0 alike)."""
    import ast
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for sub in ast.walk(node.right):
                if isinstance(sub, ast.Name) and sub.id in given and env.get(sub.id) == 0:
                    return sub.id
    return None
