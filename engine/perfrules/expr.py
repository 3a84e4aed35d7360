"""The expression language of rule files: formulas, conditions and intervals.

Formulas (derived facts) are checked against a whitelist of syntax at load time and compiled
to closures over Decimal numbers (tests cross-check them against simpleeval). Conditions are
formulas of comparisons joined by and/or/not, with no arithmetic (declare a derived fact
instead), so that a matcher can decide them exactly. Nothing here ever calls eval/exec.
Formula text is normalised in formula_text.py (text literals untouched); intervals live in
intervals.py (re-exported here); reason templates in template.py; the durable_rules
encoding in matcher/durable_encoding.py.
"""
from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, cast
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation

from . import formula_text
from .intervals import MAX_DIGITS, Interval, fmt, fmt_percent, gaps, gaps_located, interval, number_text, overlaps, prose, shift  # noqa: F401  (re-exported: expr is the language's one name)

# Facts are kept exact (every matcher and the scorer compare the same value) and below
# MAX_ABS in size.
TWO_PLACES = Decimal("0.01")
MAX_ABS = Decimal("1e12")


def round2(value: Decimal) -> Decimal:
    """Chinese finance rounding: half up, two places."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


class ExprError(Exception):
    """A formula or condition the language does not accept (E304, E308, E309, E311);
    `name` is the undeclared fact for E304, as data for did-you-mean hints."""

    def __init__(self, code: str, zh: str, en: str, offset: int = 0, name: str | None = None):
        super().__init__(zh)
        self.code, self.zh, self.en, self.offset, self.name = code, zh, en, offset, name


normalise = formula_text.normalise          # code normalised, text literals kept as written
formula_name = formula_text.formula_name    # the name a formula sees for a fact key


def _round_half_up(x, places=0):
    if not isinstance(x, Decimal) or not isinstance(places, (int, Decimal)) or isinstance(places, bool):
        raise TypeError("round")
    places = int(places)
    if not 0 <= places <= 6:
        raise TypeError("round")
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs, "round": _round_half_up}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

NUM, BOOL, TEXT = "number", "boolean", "text"


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.AST
    names: tuple[str, ...]
    fn: Callable[[Mapping[str, object]], Any] | None = field(default=None, compare=False, repr=False)   # compiled closure


def parse(text: str, types: dict[str, str]) -> tuple[Formula, str]:
    """Parse and type-check a formula; returns it and its result type (NUM, BOOL or TEXT).
    Every number in the tree is then the exact Decimal its text says (see _exact_numbers)."""
    try:
        source = normalise(text)
    except formula_text.UnclosedQuote as exc:
        raise ExprError("E308", "公式无法解析：引号没有配对。", "cannot parse: a quote is never closed", exc.offset)
    if len(source) > 2000:
        raise ExprError("E309", "公式过长（超过 2000 个字符）。", "The formula is over 2000 characters.")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        single = re.search(r"(?<![=!<>])=(?!=)", formula_text.code_only(text))   # not an = inside a text literal
        zh = "判断相等请写 ==（两个等号）" if single else _zh_syntax(exc.msg)
        raise ExprError("E308", f"公式无法解析：{zh}", f"cannot parse: {exc.msg}", (exc.offset or 1) - 1)
    except (ValueError, MemoryError, RecursionError):
        raise ExprError("E308", "公式无法解析。", "cannot parse.")
    names: list[str] = []
    try:
        kind = _check(tree.body, types, names)
    except RecursionError:
        raise ExprError("E309", "公式嵌套过深。", "The formula is nested too deep.")
    _exact_numbers(tree.body, source)
    return Formula(text, tree.body, tuple(dict.fromkeys(names)), _closure(tree.body)), kind


def _exact_numbers(tree: ast.AST, source: str) -> None:
    """Each number literal becomes the Decimal of its own text, so that 99999999999.999999 is
    not the float 1e11 in a closure or in the durable encoding (which reads node.value)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            node.value = cast(Any, _exact(node, source))   # ast's stubs know no Decimal constant


def _exact(node: ast.Constant, source: str) -> Decimal:
    if isinstance(node.value, int):
        return Decimal(node.value)                # exact already (also 0x1F, 1_000)
    try:
        return Decimal(ast.get_source_segment(source, node) or repr(node.value))
    except InvalidOperation:                      # not expected: Python's float syntax is Decimal's
        return Decimal(repr(node.value))


_SYNTAX_ZH = [("'=='", "判断相等请写 ==（两个等号）"), ("was never closed", "括号没有闭合"), ("unmatched", "多了右括号"),
              ("does not match opening", "左右括号不匹配"), ("unterminated string", "引号没有配对"),
              ("invalid character", "含有无法识别的字符（如中文标点），请改用半角符号"),
              ("invalid decimal literal", "数字写法不对，或事实名以数字开头"), ("forgot a comma", "缺少运算符或逗号"),
              ("unexpected EOF", "公式不完整"), ("incomplete input", "公式不完整"),
              ("invalid syntax", "写法不对，可能缺少运算符、多了符号或括号不配对")]


def _zh_syntax(msg: str) -> str:
    return next((f"{zh}（{msg}）" for en, zh in _SYNTAX_ZH if en in msg), msg)


def _check(node: ast.AST, types: dict[str, str], names: list[str]) -> str:
    """Whitelist walk with a small type check; raises ExprError on anything else."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return BOOL
        if isinstance(node.value, (int, float)):
            return NUM
        if isinstance(node.value, str):
            return TEXT
        raise _not_allowed(node, repr(node.value))
    if isinstance(node, ast.Name):
        if node.id not in types:
            raise ExprError("E304", f"公式引用了未声明的事实“{node.id}”。", f"unknown fact '{node.id}'", node.col_offset,
                            name=node.id)
        names.append(node.id)
        return types[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        for side in (node.left, node.right):
            if _check(side, types, names) != NUM:
                raise ExprError("E311", f"“{_BINOPS[type(node.op)]}”两边都应是数值。",
                                f"both sides of '{_BINOPS[type(node.op)]}' must be numbers", node.col_offset)
        return NUM
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if _check(node.operand, types, names) != NUM:
            raise ExprError("E311", "负号后应是数值。", "a sign needs a number", node.col_offset)
        return NUM
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, types, names)
        return BOOL
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, types, names)
        return BOOL
    if isinstance(node, ast.Compare) and all(type(op) in _CMPOPS for op in node.ops):
        kinds = [_check(node.left, types, names)] + [_check(c, types, names) for c in node.comparators]
        if len(set(kinds)) > 1:
            raise ExprError("E311", "比较的两边类型不同（数值、文字、是否不能相互比较）。",
                            "comparing values of different types", node.col_offset)
        if kinds[0] != NUM and any(not isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            raise ExprError("E311", "文字和是否只能用 == 或 != 比较。", "text and booleans compare only with == or !=",
                            node.col_offset)
        return BOOL
    if isinstance(node, ast.IfExp):
        _check(node.test, types, names)
        a, b = _check(node.body, types, names), _check(node.orelse, types, names)
        if a != b:
            raise ExprError("E311", "if 与 else 两个分支的类型应相同。", "both branches of if/else must have one type",
                            node.col_offset)
        return a
    if isinstance(node, ast.Call):
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname is None or fname not in FUNCTIONS or node.keywords or not node.args:
            shown = fname or ast.unparse(node.func)
            raise ExprError("E309", f"不允许使用函数“{shown}”；只能用 min、max、abs、round。",
                            f"function '{shown}' is not allowed; use min, max, abs, round", node.col_offset)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _not_allowed(node, "*")
        for arg in node.args:
            if _check(arg, types, names) != NUM:
                raise ExprError("E311", f"{fname} 的参数应是数值。", f"{fname} takes numbers", node.col_offset)
        if fname == "round" and (len(node.args) > 2 or (len(node.args) == 2 and not _places(node.args[1]))):
            raise ExprError("E309", "round 的写法是 round(数值, 位数)。", "use round(x, places)", node.col_offset)
        if fname == "abs" and len(node.args) != 1:
            raise ExprError("E309", "abs 只接受一个参数。", "abs takes one argument", node.col_offset)
        return NUM
    raise _not_allowed(node, type(node).__name__)


def _places(node: ast.AST) -> bool:
    """round's second argument: a whole number of places, 0 to 6, written as such."""
    return isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 6


def _not_allowed(node, what) -> ExprError:
    snippet = ast.unparse(node) if isinstance(node, ast.AST) else str(what)
    return ExprError("E309", f"公式中不允许“{snippet[:40]}”。", f"'{snippet[:40]}' is not allowed in a formula",
                     getattr(node, "col_offset", 0))


_OPS: dict[type, Callable[..., Any]] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge, ast.USub: operator.neg, ast.UAdd: operator.pos,
        ast.Not: operator.not_}


def _closure(node: ast.AST) -> Callable[[Mapping[str, object]], Any]:
    """Compile a whitelisted AST (see _check) into nested closures: nothing but the nodes
    below can run, there is no attribute access at all, and evaluation is a few function
    calls per node. Literals become exact Decimals."""
    if isinstance(node, ast.Constant):
        value: object = node.value      # numbers are exact Decimals already (_exact_numbers)
        return lambda env: value
    if isinstance(node, ast.Name):
        key = node.id
        return lambda env: env[key]
    if isinstance(node, ast.BinOp):
        op = _OPS[type(node.op)]
        if isinstance(node.right, ast.Name):       # a fact on the right is read in place (one call less)
            b = node.right.id
            if isinstance(node.left, ast.Name):
                a = node.left.id
                return lambda env: op(env[a], env[b])
            left = _closure(node.left)
            return lambda env: op(left(env), env[b])
        left, right = _closure(node.left), _closure(node.right)
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp):
        op, operand = _OPS[type(node.op)], _closure(node.operand)
        return lambda env: op(operand(env))
    if isinstance(node, ast.BoolOp):
        parts, is_and = [_closure(v) for v in node.values], isinstance(node.op, ast.And)

        def boolop(env):
            value = None
            for part in parts:
                value = part(env)
                if bool(value) != is_and:
                    return value
            return value
        return boolop
    if isinstance(node, ast.Compare):
        first = _closure(node.left)
        chain = [(_OPS[type(op)], _closure(c)) for op, c in zip(node.ops, node.comparators)]
        if len(chain) == 1:      # the common a < b, without the loop
            op, right_fn = chain[0]
            if isinstance(node.left, ast.Name) and isinstance(node.comparators[0], ast.Constant):
                key, constant = node.left.id, node.comparators[0].value   # 方向 == '正向'
                return lambda env: True if op(env[key], constant) else False
            return lambda env: True if op(first(env), right_fn(env)) else False

        def compare(env):
            left = first(env)
            for op, right_fn in chain:
                right = right_fn(env)
                if not op(left, right):
                    return False
                left = right
            return True
        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = _closure(node.test), _closure(node.body), _closure(node.orelse)
        return lambda env: body(env) if test(env) else orelse(env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        fn, args = FUNCTIONS[node.func.id], [_closure(a) for a in node.args]
        if len(args) == 2:       # max(0, x), round(x, 2): the common calls, without a list per call
            a0, a1 = args
            return lambda env: fn(a0(env), a1(env))
        return lambda env: fn(*[a(env) for a in args])
    raise _not_allowed(node, type(node).__name__)   # unreachable after _check


class EvalError(Exception):
    """A formula that cannot be computed for these facts (division by zero, …)."""


def compute(formula: Formula, env: Mapping[str, object]) -> object:
    """Compute under decimal's default context: 28 digits; division by zero, invalid
    operations and overflow raise (we never change those defaults). Only what the facts can
    cause is an EvalError; a TypeError or KeyError is a bug of ours and propagates (exit 3)."""
    try:
        assert formula.fn is not None
        return formula.fn(env)
    except (DivisionByZero, ZeroDivisionError):
        raise EvalError("除数为 0")
    except (ArithmeticError, RecursionError) as exc:
        raise EvalError(f"无法计算（{type(exc).__name__}）")


# ---- conditions (a matcher decides them) --------------------------------------------------

def condition(text: str, types: dict[str, str]) -> Formula:
    """Parse a condition; it must be boolean and hold no arithmetic."""
    formula, kind = parse(text, types)
    if kind != BOOL:
        raise ExprError("E311", "条件的结果应是“是/否”，例如：预算资金支出率 < 90%。",
                        "a condition must be true or false, e.g. rate < 90%")
    for node in ast.walk(formula.tree):
        if isinstance(node, (ast.BinOp, ast.Call, ast.IfExp)) or (
                isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not)
                and not isinstance(node.operand, ast.Constant)):
            raise ExprError("E309", "条件中不能做运算；请先在 facts 中声明一个带 formula 的派生事实，再在条件中比较它。",
                            "conditions hold no arithmetic; declare a derived fact with a formula and compare it",
                            getattr(node, "col_offset", 0))
    return formula


def round_to(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
