"""Reading one value of one fact type, as people write it.

Values are accepted where the meaning is unambiguous (98.83%, 690.47万元, 6,904,700元,
full-width digits, 是/否) and refused with a hint where it is not: a bare number in a percent
field (1.5: 1.5% or 150%?) unless it is 0, a percent sign on an amount or a count. A money
fact is held in the unit its policy declares (万元 unless it says otherwise); an amount
written in another unit is converted exactly. One coercer per fact type, looked up once per
value; shared by fact files and by the defaults a policy declares. A problem comes back as
data: (中文, English, code). `form` says how a number was written (with %, with a money unit,
or bare), for the checks that compare two values of one record.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable

from . import expr, units
from .model import NUMERIC_TYPES, FactDecl
from .problems import did_you_mean, show_value

Problem3 = tuple[str, str, str]          # (中文, English, code)
Coerced = tuple[object, "Problem3 | None"]

_TRUE = {"true", "是", "有", "yes", "y", "on", "已", "已制定", "已建立", "✓", "√", "1"}
_FALSE = {"false", "否", "无", "没有", "no", "n", "off", "未", "未制定", "未建立", "✗", "×", "0"}
# a money unit in yuan; an amount in unit a is shifted by the powers of ten between a and b (exact)
YUAN = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(10**8)}
DEFAULT_MONEY_UNIT = "万元"
# beyond this, in its unit, an amount gets a warning unless its fact declares `plausible`: 10亿元 each
PLAUSIBLE_MAX = {"元": Decimal(10**9), "千元": Decimal(10**6), "万元": Decimal(10**5), "亿元": Decimal(10)}
_YUAN_POWER = {"元": 0, "千元": 3, "万元": 4, "亿元": 8}
_NUM = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|万元|亿元|千元|元|[\u4e00-\u9fff]{1,3})?$")
PERCENT, UNIT, BARE = "%", "unit", ""        # how a number was written (form)


_PLAIN_NUM = re.compile(r"([+-]?\d+(?:\.\d+)?)(%|万元)?")
_SEPARATOR = re.compile(r"\d[, ]+\d")            # a comma or space between digits
# a power of ten before a counting word (1.85万人次 is 18,500 人次), except in units that begin with one
_MAGNITUDES = {"十": 1, "百": 2, "千": 3, "万": 4, "亿": 8}
_UNITS_WITH_A_MAGNITUDE = ("千克", "千米", "千瓦", "千伏", "千帕", "千卡", "千焦", "千赫", "千字", "千兆", "百分点", "百分比")


_LEADING_DIGITS = re.compile(r"[+-]?\s*(\d[\d, ]*\d|\d)")
_GROUPED = re.compile(r"\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)")     # 6,904,700 or 6 904 700: every three digits


def _clean(text: str) -> str:
    """Full-width forms to ASCII (NFKC: ，to ,), and the separators of the whole part dropped
    where they group it by three (6,904,700元, 1 234). A comma or space anywhere else stays in,
    so that no number matches: 690，47 is not 69047, nor 18,5 185, nor 6,90,470 690470."""
    t = unicodedata.normalize("NFKC", text).strip()
    if "," not in t and " " not in t:
        return t
    m = _LEADING_DIGITS.match(t)
    if m is not None and ("," in m.group(1) or " " in m.group(1)):
        if not _GROUPED.fullmatch(m.group(1)):
            return t
        t = t[:m.start(1)] + m.group(1).replace(",", "").replace(" ", "") + t[m.end(1):]
    if "," in t or _SEPARATOR.search(t):     # a comma left anywhere, or 690.47 5 (not 690.475)
        return t
    return t.replace(" ", "")      # spaces around the sign, the % or the unit go


def coerce(decl: FactDecl, raw: object) -> Coerced:
    """(value, None) or (None, (中文, English, code)). Shared by fact files and policy defaults."""
    return _COERCE.get(decl.type, _unknown_type)(decl, raw)


def coercer(decl: FactDecl) -> Callable[[FactDecl, object], Coerced]:
    """The coercer of a fact type, for a caller that reads many values of one field."""
    return _COERCE.get(decl.type, _unknown_type)


def fast_coercer(decl: FactDecl) -> Callable[[FactDecl, object], Coerced]:
    """The coercer of a fact type with the plain numbers (an int, "256.2", "98.83%",
    "206.84万元") read directly: the same value the general coercer gives, which reads
    everything else and every value that has a problem."""
    if decl.type not in NUMERIC_TYPES:
        return coercer(decl)
    return _plain_number_reader(decl)


def _plain_number_reader(decl: FactDecl) -> Callable[[FactDecl, object], Coerced]:
    t, lo, hi = decl.type, decl.min, decl.max
    # per unit written: the exponent to append (exact, as expr.shift), or None where the general
    # path has a problem to say (a bare percent, a unit that does not fit)
    exponent = {None: None if t == "percent" else "", "%": None if t in ("money", "count") else "E-2",
                "万元": f"E{_YUAN_POWER['万元'] - _YUAN_POWER[decl.unit or DEFAULT_MONEY_UNIT]}" if t == "money" else None}
    fullmatch, max_len, max_abs = _PLAIN_NUM.fullmatch, expr.MAX_DIGITS, expr.MAX_ABS
    ints = t != "percent"

    @lru_cache(maxsize=1024)       # a district's values repeat (95%, 100%); bounded, so memory is too
    def plain(raw: str) -> Decimal | None:
        """The value of a plain number text, or None where the general path decides."""
        m = fullmatch(raw)
        if m is None:
            return None
        digits, unit = m.groups()
        e = exponent[unit]
        # ASCII digits this few cannot be too many significant ones (the general path's count)
        if e is None or len(digits) > max_len or not digits.isascii():
            return None
        value = Decimal(digits + e)
        if abs(value) >= max_abs or (t == "count" and value != value.to_integral_value()) \
                or (lo is not None and value < lo) or (hi is not None and value > hi):
            return None
        return value

    def read(decl: FactDecl, raw: object) -> Coerced:
        if type(raw) is int:            # as _coerce_number's own first case
            if ints and -_MAX_INT < raw < _MAX_INT:
                whole = Decimal(raw)
                if (lo is None or whole >= lo) and (hi is None or whole <= hi):
                    return whole, None
        elif type(raw) is str and len(raw) <= max_len + 2:     # longer is never plain: not kept in the cache
            value = plain(raw)
            if value is not None:
                return value, None
        return _coerce_number(decl, raw)
    return read


def _coerce_number(decl: FactDecl, raw):
    t = decl.type
    if type(raw) is int and t != "percent":          # the common case, without the checks below
        whole = Decimal(raw)
        if -_MAX_INT < raw < _MAX_INT and (decl.min is None or whole >= decl.min) and (decl.max is None or whole <= decl.max):
            return whole, None
    value, problem = _number(decl, raw)
    if problem or value is None:
        return None, problem
    if not value.is_finite() or abs(value) >= expr.MAX_ABS:
        return None, ("数值过大（不应达到 10^12）。", "number too large", "E407")
    # an ASCII text of at most MAX_DIGITS characters cannot hold more digits (skips the count)
    if not (type(raw) is str and len(raw) <= expr.MAX_DIGITS and raw.isascii()) \
            and len("".join(map(str, value.as_tuple().digits)).strip("0")) > expr.MAX_DIGITS:    # not normalize(): it rounds to 28
        return None, (f"数字的有效位数超过 {expr.MAX_DIGITS} 位。", f"more than {expr.MAX_DIGITS} significant digits", "E407")
    if t == "count" and value != value.to_integral_value():
        return None, (f"个数应为整数，实际是 {expr.fmt(value)}。", "a count must be a whole number", "E402")
    if decl.min is not None and value < decl.min:
        return None, (f"不能小于 {shown(decl, decl.min)}，实际是 {shown(decl, value)}。",
                      f"below the minimum {shown(decl, decl.min)}", "E407")
    if decl.max is not None and value > decl.max:
        return None, (f"不能大于 {shown(decl, decl.max)}，实际是 {shown(decl, value)}。",
                      f"above the maximum {shown(decl, decl.max)}", "E407")
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
    return None, (f"应填 true 或 false（也可写 是/否），实际是 {show_value(raw)}。", f"expected true or false, got {show_value(raw, True)}", "E402")


def _coerce_text(decl: FactDecl, raw):
    if isinstance(raw, str) and raw.strip():
        return raw.strip(), None
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return str(raw), None
    return None, (f"应为文字，实际是 {show_value(raw)}。", f"expected text, got {show_value(raw, True)}", "E402")


def _coerce_texts(decl: FactDecl, raw):
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list) and all(isinstance(x, (str, int, Decimal)) and not isinstance(x, bool) for x in raw):
        return [str(x).strip() for x in raw if str(x).strip()], None
    return None, (f"应为文字列表，实际是 {show_value(raw)}。", f"expected a list of text, got {show_value(raw, True)}", "E402")


def _coerce_choice(decl: FactDecl, raw):
    if type(raw) is str and raw in decl.options:      # exact: no stripping needed
        return raw, None
    s = str(raw).strip() if isinstance(raw, (str, int, Decimal)) and not isinstance(raw, bool) else None
    if s in decl.options:
        return s, None
    hint = did_you_mean(str(raw), decl.options)
    return None, (f"应为 {'、'.join(decl.options)} 之一，实际是 {show_value(raw)}。{hint}",
                  f"expected one of {', '.join(decl.options)}, got {show_value(raw, True)}", "E204")


def _coerce_list(decl: FactDecl, raw):
    if isinstance(raw, list):
        return raw, None   # records are read by read_records, which can locate each field
    return None, (f"应为记录列表（每项以“- ”开头），实际是 {show_value(raw)}。", "expected a list of records", "E402")


def _unknown_type(decl: FactDecl, raw):
    return None, ("未知类型。", "unknown type", "E402")


_COERCE: dict[str, Callable[[FactDecl, object], Coerced]] = {**{t: _coerce_number for t in NUMERIC_TYPES}, "boolean": _coerce_boolean, "text": _coerce_text,
           "texts": _coerce_texts, "choice": _coerce_choice, "list": _coerce_list}


def _number(decl: FactDecl, raw) -> tuple[Decimal | None, tuple | None]:
    if isinstance(raw, bool) or raw is None:
        return None, (f"应为数字，实际是 {show_value(raw)}。", f"expected a number, got {show_value(raw, True)}", "E402")
    if isinstance(raw, float):   # .inf / .nan from YAML
        return None, (f"应为有限的数字，实际是 {raw}。", "expected a finite number", "E402")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
        if decl.type == "percent" and value != 0:
            return None, _bare_percent(value)
        return value, None
    if not isinstance(raw, str):
        return None, (f"应为数字，实际是 {show_value(raw)}。", f"expected a number, got {show_value(raw, True)}", "E402")
    m = _PLAIN_NUM.fullmatch(raw) or _NUM.match(_clean(raw))   # most values need no clean-up
    if not m:
        if _SEPARATOR.search(unicodedata.normalize("NFKC", raw)):
            return None, (f"无法识别的数字 {show_value(raw)}：数字中的逗号或空格只能作千位分隔，每三位一个（如 6,904,700元）；"
                          "小数点请写“.”（如 690.47万元）。",
                          f"not a number: {show_value(raw, True)}; a comma or space in a number may only separate "
                          "thousands (6,904,700); write the decimal point as '.'", "E402")
        return None, (f"无法识别的数字 {show_value(raw)}。", f"not a number: {show_value(raw, True)}", "E402")
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:
        return None, (f"无法识别的数字 {show_value(raw)}。", f"not a number: {show_value(raw, True)}", "E402")
    unit = m.group(2) or ""
    if unit == "%":
        if decl.type in ("money", "count"):
            return None, _percent_sign(decl, raw)
        return expr.shift(value, -2), None
    if unit in YUAN:
        if decl.type != "money":
            return None, (f"“{raw}”带有金额单位，但该事实不是金额（money）。", "a money unit on a non-money fact", "E404")
        return expr.shift(value, _YUAN_POWER[unit] - _YUAN_POWER[decl.unit or DEFAULT_MONEY_UNIT]), None
    if unit:
        if unit[0] in _MAGNITUDES and not unit.startswith(_UNITS_WITH_A_MAGNITUDE) \
                and decl.type in ("number", "count"):     # 1.85万人次 is 18500人次, not 1.85
            whole = expr.fmt(expr.shift(value, _MAGNITUDES[unit[0]]))
            return None, (f"“{raw}”中的“{unit[0]}”是数量级，不是量词；请写出完整的数，如 {whole}{unit[1:]}。",
                          f"{show_value(raw, True)}: '{unit[0]}' is a magnitude, not a counting word; write {whole}",
                          "E404")
        if decl.type in ("number", "count"):
            return value, None   # 185人次, 3项: a counting word after the number
        return None, (f"“{raw}”的单位“{unit}”不适用于 {decl.type} 类型。", f"unit '{unit}' does not fit {decl.type}", "E404")
    if decl.type == "percent" and value != 0:
        return None, _bare_percent(value)
    return value, None


def shown(decl: FactDecl, value: Decimal) -> str:
    """A number of a fact as its file writes it: a percent with % (1.05 is 105%), an amount with
    its unit, anything else as it is (exact, expr.fmt)."""
    if decl.type == "percent":
        return expr.fmt(expr.shift(value, 2)) + "%"
    if decl.type == "money":
        return expr.fmt(value) + (decl.unit or DEFAULT_MONEY_UNIT)
    return expr.fmt(value)


def _bare_percent(value: Decimal) -> Problem3:
    """A bare number in a percent field: 1.5 may be 1.5% or 150%, 0.9 may be 90% or 0.9%."""
    first, other = units.fix(value)
    return (f"百分比字段填了不带 % 的 {expr.fmt(value)}，不清楚是 {first} 还是 {other}：若指 {first} 就写 {first}，若指 {other} 就写 {other}。",
            f"{expr.fmt(value)} in a percent field has no %: {first} or {other}? Write the one meant, with its % sign", "E404")


def _percent_sign(decl: FactDecl, raw: object) -> Problem3:
    """98.83% in an amount or a count: the percent sign is never dropped (0.9883 万元 would score)."""
    if decl.type == "money":
        unit = decl.unit or DEFAULT_MONEY_UNIT
        return (f"“{raw}”是百分比，但该事实是金额（单位{unit}）；请写金额，如 690.47{unit}。",
                f"{show_value(raw, True)} is a percent, but the fact is an amount in {unit}; write the amount", "E404")
    return (f"“{raw}”是百分比，但该事实是个数；请写整数，如 3。",
            f"{show_value(raw, True)} is a percent, but the fact is a count; write a whole number", "E404")


def form(raw: object) -> str:
    """How a number was written: PERCENT (98.83%), UNIT (690.47万元), BARE (690.47), or its
    counting word (人次 for 185人次), which a bare number read with it may leave out."""
    if not isinstance(raw, str):
        return BARE
    return _cached_form(raw) if len(raw) <= _CACHED_LEN else _text_form(raw)


def _text_form(raw: str) -> str:
    unit = _text_suffix(raw)
    return PERCENT if unit == "%" else UNIT if unit in YUAN else unit


def bare_number(raw: object) -> bool:
    """A number written with no %, unit or counting word: a number stored as text in a cell
    (690.47, ６９０．４７) as well as a number."""
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return True
    if not isinstance(raw, str):
        return False
    m = _PLAIN_NUM.fullmatch(raw) or _NUM.match(_clean(raw))
    return m is not None and not m.group(2)


def written_unit(raw: object) -> str:
    """The money unit a value was written with ("" when none)."""
    unit = _suffix(raw)
    return unit if unit in YUAN else ""


def _suffix(raw: object) -> str:
    if not isinstance(raw, str):
        return ""
    return _cached_suffix(raw) if len(raw) <= _CACHED_LEN else _text_suffix(raw)


def _text_suffix(raw: str) -> str:
    m = _PLAIN_NUM.fullmatch(raw) or _NUM.match(_clean(raw))
    return (m.group(2) or "") if m else ""


# a district's values repeat (95%, 100%): short texts' forms are kept, bounded in number and size
_CACHED_LEN = 64
_cached_suffix = lru_cache(maxsize=4096)(_text_suffix)
_cached_form = lru_cache(maxsize=4096)(_text_form)
