"""Intervals of rule files ("(10%, 20%]", "[90%, +inf)", "< 60%"): exact Decimal edges, overlap
and gap checks for bands, numbers shown as staff write them, and an interval in prose for a
reason ("80%（含）至90%（不含）": the notation never leaks into a sentence). Part of the
expression language (expr.py re-exports every name here)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .formula_text import SYMBOLS as _SYMBOLS, shift


@dataclass(frozen=True)
class Interval:
    lo: Decimal | None          # None: unbounded
    lo_closed: bool
    hi: Decimal | None
    hi_closed: bool
    text: str = ""

    def contains(self, x: Decimal) -> bool:
        if self.lo is not None and (x < self.lo or (x == self.lo and not self.lo_closed)):
            return False
        if self.hi is not None and (x > self.hi or (x == self.hi and not self.hi_closed)):
            return False
        return True


_INF = {"+inf", "inf", "+∞", "∞", "正无穷"}
_NINF = {"-inf", "-∞", "负无穷"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)%?$")


# significant digits a number may have (an official amount has 12 at most): numbers reach
# durable_rules as text (matcher/order.py), and durable keeps text lengths in 16 bits (limits.py)
MAX_DIGITS = 40


def number_text(text: str) -> Decimal:
    """'10%' -> 0.1, '3' -> 3; raises ValueError (also beyond MAX_DIGITS digits)."""
    t = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not _NUMBER.match(t) or sum(ch.isdigit() for ch in t.lstrip("+-0.")) > MAX_DIGITS:
        raise ValueError(text)
    if t.endswith("%"):
        return shift(Decimal(t[:-1]), -2)
    return Decimal(t)


def interval(text: str) -> Interval:
    """'(10%, 20%]', '[90%, +inf)', '< 60%', '>= 0.9', '= 0'; raises ValueError."""
    t = unicodedata.normalize("NFKC", str(text)).strip().translate(_SYMBOLS)
    m = re.match(r"^([\[(])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\])])$", t)
    if m:
        lo_s, hi_s = m.group(2).lower(), m.group(3).lower()
        lo = None if lo_s in _NINF else number_text(lo_s)
        hi = None if hi_s in _INF else number_text(hi_s)
        if lo_s in _INF or hi_s in _NINF:
            raise ValueError(text)
        iv = Interval(lo, m.group(1) == "[" and lo is not None, hi, m.group(4) == "]" and hi is not None, str(text))
        if lo is not None and hi is not None and (lo > hi or (lo == hi and not (iv.lo_closed and iv.hi_closed))):
            raise ValueError(text)
        return iv
    m = re.match(r"^(<=|>=|<|>|==|=)\s*(.+)$", t)
    if m:
        v = number_text(m.group(2))
        op = m.group(1)
        return {
            "<": Interval(None, False, v, False, str(text)), "<=": Interval(None, False, v, True, str(text)),
            ">": Interval(v, False, None, False, str(text)), ">=": Interval(v, True, None, False, str(text)),
        }.get(op, Interval(v, True, v, True, str(text)))
    raise ValueError(text)


def _ends(iv: Interval) -> tuple[str, str]:
    """The two ends as the policy wrote them ("80%", "0.9"), or as numbers where it did not."""
    t = unicodedata.normalize("NFKC", iv.text).strip().translate(_SYMBOLS)
    m = re.match(r"^[\[(]\s*([^,]+?)\s*,\s*([^,]+?)\s*[\])]$", t)
    written = [m.group(1), m.group(2)] if m else [re.sub(r"^(<=|>=|<|>|==|=)\s*", "", t)] * 2
    out = []
    for end, w in zip((iv.lo, iv.hi), written):
        w = w.replace(" ", "")
        out.append("" if end is None else w if _NUMBER.match(w) and number_text(w) == end else fmt(end))
    return out[0], out[1]


_PROSE = {   # (lo given, lo closed, hi given, hi closed) -> zh, en
    (True, True, True, False): ("{a}（含）至{b}（不含）", "{a} (inclusive) to {b} (exclusive)"),
    (True, False, True, True): ("{a}（不含）至{b}（含）", "{a} (exclusive) to {b} (inclusive)"),
    (True, True, True, True): ("{a}（含）至{b}（含）", "{a} to {b} (both inclusive)"),
    (True, False, True, False): ("{a}（不含）至{b}（不含）", "{a} to {b} (both exclusive)"),
    (True, True, False, False): ("{a}及以上", "{a} or more"),
    (True, False, False, False): ("高于{a}", "above {a}"),
    (False, False, True, False): ("低于{b}", "below {b}"),
    (False, False, True, True): ("{b}及以下", "{b} or less"),
    (False, False, False, False): ("任意值", "any value"),
}


@lru_cache(maxsize=4096)
def prose(iv: Interval, lang: str = "zh") -> str:
    """'[80%, 90%)' -> 80%（含）至90%（不含）; '>= 90%' -> 90%及以上; '= 5' -> 等于5 (English too).
    Cached: a policy's intervals are few and frozen, and every department that falls in a band
    would otherwise re-parse its ends (about 4.5 times per department on the Panyu policy)."""
    a, b = _ends(iv)
    if iv.lo is not None and iv.lo == iv.hi:
        return f"等于{a}" if lang == "zh" else f"exactly {a}"
    zh, en = _PROSE[(iv.lo is not None, iv.lo_closed, iv.hi is not None, iv.hi_closed)]
    return (zh if lang == "zh" else en).format(a=a, b=b)


def overlaps(a: Interval, b: Interval) -> bool:
    """True when some number lies in both."""
    lo, lo_c = _max_lo(a, b)
    hi, hi_c = _min_hi(a, b)
    if lo is None or hi is None:
        return True
    return lo < hi or (lo == hi and lo_c and hi_c)


def _max_lo(a, b):
    if a.lo is None:
        return b.lo, b.lo_closed
    if b.lo is None or a.lo > b.lo:
        return a.lo, a.lo_closed
    if b.lo > a.lo:
        return b.lo, b.lo_closed
    return a.lo, a.lo_closed and b.lo_closed


def _min_hi(a, b):
    if a.hi is None:
        return b.hi, b.hi_closed
    if b.hi is None or a.hi < b.hi:
        return a.hi, a.hi_closed
    if b.hi < a.hi:
        return b.hi, b.hi_closed
    return a.hi, a.hi_closed and b.hi_closed


def gaps(intervals: list[Interval], lo: Decimal | None = None) -> list[str]:
    """Uncovered stretches of [lo, +inf) (or of the whole line when lo is None), as text."""
    return [text for text, _ in gaps_located(intervals, lo)]


def gaps_located(intervals: list[Interval], lo: Decimal | None = None, show=None) -> list[tuple[str, int]]:
    """Each uncovered stretch as text (numbers shown by `show`, fmt by default) and the index
    in `intervals` of the band beside it: the one that starts just after the gap, or for a gap
    up to +inf, the one that ends just before it (where an edge must move to close it)."""
    show = show or fmt
    out: list[tuple[str, int]] = []
    need, need_incl = lo, True          # the first point not yet covered; None is -inf
    last = 0                            # the band that reached `need`
    order = sorted(range(len(intervals)), key=lambda i: (Decimal("-Infinity") if intervals[i].lo is None else intervals[i].lo,
                                                         not intervals[i].lo_closed))
    for i in order:
        iv = intervals[i]
        if need is None:
            starts_in_time = iv.lo is None
        else:
            starts_in_time = iv.lo is None or iv.lo < need or (iv.lo == need and (iv.lo_closed or not need_incl))
        if not starts_in_time:
            left = "(-inf" if need is None else ("[" if need_incl else "(") + show(need)
            assert iv.lo is not None        # an unbounded start is always in time
            out.append((f"{left}, {show(iv.lo)}{')' if iv.lo_closed else ']'}", i))
        if iv.hi is None:
            return out
        if need is None or (iv.hi, iv.hi_closed) > (need, not need_incl):
            need, need_incl, last = iv.hi, not iv.hi_closed, i
    left = "(-inf" if need is None else ("[" if need_incl else "(") + show(need)
    out.append((f"{left}, +inf)", last))
    return out


def fmt_percent(x: Decimal) -> str:
    """A fraction as a percent, as staff write it: 0.8 -> 80%, 0 -> 0."""
    return fmt(x * 100) + "%" if x != 0 else "0"


def fmt(x: Decimal) -> str:
    """A number as staff would write it: trailing zeros dropped."""
    text = str(x)
    # str's text already is it when it has no exponent, no trailing zero after a point and at
    # most 28 digits (normalize below rounds to the context's 28): most values of a report
    if len(text) <= 28 and "E" not in text and not (text[-1] == "0" and "." in text):
        return text
    if x == x.to_integral_value():
        return format(x.to_integral_value(), "f")   # not quantize: a 400-digit number overflows its precision
    return format(x.normalize(), "f")
