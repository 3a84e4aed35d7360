"""The browser pages (server-rendered with Jinja2): 评分, 批量, 记录, 评分办法, 登录."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent
router = APIRouter()


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
