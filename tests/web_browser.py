"""The browser tests' harness (tests/test_web_pages.py): a real `perfrules serve` with its own
database and a 口令 on a free port, Debian's headless Chromium through Playwright (one of each
per test module), a signed-in page that records dialogs and script errors, and the helpers
that type a fact file into the 评分 form as a person would.

Without chromium or the playwright package the tests are skipped locally and fail in CI.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


import httpx
import pytest
import yaml

from conftest import PANYU_FACTS, ROOT
from perfrules.web.token import cookie_value
from serving import Server

CHROMIUM = "/usr/bin/chromium"
TOKEN = "番禺口令-7f3a"             # a bureau's 口令 may be Chinese: the cookie carries a digest of it (web/token.py)
SEED = yaml.safe_load(PANYU_FACTS.read_text(encoding="utf-8"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


def _need_browser():
    missing = None
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing = "Debian's chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = missing or "the playwright package is not installed"
    if missing:
        if os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`perfrules serve` as a bureau starts it, with a token; its address."""
    _need_browser()
    with Server(tmp_path_factory.mktemp("serve") / "perfrules.db", "--token", TOKEN) as running:
        yield running.url
    assert "Traceback" not in running.output, running.output


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A page signed in (the cookie the 登录 page sets), that records dialogs and script errors."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.add_cookies([{"name": "perfrules_token", "value": cookie_value(TOKEN), "url": server}])
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    assert pg.errors == [], pg.errors          # no page ever throws
    assert pg.dialogs == [], pg.dialogs        # and no text anyone wrote ever runs
    context.close()


def api(server: str) -> httpx.Client:
    return httpx.Client(base_url=server, cookies={"perfrules_token": cookie_value(TOKEN)}, timeout=120)


def cli_json(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "perfrules", "evaluate", str(path), "-f", "json"],
                          env={**os.environ, "PYTHONPATH": str(ROOT / "engine")}, capture_output=True, check=True)
    return json.loads(proc.stdout)


def field(page, key: str):
    return page.locator(f'.field[data-path="$.facts.{key}"]')


def typed(control, value) -> str:
    """What a person types for a fact file's value: the number without the unit shown beside it."""
    if isinstance(value, list):
        return "；".join(map(str, value))
    text, unit = str(value), control.get_attribute("data-unit") or ""
    return text[: -len(unit)] if unit and text.endswith(unit) else text


def set_value(control, value) -> None:
    if control.evaluate("e => e.tagName") == "SELECT":
        if control.get_attribute("data-type") == "boolean":
            value = {"是": True, "否": False}.get(value, value)
        control.select_option("true" if value is True else "false" if value is False else str(value))
    else:
        control.fill(typed(control, value))


def fill_form(page, server: str, doc: dict, department: str | None = None) -> None:
    """Open 评分 for the document's policy and type the document into the form."""
    page.goto(f"{server}/?policy={doc['policy']}")
    page.fill("#f-department", department if department is not None else doc["department"])
    page.fill("#f-year", str(doc["year"]))
    if doc.get("short_name"):
        page.fill("#f-short-name", doc["short_name"])
    for key, value in doc["facts"].items():
        box = field(page, key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = box.locator("tbody")
            for row in value:
                box.locator("button.add-row").click()
                tr = body.locator("tr").last
                for name, cell in row.items():
                    set_value(tr.locator(f'td[data-field="{name}"] [data-key]'), cell)
        else:
            set_value(box.locator("[data-key]"), value)


def submit(page, button: str = "#submit") -> None:
    """Click and wait until the answer is on the page (the busy sign goes when it is drawn)."""
    with page.expect_response(lambda r: "/api/evaluate" in r.url):
        page.click(button)
    page.wait_for_selector("#busy", state="hidden")


def district_workbook(path: Path) -> list[dict]:
    """A district workbook (docs/input-formats.md): 部门 sheet, one department a row, and the
    绩效指标 sheet; three departments varied from the seed, one with a claim that is not what
    it scores, and one with a typo."""
    from openpyxl import Workbook
    scalars = [k for k, v in SEED["facts"].items() if not (isinstance(v, list) and v and isinstance(v[0], dict))]
    people = [("甲局", "690.47万元", None), ("乙局", "500万元", 99), ("丙局<script>alert(3)</script>", "682.37万元", None), ("丁局", "600万元", None)]
    book = Workbook()
    ws = book.active
    ws.title = "部门"
    ws.append(["部门", "评分办法", "年度", "自报得分", *scalars])
    items = book.create_sheet("绩效指标")
    fields = list(SEED["facts"]["绩效指标"][0])
    items.append(["部门", *fields])
    rows = []
    for name, spent, claim in people:
        facts = {**SEED["facts"], "实际支出数": spent}
        if name == "丁局":
            facts["有内部财务管理制度"] = "是的"
        cells = [("是" if v is True else "否" if v is False else "；".join(v) if isinstance(v, list) else v)
                 for v in (facts[k] for k in scalars)]
        ws.append([name, SEED["policy"], SEED["year"], claim, *cells])
        for item in SEED["facts"]["绩效指标"]:
            items.append([name, *(item[f] for f in fields)])
        rows.append({"department": name, "claimed": claim, "bad": name == "丁局"})
    book.save(path)
    return rows
