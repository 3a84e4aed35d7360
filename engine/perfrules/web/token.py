"""The 口令 cookie the 登录 page sets and the guard in app.py reads: its name, and how the
token is written into it and read back. Kept apart so that both sides share one spelling
(pages.py may not import app.py, which imports it).

A cookie value is ASCII (latin-1 at most), and a bureau's 口令 may well be Chinese, so the
value is the token percent-encoded; an ASCII token without reserved characters is unchanged.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

TOKEN_COOKIE = "perfrules_token"


def cookie_value(token: str) -> str:
    return quote(token, safe="")


def token_from_cookie(value: str) -> str:
    return unquote(value)
