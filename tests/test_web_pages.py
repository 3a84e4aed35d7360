"""The browser pages of `perfrules serve` (issue 11), driven in a real browser: Debian's headless
Chromium through Playwright, against a real `perfrules serve` process on a free port with its
own database and a 口令 (so the token guard is in the way of every page, as a bureau has it).

What a person does is what the tests do: type the seed's values into the generated 评分 form
and read the score and the 自评结论 off the page; upload a district workbook on 批量 and find
the rows, the charts and the failure; make a typo and find the message beside the field.
Expected values come from the command line (`perfrules evaluate -f json`) or the API for the
same input, never from the test. Each test leaves a screenshot under its tmp_path.
"""
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import PANYU_FACTS, ROOT
from web_browser import (SEED, TOKEN, api, cli_json, district_workbook, field, fill_form, submit,  # noqa: F401
                         typed, browser, page, server)                      # the last three: fixtures


# ---- 评分 ------------------------------------------------------------------------------------

def test_the_seed_typed_into_the_form_scores_as_the_command_line_does(page, server, tmp_path):
    expected = cli_json(PANYU_FACTS)
    assert expected["score"] == f"{SEED['claimed']['score']:.2f}"        # 96.88, the report's own
    fill_form(page, server, SEED)
    rows = field(page, "绩效指标").locator("tbody tr")
    assert rows.count() == len(SEED["facts"]["绩效指标"])
    field(page, "绩效指标").locator("button.add-row").click()       # a row added by mistake, then removed
    rows.last.locator('td[data-field="名称"] input').fill("多加的一行")
    rows.last.locator("button.remove-row").click()
    assert rows.count() == len(SEED["facts"]["绩效指标"])
    submit(page)
    page.screenshot(path=str(tmp_path / "evaluate.png"), full_page=True)
    assert page.text_content("#score") == expected["score"]
    assert page.text_content("#grade") == expected["grade"]
    assert page.text_content("#conclusion") == expected["conclusion"]
    for d in expected["deductions"]:                                     # the score table: each deduction's row
        row = page.locator("#score-rows tr", has=page.locator("td.id", has_text=d["indicator"]))
        assert row.locator("td.deduction").text_content() == d["points"]
        assert d["reason"] in row.locator("td.reasons").text_content()
    stored = page.locator("#stored a").text_content()
    assert stored.startswith("已保存为记录 #")

    page.click("#copy-conclusion")
    page.wait_for_selector("#copied:has-text('已复制')")
    assert page.evaluate("navigator.clipboard.readText()") == expected["conclusion"]

    with page.expect_download() as got:
        page.click("#download-json")
    assert json.loads(Path(got.value.path()).read_text(encoding="utf-8"))["score"] == expected["score"]
    with page.expect_download() as got:
        page.click("#download-docx")
    assert got.value.suggested_filename.endswith(".docx")
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"
    assert page.get_attribute("#result .downloads a", "href").endswith("/template.xlsx")


EXAMPLES = [PANYU_FACTS, ROOT / "examples" / "national-project-2024.yaml"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_typed_as_written_scores_as_the_command_line_does(page, server, tmp_path, example):
    """Values typed as the file writes them (1,128,600元, 480人次, 全角 １０, 是/否) reach the
    engine as it reads them from the file: the same score, table and conclusion."""
    doc = yaml.safe_load(example.read_text(encoding="utf-8"))
    expected = cli_json(example)
    fill_form(page, server, doc)
    submit(page)
    page.screenshot(path=str(tmp_path / f"evaluate-{example.stem}.png"), full_page=True)
    assert page.locator(".has-problem").count() == 0 and page.is_hidden("#top-problems")
    assert page.text_content("#score") == expected["score"]
    assert page.text_content("#conclusion") == expected["conclusion"]

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n.get("children", []))
    table = page.locator("#score-rows tr")
    assert [(table.nth(i).locator("td.id").text_content(), table.nth(i).locator("td.score").text_content())
            for i in range(table.count())] == [(n["id"], n["score"]) for n in walk(expected["indicators"])]


def test_a_typo_is_marked_beside_its_field_with_the_engines_message(page, server, tmp_path):
    doc = json.loads(json.dumps(SEED))
    doc["facts"]["全年预算数"] = "abc"
    doc["facts"]["绩效指标"][2]["实际值"] = "很多"
    fill_form(page, server, doc)
    submit(page)
    page.screenshot(path=str(tmp_path / "evaluate-typo.png"), full_page=True)
    body = {k: doc[k] for k in ("policy", "department", "year", "facts")}       # what the form sends
    answer = api(server).post("/api/evaluate", json=body)
    assert answer.status_code == 422
    problems = {p["path"]: p["message"] for p in answer.json()["problems"]}
    assert set(problems) == {"$.facts.全年预算数", "$.facts.绩效指标[2].实际值"}
    money = field(page, "全年预算数")
    assert "has-problem" in money.get_attribute("class")
    assert money.locator(".problem").text_content() == problems["$.facts.全年预算数"]
    assert "无法识别" in problems["$.facts.全年预算数"]                   # Chinese, and the engine's wording
    cell = field(page, "绩效指标").locator("tbody tr").nth(2).locator('td[data-field="实际值"]')
    assert cell.locator(".problem").text_content() == problems["$.facts.绩效指标[2].实际值"]
    assert page.is_hidden("#result") and page.is_hidden("#top-problems")

    field(page, "全年预算数").locator("input").fill(typed(field(page, "全年预算数").locator("input"),
                                                          SEED["facts"]["全年预算数"]))
    cell.locator("input").fill(str(SEED["facts"]["绩效指标"][2]["实际值"]))
    submit(page)                                   # corrected: the marks go, the score comes
    assert page.locator(".has-problem").count() == 0
    assert page.text_content("#score") == cli_json(PANYU_FACTS)["score"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_policys_empty_form_shows_each_problem_the_api_finds_for_what_it_sent(page, server, tmp_path, lang):
    client = api(server)
    for summary in client.get("/api/policies").json():
        page.goto(f"{server}/?policy={summary['id']}" + ("&lang=en" if lang == "en" else ""))
        assert page.locator("[data-key]").count() > 0
        for stage in ("empty", "named"):             # nothing at all; then a department with no facts
            if stage == "named":
                page.fill("#f-department", "空表测试")
            with page.expect_request(lambda r: r.url.startswith(server + "/api/evaluate")) as sent:
                submit(page)
            body = json.loads(sent.value.post_data)
            assert body["policy"] == summary["id"]
            answer = client.post("/api/evaluate" + ("?lang=en" if lang == "en" else ""), json=body)
            assert answer.status_code == 422
            problems = answer.json()["problems"]
            beside = page.locator(".field .problem-message").all_text_contents()
            on_top = page.locator("#top-problems li .message").all_text_contents()
            assert sorted(beside + on_top) == sorted(p["message"] for p in problems)
            assert beside and not on_top             # each at its field: the name, then every required fact
            marked = page.locator(".has-problem").evaluate_all("ns => ns.map(n => n.dataset.path)")
            assert sorted(marked) == sorted({p["path"] for p in problems})
            page.screenshot(path=str(tmp_path / f"{stage}-{summary['id'].replace('/', '-')}-{lang}.png"),
                            full_page=True)


def test_an_uploaded_fact_file_scores_and_its_problems_name_file_and_line(page, server, tmp_path):
    good = tmp_path / "部门.yaml"
    shutil.copy(PANYU_FACTS, good)
    page.goto(server + "/")
    page.set_input_files("#upload-file", str(good))
    submit(page, "#upload-form button")
    assert page.text_content("#score") == cli_json(PANYU_FACTS)["score"]

    bad = tmp_path / "错的.yaml"
    text = PANYU_FACTS.read_text(encoding="utf-8").replace("有内部财务管理制度: true", "有内部财务管理制度: 是的")
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "是的" in t)
    page.set_input_files("#upload-file", str(bad))
    submit(page, "#upload-form button")
    page.screenshot(path=str(tmp_path / "evaluate-upload-problem.png"), full_page=True)
    item = page.locator("#top-problems li").first
    assert item.locator(".where").text_content() == f"错的.yaml:{line}"
    assert "是的" in item.locator(".message").text_content()
    assert page.locator(".has-problem").count() == 0     # the form's fields did not say it
    assert page.is_hidden("#result")


def test_a_department_named_script_stays_text(page, server, tmp_path):
    name = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    fill_form(page, server, SEED, department=name)
    submit(page)
    assert page.text_content("#result-department") == name
    sid = page.locator("#stored a").get_attribute("href")
    page.goto(server + sid)
    assert page.text_content("h1 .department") == name
    page.goto(server + "/submissions")
    assert page.locator("td.department").first.text_content() == name
    page.screenshot(path=str(tmp_path / "submissions-escaped.png"), full_page=True)
    assert page.dialogs == []
    assert page.locator("main script, main img").count() == 0


# ---- 批量 ------------------------------------------------------------------------------------

def test_a_district_workbook_gives_the_table_the_charts_and_the_failure(page, server, tmp_path):
    book = tmp_path / "区县.xlsx"
    planned = district_workbook(book)
    expected = api(server).post("/api/batch", files={"file": (book.name, book.read_bytes())}).json()
    page.goto(server + "/batch")
    page.set_input_files("#batch-file", str(book))
    with page.expect_navigation():
        page.click("form.upload button")
    page.screenshot(path=str(tmp_path / "batch.png"), full_page=True)

    rows = page.locator("#results tbody tr")
    shown = {rows.nth(i).locator("td.department").text_content(): rows.nth(i).locator("td.score").text_content()
             for i in range(rows.count())}
    assert shown == {r["department"]: r["score"] for r in expected["rows"]}
    assert set(shown) == {p["department"] for p in planned if not p["bad"]}

    grades, histogram = page.locator("svg.chart-grades"), page.locator("svg.chart-histogram")
    evaluated = expected["summary"]["evaluated"]
    for chart in (grades, histogram):
        counts = [int(c) for c in chart.locator("g.bar").evaluate_all("bs => bs.map(b => b.dataset.count)")]
        assert sum(counts) == evaluated == len(shown)
    for g in expected["summary"]["grades"]:
        assert grades.locator(f'g.bar[data-label="{g["grade"]}"]').get_attribute("data-count") == str(g["departments"])

    (bad,) = [p["department"] for p in planned if p["bad"]]
    failure = page.locator("#failures .failure")
    assert failure.count() == 1 and failure.locator("h3").text_content() == bad
    assert "是的" in failure.locator(".message").first.text_content()
    assert "区县.xlsx:部门!" in failure.locator(".where").first.text_content()      # located at its cell
    (claimer,) = [p["department"] for p in planned if p["claimed"]]
    assert page.locator("#discrepancies tbody tr", has_text=claimer).count() >= 1

    score_header = page.locator("#results th", has_text="得分").first
    score_header.click()
    ups = [float(t) for t in page.locator("#results tbody td.score").all_text_contents()]
    score_header.click()
    downs = [float(t) for t in page.locator("#results tbody td.score").all_text_contents()]
    assert ups == sorted(ups) and downs == sorted(ups, reverse=True) and len(set(ups)) > 1

    with page.expect_download() as got:
        page.click("#download-workbook")
    from openpyxl import load_workbook
    assert got.value.suggested_filename == "审核工作簿.xlsx"
    with open(got.value.path(), "rb") as f:
        assert len(load_workbook(f).sheetnames) >= 2


def test_a_bad_upload_on_batch_says_why_on_the_page(page, server, tmp_path):
    wrong = tmp_path / "区县.txt"
    wrong.write_text("部门\n甲局\n", encoding="utf-8")
    page.goto(server + "/batch")
    page.set_input_files("#batch-file", str(wrong))
    with page.expect_navigation():
        page.click("form.upload button")
    assert "区县.txt" in page.locator(".problems .message").first.text_content()


# ---- 记录, 评分办法 ----------------------------------------------------------------------------

def test_submissions_are_listed_newest_first_and_open(page, server, tmp_path):
    client = api(server)
    made = []
    for name in ("记录甲", "记录乙"):
        r = client.post("/api/evaluate", json={**{k: SEED[k] for k in ("policy", "year", "facts")}, "department": name})
        made.append((int(r.headers["X-Submission-Id"]), name, r.json()))
    page.goto(server + "/submissions")
    page.screenshot(path=str(tmp_path / "submissions.png"), full_page=True)
    ids = [int(t.lstrip("#")) for t in page.locator("table.submissions tbody td:first-child a").all_text_contents()]
    assert ids == sorted(ids, reverse=True) and ids[:2] == [made[1][0], made[0][0]]
    assert page.locator("td.department").first.text_content() == "记录乙"
    page.click(f"text=#{made[0][0]}")
    page.screenshot(path=str(tmp_path / "submission.png"), full_page=True)
    assert page.text_content("h1 .department") == "记录甲"
    assert page.text_content("#score") == made[0][2]["score"]
    assert page.text_content(".conclusion") == made[0][2]["conclusion"]
    assert page.locator(".score-table tbody tr").count() >= len(made[0][2]["indicators"])
    submitted = page.text_content(".submitted")
    assert SEED["facts"]["绩效指标"][0]["名称"] in submitted and SEED["facts"]["全年预算数"] in submitted
    labels = {f["key"]: f["label"] for f in client.get(f"/api/policies/{SEED['policy']}").json()["facts"]}
    assert page.locator(".submitted dt").first.text_content() == labels[next(iter(SEED["facts"]))]


def test_the_submissions_pages_follow_one_another(page, server, tmp_path):
    from perfrules.web.pages import PAGE_SIZE
    client = api(server)
    body = {k: SEED[k] for k in ("policy", "year", "facts")}
    for i in range(PAGE_SIZE + 1):
        client.post("/api/evaluate", json={**body, "department": f"翻页{i}"}).raise_for_status()
    total = client.get("/api/submissions", params={"limit": 1}).json()["total"]
    page.goto(server + "/submissions")
    seen = []
    while True:
        seen += [int(t.lstrip("#")) for t in page.locator("table.submissions tbody td:first-child a").all_text_contents()]
        following = page.locator(".pager a", has_text="下一页")
        if not following.count():
            break
        with page.expect_navigation():
            following.click()
    assert len(seen) == total and seen == sorted(set(seen), reverse=True)


def test_the_policy_page_shows_the_panyu_tree_with_its_points(page, server, tmp_path):
    detail = api(server).get(f"/api/policies/{SEED['policy']}").json()
    page.goto(server + "/policies")
    page.screenshot(path=str(tmp_path / "policies.png"), full_page=True)
    page.click(f"text={detail['title']}")
    page.screenshot(path=str(tmp_path / "policy.png"), full_page=True)

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n.get("children", []))
    nodes = list(walk(detail["indicators"]))
    assert len(nodes) > 5
    for n in nodes:
        node = page.locator("ul.tree .node", has=page.locator("span.id", has_text=n["id"])).first
        assert node.locator(".name").text_content() == n["name"]
        assert node.locator(".points").text_content().startswith(n["points"])
        if "method_name" in n:
            assert node.locator(".method").text_content() == n["method_name"]


# ---- 登录 ------------------------------------------------------------------------------------

def test_with_a_token_pages_ask_for_it_and_the_right_one_lets_you_in(browser, server, tmp_path):
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    for path in ("/", "/batch", "/submissions", "/policies"):
        pg.goto(server + path)
        assert pg.url == server + "/login"
    pg.fill("#token", "wrong")
    pg.click("form.login button")
    assert pg.is_visible("#wrong") and pg.url == server + "/login"
    pg.screenshot(path=str(tmp_path / "login.png"), full_page=True)
    pg.fill("#token", TOKEN)
    pg.click("form.login button")
    pg.wait_for_selector("#evaluate-form")
    assert pg.url == server + "/"
    (cookie,) = [c for c in context.cookies() if c["name"] == "perfrules_token"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    context.close()


# ---- charts.py, without a browser ------------------------------------------------------------

def test_charts_are_svg_with_every_count_and_escaped_labels():
    import xml.etree.ElementTree as ET
    from perfrules.web.charts import bars
    svg = bars("<b>标题</b>", [("优", 3), ("<script>", 0), ("差", 12)], "grades")
    root = ET.fromstring(str(svg))                       # well-formed: every label escaped
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = root.findall("s:g", ns)
    assert [(g.get("data-label"), g.get("data-count")) for g in groups] == [("优", "3"), ("<script>", "0"), ("差", "12")]
    heights = [float(g.find("s:rect", ns).get("height")) for g in groups]
    assert heights[1] == 0 and heights[0] == pytest.approx(heights[2] * 3 / 12)
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert ET.fromstring(str(bars("空", [], "histogram"))).findall("s:g", ns) == []
