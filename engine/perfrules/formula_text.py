"""Formula text as a Chinese keyboard types it, made into the syntax expr.py parses.

Only the code is normalised (NFKC: full-width brackets and digits; × ÷ ≥ ≤; 90% -> 0.90);
text literals are kept exactly as written, so `等次 == "10%以上"` still compares with the text
10%以上 and `"（一）"` keeps its full-width brackets. Literals are quoted with " or ' (or their
full-width forms ＂ ＇, which NFKC has always made ASCII); “…” and ‘…’ are not quotes here, since
they usually wrap a fact's name by mistake (E308 says to use ASCII symbols). `formula_name` is
the name a formula sees for a fact key: two keys with one formula name cannot be told apart.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

SYMBOLS = str.maketrans({"×": "*", "÷": "/", "≥": ">=", "≤": "<=", "≠": "!=", "－": "-", "＝": "="})
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
_CLOSE = {'"': '"', "'": "'", "＂": "＂", "＇": "＇"}   # opening quote -> its closing quote


class UnclosedQuote(ValueError):
    """A full-width quote that never closes; `offset` is where it opens."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def shift(value: Decimal, places: int) -> Decimal:
    """value × 10^places, exact for any number of digits (`/ 100` and even `scaleb` round to
    the context's 28 digits): 89.99999999999999999999999999999% stays below 90%."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), value     # finite
    return Decimal((sign, digits, exponent + places))


def code(text: str) -> str:
    """Normalise text that holds no literal."""
    text = unicodedata.normalize("NFKC", text).translate(SYMBOLS)
    return _PERCENT.sub(lambda m: format(shift(Decimal(m.group(1)), -2), "f"), text)


def formula_name(key: str) -> str:
    """The name a formula sees for a fact key (Ａ率 and A率 are one name)."""
    return code(key)


def pieces(text: str) -> list[tuple[bool, str]]:
    """(is a literal, text as written) in order; ASCII-quoted literals keep Python's backslash
    escapes, full-width ones have none. Raises UnclosedQuote for a full-width quote left open
    (an ASCII one is left to Python's own "unterminated string" error)."""
    out: list[tuple[bool, str]] = []
    start = i = 0
    while i < len(text):
        ch = text[i]
        if ch not in _CLOSE:
            i += 1
            continue
        out.append((False, text[start:i]))
        end = _closing(text, i)
        if end < 0:
            if ch in "\"'":
                out.append((True, text[i:]))
                return out
            raise UnclosedQuote(i)
        out.append((True, text[i:end + 1]))
        start = i = end + 1
    out.append((False, text[start:]))
    return out


def _closing(text: str, i: int) -> int:
    close, j = _CLOSE[text[i]], i + 1
    while j < len(text):
        if text[j] == "\\" and text[i] in "\"'":
            j += 2
            continue
        if text[j] == close:
            return j
        j += 1
    return -1


def normalise(text: str) -> str:
    """Python expression text: code normalised, each literal as written (a full-width quoted
    one re-quoted so that Python reads exactly its characters)."""
    return "".join(_literal(t) if is_literal else code(t) for is_literal, t in pieces(text))


def code_only(text: str) -> str:
    """The normalised code with every literal blanked out (for hints about = and ==)."""
    return "".join('""' if is_literal else code(t) for is_literal, t in pieces(text))


def _literal(written: str) -> str:
    if written[0] in "\"'":
        return written
    return repr(written[1:-1])
