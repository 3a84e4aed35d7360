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

import hmac
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from ..model import Policy
from ..problems import InputError, Problem
from ..service import PolicyRegistry
from .errors import failed_response, problems_response
from .token import TOKEN_COOKIE, token_from_cookie


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
        return self.registry.load(self.registry.resolve(pid, allow_paths=False))

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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.settings.token and not _allowed(scope, headers, self.settings.token):
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
    mb = f"{limit / 1024 / 1024:g}"
    problem = Problem("E105", f"上传的内容超过 {mb} MB 的上限。", f"the upload is larger than the limit of {mb} MB",
                      hint="把文件拆成几份分别上传，或在命令行用 perfrules batch 评分。",
                      hint_en="Split the file, or score it with `perfrules batch`.")
    return problems_response([problem], "zh", 413)


def _allowed(scope: dict, headers: dict[str, str], token: str) -> bool:
    path = scope.get("path", "")
    if path == "/login" or path.startswith("/static/") or path == "/healthz":
        return True
    given = headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not given:
        for part in headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == TOKEN_COOKIE:
                given = token_from_cookie(value)
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


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

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        status = 404 if exc.problems and exc.problems[0].code == "E406" and request.method == "GET" else 422
        return problems_response(exc.problems, lang, status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        problems = [Problem("E602", f"请求参数“{'.'.join(str(x) for x in e.get('loc', ())[1:])}”不对：{e.get('msg', '')}",
                            f"bad request parameter {'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg', '')}",
                            "request", path="$." + ".".join(str(x) for x in e.get("loc", ())[1:]))
                    for e in exc.errors()]
        return problems_response(problems, lang)

    @app.get("/healthz", include_in_schema=False)
    def _health() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(_Limits, settings=settings)
    return app


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
