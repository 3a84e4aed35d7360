"""The service's error answers, in one shape: `{"ok": false, "problems": [...]}` with the
located problem records the command line prints (problems.Problem.as_dict), so that a page
can mark the field a problem names and a client can read the same fields everywhere.
"""
from __future__ import annotations

from fastapi.responses import JSONResponse

from ..problems import Problem


def problems_response(problems: list[Problem], lang: str = "zh", status: int = 422) -> JSONResponse:
    return JSONResponse({"ok": False, "problems": [p.as_dict(lang) for p in problems]}, status_code=status)


def failed_response(status: int, message: str, message_en: str, lang: str = "zh") -> JSONResponse:
    """An answer that is no problem with one input (not found, internal error, too large):
    the same shape, with the message as `error`."""
    return JSONResponse({"ok": False, "error": message_en if lang == "en" else message, "problems": []},
                        status_code=status)
