"""The browser pages (server-rendered with Jinja2): 评分, 批量, 记录, 评分办法, 登录.

Each page is drawn on the server from the same data the API answers with (describe.py's
policy detail, batch_view's JSON, the store's rows), so a page can never say something the
API does not. The 评分 form is generated from the policy's fact declarations; its little
script (static/app.js) only collects the values, posts them to /api/evaluate and shows the
answer. The 批量 page needs no script at all (its charts are SVG drawn in charts.py); its
table is sorted by a few lines of script when one is there.

Everything a user or a policy wrote reaches the page through Jinja with autoescape on, and
the script writes data only with textContent, so a department named <script> stays text.
"""
from __future__ import annotations

import base64
import hmac
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, Undefined
from starlette.concurrency import run_in_threadpool

from ..problems import InputError
from . import charts, jobs
from .describe import policy_detail, policy_summary
from .errors import request_lang
from .token import TOKEN_COOKIE, cookie_value

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20

_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
templates = Jinja2Templates(env=_env)


def shown(fact: dict[str, Any], value: Any) -> str:
    """A value as the form's field shows it: the number without the unit the field shows
    beside it (690.47, not 690.47万元), 是/否 as true/false, a text list joined by ；."""
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    text, unit = str(value), str(fact.get("unit") or "")
    if unit and fact.get("type") in ("money", "percent") and text.endswith(unit):
        return text[: -len(unit)]
    return text


def readable(fact: dict[str, Any], value: Any, lang: str = "zh") -> str:
    """A default as a sentence says it: 是/否, the unit kept, 空 for nothing."""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if value is None or isinstance(value, Undefined) or value == [] or value == "":
        return "空" if lang == "zh" else "empty"
    return "；".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


_env.filters["shown"] = shown
_env.filters["readable"] = readable


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    context.setdefault("title", "")
    return templates.TemplateResponse(request, template, {
        "lang": lang, "_": (lambda zh, en: en if lang == "en" else zh), "token": bool(request.app.state.settings.token),
        "lq": "?lang=en" if lang == "en" else "",
        **context}, status_code=status)


# ---- 评分 -----------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def evaluate_page(request: Request, policy: str = "") -> HTMLResponse:
    policies = request.app.state.policies
    summaries = [policy_summary(p, request_lang(request)) for p in policies.loaded()]
    chosen = policy or (summaries[0]["id"] if summaries else "")
    try:
        detail = policy_detail(policies.get(chosen), request_lang(request)) if chosen else None
    except InputError as exc:
        return _page(request, "evaluate.html", 404, policies=summaries, detail=None, chosen=chosen,
                     problems=[p.as_dict(request_lang(request)) for p in exc.problems], title="评分")
    return _page(request, "evaluate.html", policies=summaries, detail=detail, chosen=chosen, problems=[],
                 title="评分")


# ---- 批量 -----------------------------------------------------------------------------------

@router.get("/batch", response_class=HTMLResponse)
def batch_page(request: Request) -> HTMLResponse:
    return _page(request, "batch.html", result=None, problems=[], title="批量")


@router.post("/batch", response_class=HTMLResponse)
async def batch_upload(request: Request) -> Response:
    """The district file scored once: the page shows its JSON, and carries the reviewer's
    workbook made in the same run (as a data: link), so the download neither uploads the
    file again nor stores its departments a second time."""
    from .api import keep, run_job, submitted
    lang = request_lang(request)
    try:
        source = await submitted(request, lang, body=False)
    except InputError as exc:
        return _page(request, "batch.html", 422, result=None, problems=[p.as_dict(lang) for p in exc.problems],
                     title="批量")
    answer = await run_job(request, lang, jobs.batch, source, lang, "xlsx", request.app.state.settings.max_rows)
    if isinstance(answer, Response):
        return _page(request, "batch.html", answer.status_code, result=None, problems=_problems_of(answer),
                     title="批量")
    ids = await keep(request, answer)
    result = json.loads(answer.json)
    summary = result["summary"]
    return _page(request, "batch.html", result=result, problems=[], upload=source.name, stored=len(ids),
                 grade_svg=charts.grade_chart(summary, lang), histogram_svg=charts.histogram_chart(summary, lang),
                 workbook=base64.b64encode(answer.document).decode("ascii"), title="批量")


def _problems_of(response: Response) -> list[dict[str, Any]]:
    data = json.loads(bytes(response.body))
    if data.get("problems"):
        return list(data["problems"])
    return [{"code": "", "message": data.get("error", ""), "file": "", "line": 0, "col": 0, "hint": ""}]


# ---- 记录 -----------------------------------------------------------------------------------

@router.get("/submissions", response_class=HTMLResponse)
async def submissions_page(request: Request, page: int = Query(1, ge=1)) -> HTMLResponse:
    total, rows = await run_in_threadpool(request.app.state.store.list, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return _page(request, "submissions.html", rows=rows, total=total, page=page, pages=pages, title="记录")


@router.get("/submissions/{sid}", response_class=HTMLResponse)
async def submission_page(request: Request, sid: int = FastPath(ge=1, le=2**63 - 1)) -> HTMLResponse:
    row = await run_in_threadpool(request.app.state.store.get, sid)
    if row is None:
        return _page(request, "submission.html", 404, row=None, sid=sid, title="记录")
    submitted = _loaded(row.get("submitted"))
    facts = submitted.get("facts", submitted) if isinstance(submitted, dict) else submitted
    claimed = submitted.get("claimed") if isinstance(submitted, dict) else None
    return _page(request, "submission.html", row=row, sid=sid, facts=facts, claimed=claimed,
                 labels=_labels(request, str(row.get("policy_id", ""))), result=_loaded(row.get("result")),
                 title="记录")


def _labels(request: Request, pid: str) -> dict[str, str]:
    """Each fact's label in the policy the submission names (none if it is gone or broken)."""
    try:
        policy = request.app.state.policies.get(pid)
    except InputError:
        return {}
    return {key: d.label or key for key, d in policy.facts.items()}


def _loaded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ---- 评分办法 -------------------------------------------------------------------------------

@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request) -> HTMLResponse:
    lang = request_lang(request)
    details = [policy_detail(p, lang) for p in request.app.state.policies.loaded()]
    return _page(request, "policies.html", policies=details, title="评分办法")


@router.get("/policies/{policy_id:path}", response_class=HTMLResponse)
def policy_page(request: Request, policy_id: str) -> HTMLResponse:
    lang = request_lang(request)
    try:
        detail = policy_detail(request.app.state.policies.get(policy_id), lang)
    except InputError as exc:
        return _page(request, "policy.html", 404, detail=None, problems=[p.as_dict(lang) for p in exc.problems],
                     title="评分办法")
    return _page(request, "policy.html", detail=detail, problems=[], title="评分办法")


# ---- 登录 -----------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", wrong=False, title="登录")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    expected = request.app.state.settings.token
    if not expected:
        return RedirectResponse("/", status_code=303)
    form = await request.form(max_files=0, max_fields=5)
    given = form.get("token")
    given = given if isinstance(given, str) else ""
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return _page(request, "login.html", 401, wrong=True, title="登录")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, cookie_value(expected), httponly=True, samesite="strict", path="/")
    return response
