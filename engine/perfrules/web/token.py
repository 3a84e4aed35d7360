"""The --token check, shared by the guard in app.py and the 登录 page (pages.py may not
import app.py, which imports it).

A request carries the token as `Authorization: Bearer 口令` (the scheme in any case, the
口令 in UTF-8), or the cookie the 登录 page sets. The cookie holds a digest of the token,
not the token: a cookie value is ASCII (latin-1 at most) while a bureau's 口令 may well be
Chinese, and a cookie that leaks does not tell the 口令. Comparisons take constant time.
"""
from __future__ import annotations

import hashlib
import hmac

TOKEN_COOKIE = "perfrules_token"
OPEN_PATHS = ("/login", "/healthz")            # and everything under /static/


def cookie_value(token: str) -> str:
    return hashlib.sha256(("perfrules-token:" + token).encode("utf-8")).hexdigest()


def matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def allowed(path: str, raw_headers: list, token: str) -> bool:
    """Whether a request (its path and raw ASGI headers) may pass with `token` set."""
    if path in OPEN_PATHS or path.startswith("/static/"):
        return True
    for key, value in raw_headers:
        name = key.decode("latin-1").lower()
        if name == "authorization":
            scheme, _, given = value.decode("utf-8", "replace").partition(" ")
            if scheme.lower() == "bearer" and matches(given, token):
                return True
        elif name == "cookie":
            for part in value.decode("latin-1").split(";"):
                cookie, _, given = part.strip().partition("=")
                if cookie == TOKEN_COOKIE and hmac.compare_digest(given.strip('"').encode("latin-1"),
                                                                  cookie_value(token).encode("ascii")):
                    return True
    return False
