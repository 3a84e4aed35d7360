"""The service's error answers, in one shape: `{"ok": false, "problems": [...]}` with the
located problem records the command line prints (problems.Problem.as_dict), so that a page
can mark the field a problem names and a client can read the same fields everywhere.
"""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from ..problems import Problem


def request_lang(request: Request) -> str:
    """The language a request asks for: Chinese unless ?lang=en."""
    return "en" if request.query_params.get("lang") == "en" else "zh"


def problems_response(problems: list[Problem], lang: str = "zh", status: int = 422) -> JSONResponse:
    return JSONResponse({"ok": False, "problems": [p.as_dict(lang) for p in problems]}, status_code=status)


def failed_response(status: int, message: str, message_en: str, lang: str = "zh") -> JSONResponse:
    """An answer that is no problem with one input (not found, internal error, too large):
    the same shape, with the message as `error`."""
    return JSONResponse({"ok": False, "error": message_en if lang == "en" else message, "problems": []},
                        status_code=status)


# what to do with an upload beyond a limit (size or departments)
SPLIT_HINT = "把文件拆成几份分别上传，或在命令行用 perfrules batch 评分。"
SPLIT_HINT_EN = "Split the file, or score it with `perfrules batch`."


def size_text(n: int) -> str:
    """A byte count as people say it: 20 MB, 512 KB, 900 字节."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.4g} MB"
    if n >= 1024:
        return f"{n / 1024:.4g} KB"
    return f"{n} 字节"


def too_large(limit: int) -> Problem:
    shown = size_text(limit)
    return Problem("E105", f"上传的内容超过 {shown} 的上限。", f"the upload is larger than the limit of {shown}".replace("字节", "bytes"),
                   hint=SPLIT_HINT, hint_en=SPLIT_HINT_EN)


def policy_unusable(pid: str, problems: list[Problem], file: str = "", path: str = "$") -> Problem:
    """A policy file of the service's own that does not load: the client is told which and
    whom to ask, never the file's path or what it holds; the details go to the server's log."""
    import sys
    for p in problems:
        sys.stderr.write(f"perfrules serve: 评分办法“{pid}”有错误：{p.file}:{p.line}:{p.col} [{p.code}] {p.message}\n")
    return Problem("E406", f"评分办法“{pid}”本身有错误，暂时不能用它评分；请联系管理员（在服务器上运行 perfrules validate 可查看原因）。",
                   f"the policy '{pid}' has errors and cannot be used now; ask the administrator", file, path=path)
