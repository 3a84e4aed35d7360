"""The HTTP API (under /api): policies, evaluate, audit, batch and the stored submissions.

Every answer that scores is the JSON the command line writes (`evaluate -f json`, `audit -f
json`), so a client can switch between the two. Bad input is HTTP 422 with the same located
problem records the command line prints (`{"ok": false, "problems": [...]}`), in Chinese
unless `?lang=en`. Policies are named by id only. The scoring runs in the worker pool
(web.pool); the store is written, in one transaction, before the answer is sent.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from .. import forms
from ..problems import InputError, Problem
from . import jobs
from .describe import policy_detail, policy_summary
from .errors import problems_response, failed_response
from .pool import WorkerLost

router = APIRouter(prefix="/api")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json; charset=utf-8"

_FACTS_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "一个事实文件（JSON）：policy、department、year、facts，可选 claimed。",
                                    "required": ["policy", "department", "facts"],
                                    "properties": {"policy": {"type": "string"}, "department": {"type": "string"},
                                                   "year": {"type": "integer"}, "facts": {"type": "object"},
                                                   "claimed": {"type": "object"}}}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary",
                                                               "description": "YAML 事实文件或 xlsx 填报表"}}}}}}}
_FILE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary",
                                                               "description": "CSV、JSON Lines 或 xlsx 区县文件"}}}}}}}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


@router.get("/policies", summary="评分办法列表")
def list_policies(request: Request, lang: str = "zh") -> list[dict[str, Any]]:
    return [policy_summary(p, _lang(lang)) for p in request.app.state.policies.loaded()]


@router.get("/policies/{policy_id:path}/template.xlsx", summary="填报表（xlsx）", response_class=Response)
def template_xlsx(policy_id: str, request: Request) -> Response:
    policy = request.app.state.policies.get(policy_id)
    return Response(forms.workbook(policy), media_type=XLSX, headers=_attachment("填报表.xlsx"))


@router.get("/policies/{policy_id:path}/template.yaml", summary="填报表（YAML 事实文件）", response_class=Response)
def template_yaml(policy_id: str, request: Request) -> Response:
    policy = request.app.state.policies.get(policy_id)
    return Response(forms.fact_file(policy).encode("utf-8"), media_type="application/yaml; charset=utf-8",
                    headers=_attachment("填报表.yaml"))


@router.get("/policies/{policy_id:path}", summary="一个评分办法：事实与指标")
def get_policy(policy_id: str, request: Request, lang: str = "zh") -> dict[str, Any]:
    return policy_detail(request.app.state.policies.get(policy_id), _lang(lang))


@router.post("/evaluate", summary="为一个部门评分", openapi_extra=_FACTS_BODY, response_class=Response)
async def evaluate(request: Request, format: str = Query("json", pattern="^(json|docx|html)$"),
                   lang: str = "zh") -> Response:
    return await _score(request, format, _lang(lang), claims=False)


@router.post("/audit", summary="核对部门自报的得分与扣分", openapi_extra=_FACTS_BODY, response_class=Response)
async def audit(request: Request, lang: str = "zh") -> Response:
    return await _score(request, "json", _lang(lang), claims=True)


@router.post("/batch", summary="批量评分（区县文件）", openapi_extra=_FILE_BODY, response_class=Response)
async def batch(request: Request, format: str = Query("json", pattern="^(json|xlsx)$"), lang: str = "zh") -> Response:
    lang = _lang(lang)
    source = await submitted(request, lang, body=False)
    answer = await run_job(request, lang, jobs.batch, source, lang, format, request.app.state.settings.max_rows)
    if isinstance(answer, Response):
        return answer
    ids = await keep(request, answer)
    headers = {"X-Submissions": str(len(ids))}
    if format == "xlsx":
        return Response(answer.document, media_type=XLSX, headers={**headers, **_attachment("审核工作簿.xlsx")})
    return Response(answer.json, media_type=JSON, headers=headers)


@router.get("/submissions", summary="已保存的评分记录（新的在前）")
async def list_submissions(request: Request, limit: int = Query(50, ge=1, le=500),
                           offset: int = Query(0, ge=0)) -> dict[str, Any]:
    total, rows = await run_in_threadpool(request.app.state.store.list, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "submissions": rows}


@router.get("/submissions/{sid}", summary="一条评分记录")
async def get_submission(request: Request, sid: int = Path(ge=1, le=2**63 - 1), lang: str = "zh") -> Any:
    row = await run_in_threadpool(request.app.state.store.get, sid)
    if row is None:
        return failed_response(404, f"没有编号为 {sid} 的评分记录。", f"no submission {sid}", _lang(lang))
    return row


async def _score(request: Request, fmt: str, lang: str, claims: bool) -> Response:
    source = await submitted(request, lang, body=True)
    answer = await run_job(request, lang, jobs.evaluate, source, lang, fmt, claims)
    if isinstance(answer, Response):
        return answer
    (sid,) = await keep(request, answer)
    headers = {"X-Submission-Id": str(sid), "Location": f"/api/submissions/{sid}"}
    if claims:
        headers["X-Discrepancies"] = str(answer.extra.get("found", 0))
    if fmt == "docx":
        return Response(answer.document, media_type=DOCX, headers={**headers, **_attachment("自评报告.docx")})
    if fmt == "html":
        return Response(answer.document, media_type="text/html; charset=utf-8", headers=headers)
    return Response(answer.json, media_type=JSON, headers=headers)


async def run_job(request: Request, lang: str, fn, *args) -> Any:
    """A job in the worker pool: its Answer, or the response that says why there is none."""
    try:
        answer = await request.app.state.evaluator.run(fn, *args)
    except WorkerLost:
        return failed_response(500, "评分进程异常终止或超时（不是您输入的问题），请稍后重试或联系维护人员。",
                               "the evaluating process died or timed out (not a problem with your input)", lang)
    if answer.problems:
        return problems_response(list(answer.problems), lang)
    return answer


async def keep(request: Request, answer: jobs.Answer) -> list[int]:
    if not answer.records:
        return []
    return await run_in_threadpool(request.app.state.store.add, answer.records)


async def submitted(request: Request, lang: str, body: bool) -> jobs.Source:
    """The submission: a JSON body (where `body` allows one) or the multipart field `file`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=20)
        except (MultiPartException, HTTPException) as exc:     # HTTPException: more parts than allowed
            detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
            raise InputError([Problem("E602", f"上传的表单无法读取：{detail}（只能上传一个文件，放在字段 file 中）。",
                                      f"the upload cannot be read: {detail}", "file")]) from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError([Problem("E602", "没有上传文件：请把文件放在表单字段 file 中。",
                                      "no file: send it in the multipart field `file`", "file")])
        data = await upload.read()
        return jobs.Source(jobs.safe_name(upload.filename or ""), data)
    if body and kind in ("application/json", ""):
        return jobs.Source(jobs.BODY, await request.body(), body=True)
    what = "JSON 正文（Content-Type: application/json）或上传文件" if body else "上传文件"
    raise InputError([Problem("E602", f"请求的内容类型“{kind}”不对：应是{what}（multipart 字段 file）。",
                              f"content type '{kind}' not accepted: send JSON or a multipart field `file`", jobs.BODY)])


def _attachment(name: str) -> dict[str, str]:
    from urllib.parse import quote
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
