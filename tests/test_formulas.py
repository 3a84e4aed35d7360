"""Formulas: our closure compiler agrees with simpleeval, the independent oracle.

The engine compiles each whitelisted formula to closures (expr._closure); simpleeval, a
well-kept sandboxed evaluator, evaluates the same text with the same Decimal semantics here.
"""
import ast
import operator
from decimal import Decimal

from hypothesis import given, strategies as st
from simpleeval import SimpleEval

from perfrules import expr, template

TYPES = {"甲": "number", "乙": "number", "丙": "number", "开": "boolean", "档": "text"}


class Oracle(SimpleEval):
    def __init__(self, names):
        ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
               ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Not: operator.not_, ast.USub: operator.neg,
               ast.UAdd: operator.pos}
        super().__init__(operators=ops, functions=dict(expr.FUNCTIONS), names=names)

    def _eval_constant(self, node):
        v = node.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return Decimal(repr(v))
        return v


numbers = st.one_of(st.sampled_from(["甲", "乙", "丙"]),
                    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str))


def num_expr(depth=3):
    if depth == 0:
        return numbers
    sub = num_expr(depth - 1)
    return st.one_of(
        numbers,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        sub.map(lambda a: f"abs({a})"),
        st.tuples(sub, st.integers(0, 4)).map(lambda t: f"round({t[0]}, {t[1]})"),
        st.tuples(bool_expr(depth - 1), sub, sub).map(lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
    )


def bool_expr(depth):
    leaf = st.one_of(st.just("开"), st.just("档 == '正向'"),
                     st.tuples(numbers, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), numbers)
                     .map(lambda t: f"{t[0]} {t[1]} {t[2]}"))
    if depth <= 0:
        return leaf
    sub = bool_expr(depth - 1)
    return st.one_of(leaf, st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                     sub.map(lambda a: f"not ({a})"))


env_strategy = st.fixed_dictionaries({
    "甲": st.decimals(min_value=-1e6, max_value=1e6, places=6, allow_nan=False, allow_infinity=False),
    "乙": st.decimals(min_value=-1e6, max_value=1e6, places=6, allow_nan=False, allow_infinity=False),
    "丙": st.sampled_from([Decimal(0), Decimal("0.1"), Decimal(3)]),
    "开": st.booleans(),
    "档": st.sampled_from(["正向", "反向"]),
})


def _run(fn):
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 — compared by outcome class only
        return ("error", type(exc).__name__)


@given(text=num_expr(), env=env_strategy)
def test_closures_agree_with_simpleeval(text, env):
    formula, kind = expr.parse(text, TYPES)
    assert kind == "number"
    ours = _run(lambda: expr.compute(formula, dict(env)))
    oracle = _run(lambda: Oracle(dict(env)).eval(expr.normalise(text)))
    if ours[0] == "ok":
        assert oracle == ours
    else:
        assert ours[1] == "EvalError" and oracle[0] == "error"


@given(text=bool_expr(3), env=env_strategy)
def test_boolean_formulas_agree_with_simpleeval(text, env):
    formula, _ = expr.parse(text, TYPES)
    assert _run(lambda: bool(expr.compute(formula, dict(env)))) == _run(lambda: bool(Oracle(dict(env)).eval(expr.normalise(text))))


def test_decimal_exactness_and_half_up_round():
    f, _ = expr.parse("0.1 + 0.2", {})
    assert expr.compute(f, {}) == Decimal("0.3")
    f, _ = expr.parse("round(甲, 2)", TYPES)
    assert expr.compute(f, {"甲": Decimal("2.675")}) == Decimal("2.68")      # half-up, not banker's
    assert expr.compute(f, {"甲": Decimal("-2.675")}) == Decimal("-2.68")


def test_division_by_zero_is_an_eval_error_not_a_crash():
    f, _ = expr.parse("甲 / 丙", TYPES)
    try:
        expr.compute(f, {"甲": Decimal(1), "丙": Decimal(0)})
    except expr.EvalError as exc:
        assert "除数为 0" in str(exc)
    else:
        raise AssertionError("expected EvalError")


def test_optional_template_segment_is_dropped_when_a_field_is_empty():
    text = "扣分{扣分}分，[[本部门有制定{制度:、}等制度，但]]未制订{缺少项}专门制度"
    full = template.fill(text, {"扣分": Decimal(2), "制度": ["甲", "乙"], "缺少项": ["丙", "丁"]})
    assert full == "扣分2分，本部门有制定甲、乙等制度，但未制订丙和丁专门制度"
    empty = template.fill(text, {"扣分": Decimal(3), "制度": [], "缺少项": ["丙"]})
    assert empty == "扣分3分，未制订丙专门制度"
