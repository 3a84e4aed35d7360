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


# ---- issue 8: text literals, exact numbers, templates that never re-read their values ------

def test_text_literals_are_never_rewritten():
    """90% -> 0.9 and NFKC apply to the code only: "10%以上" and "（一）" stay as written."""
    types = {"等次": "text", "甲": "number"}
    for text in ['等次 == "10%以上"', "等次 == '10%以上'", "等次 == ＂10%以上＂", "等次 == ＇10%以上＇"]:
        f = expr.condition(text, types)
        assert expr.compute(f, {"等次": "10%以上"}) is True, text
        assert expr.compute(f, {"等次": "0.1以上"}) is False, text
    f = expr.condition("等次 == ＂（一）＂ and 甲 >= 90%", types)
    assert expr.compute(f, {"等次": "（一）", "甲": Decimal("0.9")}) is True
    assert expr.compute(f, {"等次": "(一)", "甲": Decimal("0.9")}) is False
    assert expr.normalise("甲 ≥ ９０％ and 等次 == 'Ａ＝1“好”'") == "甲 >= 0.90 and 等次 == 'Ａ＝1“好”'"


def test_a_quote_left_open_and_an_equals_sign_inside_text():
    types = {"等次": "text"}
    for text in ["等次 == ＂好", "等次 == '好"]:
        try:
            expr.condition(text, types)
        except expr.ExprError as exc:
            assert exc.code == "E308" and "引号没有配对" in exc.zh, exc.zh
        else:
            raise AssertionError(text)
    try:
        expr.condition("等次 == 'a=b' and", types)       # the = inside the text is not the mistake
    except expr.ExprError as exc:
        assert exc.code == "E308" and "==" not in exc.zh
    else:
        raise AssertionError("expected E308")


def test_number_literals_are_exact_decimals_of_their_text():
    """Python reads 99999999999.999999 as the float 1e11; the closure must see the text's value."""
    f = expr.condition("甲 >= 99999999999.9999989", TYPES)
    (const,) = [n for n in ast.walk(f.tree) if isinstance(n, ast.Constant)]
    assert const.value == Decimal("99999999999.9999989") and isinstance(const.value, Decimal)
    assert expr.compute(f, {"甲": Decimal("99999999999.999999")}) is True      # a float says False
    assert expr.compute(f, {"甲": Decimal("99999999999.999998")}) is False
    f = expr.condition("甲 >= 0.1000000000000000000001", TYPES)               # 22 digits
    assert expr.compute(f, {"甲": Decimal("0.1")}) is False                    # a float says True
    f, _ = expr.parse("甲 * 1.00000000000000000001 - 甲", TYPES)
    assert expr.compute(f, {"甲": Decimal(10)}) == Decimal("1E-19")
    f, _ = expr.parse("甲 + 1_000 + 0x10 + 50%", TYPES)
    assert expr.compute(f, {"甲": Decimal(0)}) == Decimal("1016.50")


def test_round_places_are_checked_when_the_formula_is_read():
    for text in ["round(甲, 2.5)", "round(甲, 7)", "round(甲, -1)"]:
        try:
            expr.parse(text, TYPES)
        except expr.ExprError as exc:
            assert exc.code == "E309"
        else:
            raise AssertionError(text)


def test_a_filled_value_is_never_read_as_a_template():
    """fill is one pass over the template's own text: a department's "{扣分:%%}" (exit 3 before)
    or "{全年预算数}" (filled with another fact before) is shown as written."""
    text = "扣分{扣分}分，[[本部门有制定{制度:、}等制度，但]]未制订{缺少项}专门制度，预算{全年预算数}"
    values = {"扣分": Decimal(2), "制度": ["{扣分:%%}", "{全年预算数}", "[[x]]"], "缺少项": ["{制度}"],
              "全年预算数": Decimal("690.47")}
    assert template.fill(text, values) == \
        "扣分2分，本部门有制定{扣分:%%}、{全年预算数}、[[x]]等制度，但未制订{制度}专门制度，预算690.47"
    assert template.fill("{a}[[{b}]]{c}", {"a": "[[", "b": "x", "c": "]]"}) == "[[x]]"
