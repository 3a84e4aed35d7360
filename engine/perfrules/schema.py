"""JSON Schema problems: a document checked against schemas/, each error a located problem
in Chinese (English beside it), the most relevant first.

The schema says what a document's shape must be; what a schema cannot say (points that add
up, bands without gaps, formulas) is checked by validate.py's passes afterwards.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from . import resources
from .load import Document, json_path
from .model import Path
from .problems import Problem, did_you_mean, show_value, suggest


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema  # imported here: only validation needs it
    schema = json.loads(resources.schema_path(name).read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    # an integer is a whole number as written: 2023.0 is not a year (JSON Schema would say it is)
    strict = jsonschema.validators.extend(cls, type_checker=cls.TYPE_CHECKER.redefine(
        "integer", lambda checker, x: isinstance(x, int) and not isinstance(x, bool)))
    return strict(schema)


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


def _jsonable(value: object) -> object:
    """Decimals become floats for the schema check only (the model keeps Decimals); a number
    written with a decimal point stays a float even when whole (2023.0), ints stay ints."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return _NonFinite(str(value))   # .inf / .nan: not a number a policy can use, and not text either
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


def _type_zh(t: object) -> str:
    if isinstance(t, list):
        return "或".join(_TYPE_ZH.get(str(x), str(x)) for x in t)
    return _TYPE_ZH.get(str(t), str(t))


def _schema_problem(doc: Document, e) -> Problem:
    path = tuple(e.absolute_path)
    title = e.schema.get("title", "") if isinstance(e.schema, dict) else ""
    field = str(path[-1]) if path else "文件"
    v, inst = e.validator, e.instance
    if v == "required":
        missing = next((str(k) for k in e.validator_value if not isinstance(inst, dict) or k not in inst),
                       str(e.validator_value))
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
        hint, hint_en = _quote_hint(field, e.validator_value, inst)
        return doc.problem("E202", path, f"“{field}”应为{_type_zh(e.validator_value)}，实际填写的是 {show_value(inst)}。",
                           f"'{field}' should be {e.validator_value}, got {show_value(inst, True)}", hint=hint, hint_en=hint_en)
    if v in ("enum", "const"):
        allowed = e.validator_value if v == "enum" else [e.validator_value]
        hint = did_you_mean(str(inst), [str(a) for a in allowed]) or f"可选：{'、'.join(map(str, allowed))}。"
        return doc.problem("E204", path, f"“{field}”的值 {show_value(inst)} 不在允许范围内。",
                           f"'{field}': {show_value(inst, True)} is not one of {allowed}", hint=hint,
                           hint_en=did_you_mean(str(inst), [str(a) for a in allowed], "en"))
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        rel = {"minimum": "不能小于", "maximum": "不能大于", "exclusiveMinimum": "应大于", "exclusiveMaximum": "应小于"}[v]
        return doc.problem("E204", path, f"“{field}”{rel} {e.validator_value}，实际是 {show_value(inst)}。",
                           f"'{field}': {e.message}", hint=f"改为{rel} {e.validator_value} 的数。")
    if v in ("minItems", "minLength", "minProperties"):
        return doc.problem("E201", path, f"“{field}”不能为空。", f"'{field}' cannot be empty")
    if v == "uniqueItems":
        return doc.problem("E305", path, f"“{field}”中有重复的值。", f"'{field}' has duplicate values")
    desc = e.schema.get("description", "") if isinstance(e.schema, dict) else ""
    return doc.problem("E205", path, f"“{field}”{('（' + title + '）') if title else ''}格式不符合要求：{show_value(inst)}。" +
                       (f"要求：{desc}" if desc else ""), f"'{field}': {e.message}")


def _quote_hint(field: str, expected: object, inst: object) -> tuple[str, str]:
    """Text was expected and a number written (version: 1): the fix is to add quotes."""
    if expected == "string" and isinstance(inst, (int, float, Decimal)) and not isinstance(inst, bool):
        return (f"这里要写文字：给数字加上引号，写成 {field}: \"{inst}\"。",
                f'Text is expected here: put the number in quotes, {field}: "{inst}"')
    return "", ""


def _where(path) -> str:
    return f"{json_path(path)} " if path else "文件最外层"


def yaml11_problems(doc: Document) -> list[Problem]:
    """Plain yes/no/on/off are text in perfrules; in a policy they are always a mistake."""
    out = []
    for p in sorted(doc.yaml11_bools):
        steps = _parse_path(p)
        out.append(doc.problem("E107", steps, f"{p} 写的是 YAML 1.1 的是非词，含义不明确。",
                               f"{p} is a YAML 1.1 yes/no word; its meaning is ambiguous"))
    return out


def _parse_path(text: str) -> Path:
    steps: list[str | int] = []
    for m in re.finditer(r"\.([^.\[]+)|\[(\d+)\]", text):
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return tuple(steps)
