"""The service as one FastAPI app: `create_app(Settings)` wires the API (api.py), the browser
pages (pages.py), the worker pool (pool.py) and the store (store.py); `serve` runs it under
uvicorn (`perfrules serve`).

The app holds no scoring state of its own: the main process only reads policies (for the
pages, the form and the templates); every evaluation runs in the pool. Two guards sit in
front of every route, as plain ASGI middleware so they see the raw stream: an upload larger
than `max_upload` bytes is refused with 413 before it is read further, and with `token` set
every page and API call needs it (a header, or the cookie the 登录 page sets).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..model import Policy
from ..problems import InputError, Problem
from ..service import PolicyRegistry
from .errors import failed_response, policy_unusable, problems_response, request_lang, too_large
from .token import allowed

_HTTP_WORDS = {404: ("没有这个地址。", "no such address"), 405: ("这个地址不接受这种请求方法。", "method not allowed")}


@dataclass(frozen=True)
class Settings:
    db: str = "perfrules.db"
    policies: tuple[str, ...] = ()          # a bureau's own policy folders (before the shipped ones)
    token: str = ""                         # empty: no token asked for
    workers: int = 0                        # 0: one per CPU
    max_upload: int = 20 * 1024 * 1024      # bytes of one request
    max_rows: int = 20_000                  # departments in one batch upload
    timeout: float = 120.0                  # seconds one evaluation may take


class Policies:
    """The policies the service offers, by id only (the main process reads them for pages)."""

    def __init__(self, folders: tuple[str, ...]):
        self.registry = PolicyRegistry([Path(f) for f in folders], paths=False)

    def ids(self) -> list[str]:
        return list(self.registry.ids())

    def get(self, pid: str) -> Policy:
        path = self.registry.resolve(pid, allow_paths=False)
        try:
            return self.registry.load(path)
        except InputError as exc:           # the service's own file: say which, not where or what
            raise InputError([policy_unusable(pid, exc.problems)]) from None

    def loaded(self) -> list[Policy]:
        out = []
        for pid in self.ids():
            try:
                out.append(self.get(pid))
            except InputError:
                pass          # a broken file in a bureau's folder: `perfrules validate` says why
        return out


class _Limits:
    """ASGI middleware: the upload limit (413) and the token (401, or the 登录 page)."""

    def __init__(self, app: Any, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw = scope.get("headers", [])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
        if self.settings.token and not allowed(scope.get("path", ""), raw, self.settings.token):
            return await _refuse(scope, receive, send)
        limit = self.settings.max_upload
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _too_large(limit)(scope, receive, send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge()
            return message
        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(limit)(scope, receive, send)


class _TooLarge(Exception):
    pass


def _too_large(limit: int) -> JSONResponse:
    return problems_response([too_large(limit)], "zh", 413)


async def _refuse(scope: dict, receive: Any, send: Any) -> None:
    if scope.get("path", "").startswith("/api"):
        response: Any = failed_response(401, "需要口令：请在请求头写 Authorization: Bearer 口令。",
                                        "a token is needed: send Authorization: Bearer TOKEN")
    else:
        response = RedirectResponse("/login", status_code=303)
    await response(scope, receive, send)


def create_app(settings: Settings = Settings(), evaluator: Any = None, store: Any = None) -> FastAPI:
    from . import api, pages
    from .pool import Evaluator
    from .store import open_store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import asyncio
        app.state.store = store if store is not None else open_store(settings.db)
        app.state.evaluator = evaluator if evaluator is not None else Evaluator(
            settings.policies, settings.workers or None, settings.timeout)
        await asyncio.to_thread(app.state.evaluator.start)
        try:
            yield
        finally:
            app.state.evaluator.close()
            app.state.store.close()

    app = FastAPI(title="perfrules", description="部门整体支出绩效自评评分服务：按评分办法评分，并说明每一项扣分。",
                  version=_version(), lifespan=lifespan)
    app.state.settings = settings
    app.state.policies = Policies(settings.policies)
    app.include_router(api.router)
    app.include_router(pages.router)
    pages.mount(app)

    _answer_errors(app)

    @app.get("/healthz", include_in_schema=False)
    def _health() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(_Limits, settings=settings)
    return app


def _answer_errors(app: FastAPI) -> None:
    """Every error the app can meet answered in the one shape (errors.py), never a traceback."""

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        lang = request_lang(request)
        status = 404 if exc.problems and exc.problems[0].code == "E406" and request.method == "GET" else 422
        return problems_response(exc.problems, lang, status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = request_lang(request)
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ())[1:])
            problems.append(Problem("E602", f"请求参数“{where}”不对：{e.get('msg', '')}",
                                    f"bad request parameter {where}: {e.get('msg', '')}", "请求参数", path="$." + where))
        return problems_response(problems, lang)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh, en = _HTTP_WORDS.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        return failed_response(exc.status_code, zh, en, request_lang(request))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # the traceback goes to the server's log (uvicorn prints it); the client gets one line
        return failed_response(500, "服务内部错误（不是您输入的问题），请稍后重试或联系维护人员。",
                               "internal error (not a problem with your input)",
                               request_lang(request))


def _version() -> str:
    from .. import __version__
    return __version__


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, lang: str = "zh") -> None:
    """Run the service under uvicorn until it is stopped (Ctrl-C, SIGTERM)."""
    import uvicorn
    shown = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    print(f"perfrules 评分服务：请在浏览器中打开 {shown}（按 Ctrl-C 停止）。" if lang == "zh"
          else f"perfrules service: open {shown} in a browser (Ctrl-C stops it).", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
