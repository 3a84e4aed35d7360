"""matcher/order.py: the text of two numbers compares as the numbers do, exactly."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from perfrules.matcher.order import encode

NUMBERS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e13"), max_value=Decimal("1e13")),
    st.integers(-10**13, 10**13).map(Decimal),
    st.tuples(st.integers(-10**20, 10**20), st.integers(0, 30)).map(lambda t: Decimal(t[0]).scaleb(-t[1])),
    # any exponent decimal's default context allows (Emax 999999): order.py writes the exponent at its own length
    st.tuples(st.integers(-10**6, 10**6), st.integers(-999_000, 999_000)).map(lambda t: Decimal(t[0]).scaleb(t[1])))


def _cmp(a, b) -> int:
    return (a > b) - (a < b)


@given(a=NUMBERS, b=NUMBERS)
@example(a=Decimal("0.8999999"), b=Decimal("0.9"))
@example(a=Decimal("99999999999.999999"), b=Decimal("1E+11"))
@example(a=Decimal("-0.5"), b=Decimal("-0.51"))
@example(a=Decimal("-5"), b=Decimal("-50"))
@example(a=Decimal("0"), b=Decimal("-0.000001"))
@example(a=Decimal("1e-700"), b=Decimal("0"))
@example(a=Decimal("-1e-700"), b=Decimal("-1e-699"))
@example(a=Decimal("1e600"), b=Decimal("9e599"))
@example(a=Decimal("1e-9999999"), b=Decimal("1e-10000000"))
@example(a=Decimal("-1e12"), b=Decimal("-1e-12"))
def test_text_order_is_number_order(a, b):
    assert _cmp(encode(a), encode(b)) == _cmp(a, b)


@pytest.mark.parametrize("same", [("2", "2.0", "2.000", "0.2E1"), ("-0.5", "-0.50"), ("0", "-0", "0.000")])
def test_equal_numbers_have_equal_text(same):
    assert len({encode(Decimal(x)) for x in same}) == 1


def test_non_finite_numbers_are_refused():
    for bad in (Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN")):
        with pytest.raises(ValueError):
            encode(bad)


def _encode_by_digits(value):
    """order.encode as first written, from as_tuple()'s digits (the reference for the faster one)."""
    from perfrules.matcher.order import _COMPLEMENT, _exponent, ZERO
    if value == 0:
        return ZERO
    sign, digits, _ = value.as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    if not sign:
        return "2" + _exponent(value.adjusted()) + text
    return "0" + _exponent(-value.adjusted()) + text.translate(_COMPLEMENT) + "~"


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_encode_from_format_equals_encode_from_digits(x):
    from perfrules.matcher.order import encode
    assert encode(x) == _encode_by_digits(x)
