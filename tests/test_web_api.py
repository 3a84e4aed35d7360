"""`perfrules serve`'s HTTP API, driven with an HTTP client against a running server (a real
`perfrules serve` subprocess on loopback): every endpoint, every error status, and the
located problem records, which must be the command line's own."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import yaml

from serving import ROOT, Server

EXAMPLE = ROOT / "examples" / "panyu-jiguan-gongwei-2023.yaml"
FORM = ROOT / "examples" / "panyu-jiguan-gongwei-2023.xlsx"
WRONG_CLAIM = ROOT / "examples" / "audit" / "panyu-claim-wrong.yaml"
PANYU = "guangzhou/panyu/2023"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with Server(folder / "store.db", "--workers", "1", "--max-rows", "50", "--max-upload-mb", "1") as s:
        yield s
    assert "Traceback" not in s.output, s.output


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def cli_json(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "perfrules", *args, "-f", "json"], capture_output=True, check=False,
                         env={"PYTHONPATH": str(ROOT / "engine"), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout)


def fact_body(path: Path = EXAMPLE, **facts) -> dict:
    """A fact file as the JSON body a client sends (money and percents as the file writes them)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("claimed", None)
    data["facts"].update(facts)
    return data


def problems(r: httpx.Response, status: int = 422) -> list[dict]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False
    return body["problems"]


def test_serve_says_in_chinese_where_it_listens(server):
    assert server.proc is not None and server.proc.poll() is None
    server.log.flush()
    text = Path(server.log.name).read_text(encoding="utf-8")
    assert f"请在浏览器中打开 http://127.0.0.1:{server.port}/" in text


def test_the_policies_and_one_policys_facts_and_tree(client):
    listed = {p["id"]: p for p in client.get("/api/policies").json()}
    assert listed[PANYU]["year"] == 2023 and listed[PANYU]["version"] and "番禺" in listed[PANYU]["title"]
    detail = client.get(f"/api/policies/{PANYU}").json()
    facts = {f["key"]: f for f in detail["facts"]}
    assert facts["全年预算数"]["type"] == "money" and facts["全年预算数"]["unit"] == "万元"
    assert facts["有内部财务管理制度"]["type"] == "boolean"
    assert {f["key"] for f in facts["绩效指标"]["fields"]} >= {"名称", "目标值", "实际值"}
    tops = detail["indicators"]
    assert sum(float(t["points"]) for t in tops) == float(detail["full_score"]) == 100
    leaves = [leaf for t in tops for leaf in t.get("children", [])]
    assert any(leaf.get("method_name") for leaf in leaves)
    assert client.get(f"/api/policies/{PANYU}", params={"lang": "en"}).json()["facts"][0]["label"]


def test_templates_of_a_policy(client):
    from openpyxl import load_workbook
    r = client.get(f"/api/policies/{PANYU}/template.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    assert "填报" in load_workbook(io.BytesIO(r.content)).sheetnames
    r = client.get(f"/api/policies/{PANYU}/template.yaml")
    assert r.status_code == 200 and f"policy: {PANYU}" in r.text
    (p,) = problems(client.get("/api/policies/no/such/policy/template.xlsx"), 404)
    assert p["code"] == "E406"


def test_evaluate_a_json_body_answers_what_the_command_line_writes(client):
    r = client.post("/api/evaluate", json=fact_body())
    assert r.status_code == 200, r.text
    assert r.json() == cli_json("evaluate", str(EXAMPLE))
    assert r.json()["score"] == "96.88" and r.json()["grade"] == "优"
    assert r.headers["X-Submission-Id"].isdigit()


def test_evaluate_an_uploaded_fact_file_and_a_filled_form(client):
    r = client.post("/api/evaluate", files={"file": ("番禺.yaml", EXAMPLE.read_bytes())})
    assert r.status_code == 200 and r.json() == cli_json("evaluate", str(EXAMPLE))
    r = client.post("/api/evaluate", files={"file": ("填报表.xlsx", FORM.read_bytes())})
    assert r.status_code == 200, r.text
    assert r.json()["score"] == cli_json("evaluate", str(FORM))["score"]


def test_evaluate_as_word_and_html_documents(client):
    from docx import Document
    r = client.post("/api/evaluate", params={"format": "docx"}, json=fact_body())
    assert r.status_code == 200 and "wordprocessingml" in r.headers["content-type"]
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "96.88" in text
    r = client.post("/api/evaluate", params={"format": "html"}, json=fact_body())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "96.88" in r.text


def test_a_typo_is_a_located_problem_record_in_chinese(client):
    (p,) = problems(client.post("/api/evaluate", json=fact_body(有内部财务管理制度="是的")))
    assert p["code"] == "E402" and p["path"] == "$.facts.有内部财务管理制度" and p["file"] == "请求正文"
    assert "是的" in p["message"] and p["hint"] and p["doc"] == "perfrules explain E402"
    (en,) = problems(client.post("/api/evaluate", params={"lang": "en"}, json=fact_body(有内部财务管理制度="是的")))
    assert en["code"] == "E402" and en["message"] != p["message"] and en["title"] == "fact value not understood"


def test_an_uploaded_file_is_located_under_its_own_name_with_line_and_column(client):
    text = EXAMPLE.read_text(encoding="utf-8").replace("实际支出数: 682.37万元", "实际支出数: 682.37万元万元")
    (p,) = problems(client.post("/api/evaluate", files={"file": ("我的事实.yaml", text.encode())}))
    assert p["file"] == "我的事实.yaml" and p["line"] > 0 and p["col"] > 0
    assert "perfrules-upload" not in json.dumps(p, ensure_ascii=False)      # the private copy is never shown
    bad = b"policy: guangzhou/panyu/2023\ndepartment: [\n"
    (p,) = problems(client.post("/api/evaluate", files={"file": ("坏.yaml", bad)}))
    assert p["code"] == "E103" and p["file"] == "坏.yaml"


@pytest.mark.parametrize("body, code", [
    (b"{not json", "E103"),
    (b"[1, 2]", "E106"),
    (json.dumps({"policy": 5, "department": "x", "facts": {}}).encode(), "E202"),
    (json.dumps({"policy": PANYU, "department": "x", "facts": {"没有这个事实": 1}}).encode(), "E403"),
    (json.dumps({"department": "x", "facts": {}}).encode(), "E406"),
    (b"\xff\xfe\x00", "E102"),
    ('{"policy": "guangzhou/panyu/2023", "department": "财政局"}'.encode("utf-8") + b"\xff\xfe", "E102"),
])
def test_bad_json_bodies(client, body, code):
    ps = problems(client.post("/api/evaluate", content=body, headers={"content-type": "application/json"}))
    assert ps[0]["code"] == code, ps


def test_a_policy_is_named_by_id_only(client, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("indicators: 秘密内容\n", encoding="utf-8")
    for ref in (str(secret), "../../../etc/passwd", str(ROOT / "rules" / "guangzhou" / "panyu" / "2023.yaml")):
        body = {**fact_body(), "policy": ref}
        (p,) = problems(client.post("/api/evaluate", json=body))
        assert p["code"] == "E406" and "秘密内容" not in p["message"]
    (p,) = problems(client.get("/api/policies/..%2F..%2Fetc%2Fpasswd"), 404)
    assert p["code"] == "E406"


def test_what_cannot_be_evaluated_in_one_request(client):
    (p,) = problems(client.post("/api/evaluate", files={"file": ("x.txt", b"hello")}))
    assert p["code"] == "E602" and "x.txt" in p["message"]
    (p,) = problems(client.post("/api/evaluate", files={"other": ("a.yaml", b"x")}))
    assert p["code"] == "E602"
    (p,) = problems(client.post("/api/evaluate", content=b"x", headers={"content-type": "text/plain"}))
    assert p["code"] == "E602"
    (p,) = problems(client.post("/api/evaluate", params={"format": "pdf"}, json=fact_body()))
    assert p["code"] == "E602" and p["path"] == "$.format"
    two = _district_csv(2).encode("utf-8")
    (p,) = problems(client.post("/api/evaluate", files={"file": ("two.csv", two)}))
    assert p["code"] == "E602"


def test_an_upload_over_the_limit_is_413(client):
    big = b"#" * (1024 * 1024 + 10)
    (p,) = problems(client.post("/api/evaluate", files={"file": ("big.yaml", big)}), 413)
    assert p["code"] == "E105"


def test_audit_finds_what_the_claim_got_wrong(client):
    r = client.post("/api/audit", files={"file": ("claim.yaml", WRONG_CLAIM.read_bytes())})
    assert r.status_code == 200, r.text
    assert int(r.headers["X-Discrepancies"]) > 0
    (entry,) = r.json()
    assert entry["discrepancies"] and entry["file"] == "claim.yaml"
    ok = client.post("/api/audit", files={"file": ("ok.yaml", EXAMPLE.read_bytes())})
    assert ok.headers["X-Discrepancies"] == "0" and ok.json()[0]["discrepancies"] == []
    (p,) = problems(client.post("/api/audit", json=fact_body()))      # no claim: nothing to audit
    assert p["code"] == "E201"


def _district_csv(n: int) -> str:
    """n departments' rows of a district CSV (what `evaluate` must refuse: more than one)."""
    return "部门,评分办法,全年预算数\n" + "".join(f"部门{i},{PANYU},100万元\n" for i in range(n))


def _district(n: int, bad_row: bool = False, claims: bool = False) -> str:
    """n departments of the Panyu example as a district JSON Lines file, spending varied."""
    lines = []
    for i in range(n):
        doc = fact_body(实际支出数=f"{600 + i * 7}万元")
        doc["department"] = f"部门{i:03d}"
        if claims:
            doc["claimed"] = {"score": 99 if i % 3 == 0 else None}
            if doc["claimed"]["score"] is None:
                del doc["claimed"]
        lines.append(json.dumps(doc, ensure_ascii=False))
    if bad_row:
        lines.append(json.dumps({**fact_body(全年预算数="abc"), "department": "坏部门"}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def test_batch_answers_rows_summary_discrepancies_and_failures(client):
    district = _district(12, bad_row=True, claims=True).encode("utf-8")
    r = client.post("/api/batch", files={"file": ("区县.jsonl", district)})
    assert r.status_code == 200, r.text
    data = r.json()
    s = data["summary"]
    assert (s["departments"], s["evaluated"], s["failed"]) == (13, 12, 1)
    assert sum(g["departments"] for g in s["grades"]) == 12 == sum(b["departments"] for b in s["histogram"])
    assert len(data["rows"]) == 12 and all(row["source"].startswith("区县.jsonl:") for row in data["rows"])
    assert data["discrepancies"] and {d["kind"] for d in data["discrepancies"]} >= {"total"}
    (failure,) = data["failures"]
    assert failure["department"] == "坏部门" and failure["problems"][0]["file"].startswith("区县.jsonl")
    assert int(r.headers["X-Submissions"]) == 12


def test_batch_as_the_reviewers_workbook(client):
    from openpyxl import load_workbook
    r = client.post("/api/batch", params={"format": "xlsx"}, files={"file": ("区县.jsonl", _district(5).encode())})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["结果", "汇总"] and wb["结果"].max_row == 6


def test_batch_limits_and_refusals(client):
    (p,) = problems(client.post("/api/batch", files={"file": ("大.jsonl", _district(51).encode())}))
    assert p["code"] == "E105" and "50" in p["message"]
    (p,) = problems(client.post("/api/batch", json=fact_body()))      # a district file is an upload
    assert p["code"] == "E602"
    (p,) = problems(client.post("/api/batch", files={"file": ("一个.yaml", EXAMPLE.read_bytes())}))
    assert p["code"] == "E602"


def test_every_evaluation_is_stored_newest_first(client):
    sent = json.dumps(fact_body(), ensure_ascii=False).encode("utf-8")
    r = client.post("/api/evaluate", content=sent, headers={"content-type": "application/json"})
    sid = int(r.headers["X-Submission-Id"])
    listing = client.get("/api/submissions", params={"limit": 5}).json()
    assert listing["submissions"][0]["id"] == sid and listing["total"] >= 1
    ids = [s["id"] for s in listing["submissions"]]
    assert ids == sorted(ids, reverse=True)
    one = client.get(f"/api/submissions/{sid}").json()
    assert one["kind"] == "evaluate" and one["policy_id"] == PANYU and one["score"] == "96.88"
    assert one["input_sha256"] == hashlib.sha256(sent).hexdigest()
    assert len(one["policy_sha256"]) == 64 and one["policy_version"]
    assert one["submitted"]["facts"]["全年预算数"] == "690.47万元" and one["result"]["score"] == "96.88"
    assert client.get("/api/submissions/999999").status_code == 404
    assert client.get("/api/submissions", params={"limit": 0}).status_code == 422


def test_the_event_loop_answers_while_a_batch_is_scored(client, server):
    """A long upload runs in the worker pool: the service answers others meanwhile."""
    done = threading.Event()
    big = _district(50).encode()
    answers: list[int] = []

    def long_batch() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            answers.append(c.post("/api/batch", files={"file": ("区县.jsonl", big)}).status_code)
        done.set()
    t = threading.Thread(target=long_batch)
    t.start()
    quick = [client.get("/api/policies").status_code for _ in range(3)]
    answered_during = not done.is_set()
    t.join()
    assert quick == [200, 200, 200] and answers == [200]
    if not answered_during:
        pytest.skip("the batch finished before the other requests: nothing measured")


def test_the_openapi_page_lists_every_route(client):
    spec = client.get("/openapi.json").json()
    for route in ("/api/policies", "/api/policies/{policy_id}", "/api/evaluate", "/api/batch", "/api/audit",
                  "/api/submissions", "/api/submissions/{sid}"):
        assert route in spec["paths"], route
    assert client.get("/docs").status_code == 200


def test_a_json_syntax_error_is_located_at_its_line_and_column(client):
    body = '{\n  "policy": "guangzhou/panyu/2023",\n  "department": "某部门"\n  "facts": {}\n}'.encode()
    (p,) = problems(client.post("/api/evaluate", content=body, headers={"content-type": "application/json"}))
    assert (p["code"], p["file"], p["line"], p["col"]) == ("E103", "请求正文", 4, 3), p
    assert "JSON" in p["message"]


def test_a_stored_audit_is_what_was_answered(client):
    r = client.post("/api/audit", files={"file": ("claim.yaml", WRONG_CLAIM.read_bytes())})
    one = client.get(f"/api/submissions/{r.headers['X-Submission-Id']}").json()
    assert one["kind"] == "audit" and one["audit"] == r.json()[0]
    assert one["result"] == cli_json("evaluate", str(WRONG_CLAIM))
    evaluated = client.post("/api/evaluate", json=fact_body())
    assert client.get(f"/api/submissions/{evaluated.headers['X-Submission-Id']}").json()["audit"] is None


def test_every_error_answer_has_the_one_shape(client):
    for r, status in ((client.get("/api/submissions/99999999999999999999999"), 422),
                      (client.get("/api/no-such-route"), 404),
                      (client.delete("/api/policies"), 405),
                      (client.post("/api/evaluate", files=[("file", ("a.yaml", b"a: 1")), ("file", ("b.yaml", b"b: 2"))]), 422)):
        assert r.status_code == status, (r.status_code, r.text)
        body = r.json()
        assert body["ok"] is False and (body["problems"] or body["error"]), body
        assert "detail" not in body


def test_a_bureaus_folder_broken_policies_and_symlinks_out(tmp_path):
    folder = tmp_path / "本局"
    folder.mkdir()
    own = (ROOT / "rules" / "guangzhou" / "panyu" / "2023.yaml").read_text(encoding="utf-8")
    (folder / "mine.yaml").write_text(own.replace("id: guangzhou/panyu/2023", "id: mine", 1), encoding="utf-8")
    (folder / "broken.yaml").write_text("indicators: 秘密的内容\n", encoding="utf-8")
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((ROOT / "rules" / "guangzhou" / "panyu" / "2023.yaml").read_bytes())
    (folder / "link.yaml").symlink_to(outside)
    with Server(tmp_path / "b.db", "--workers", "1", "--policies", str(folder)) as s:
        with httpx.Client(base_url=s.url, timeout=60) as c:
            ids = {p["id"] for p in c.get("/api/policies").json()}
            assert "mine" in ids and PANYU in ids and "link" not in ids and "broken" not in ids
            assert c.post("/api/evaluate", json={**fact_body(), "policy": "mine"}).json()["score"] == "96.88"
            (p,) = problems(c.post("/api/evaluate", json={**fact_body(), "policy": "broken"}))
            assert p["code"] == "E406" and "broken" in p["message"] and p["path"] == "$.policy"
            assert str(folder) not in json.dumps(p, ensure_ascii=False) and "秘密" not in p["message"]
            (p,) = problems(c.get("/api/policies/broken"), 404)
            assert str(folder) not in json.dumps(p, ensure_ascii=False)
            (p,) = problems(c.post("/api/evaluate", json={**fact_body(), "policy": "link"}))
            assert p["code"] == "E406"
    assert "broken.yaml" in s.output          # the details are in the server's log


def test_a_token_protects_the_api(tmp_path):
    from perfrules.web.token import cookie_value
    with Server(tmp_path / "u.db", "--workers", "1", "--token", "番禺口令2023") as s:
        assert httpx.get(s.url + "/api/policies").status_code == 401
        header = {"Authorization": "bearer 番禺口令2023".encode("utf-8")}
        assert httpx.get(s.url + "/api/policies", headers=header).status_code == 200
        cookie = {"Cookie": f"perfrules_token={cookie_value('番禺口令2023')}"}
        assert httpx.get(s.url + "/api/policies", headers=cookie).status_code == 200
        assert httpx.get(s.url + "/api/policies", headers={"Cookie": "perfrules_token=番禺口令2023".encode()}).status_code == 401
    with Server(tmp_path / "t.db", "--workers", "1", "--token", "s3cret") as s:
        assert httpx.get(s.url + "/api/policies").status_code == 401
        assert httpx.get(s.url + "/api/policies", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(s.url + "/api/policies", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert httpx.get(s.url + "/healthz").status_code == 200
        r = httpx.post(s.url + "/api/evaluate", json=fact_body(), headers={"Authorization": "Bearer s3cret"}, timeout=60)
        assert r.status_code == 200 and r.json()["score"] == "96.88"


def test_docs_service_md_lists_exactly_the_api_routes(client):
    import re
    documented = set(re.findall(r"^\| `(GET|POST) (/api/[^`?]*)`", (ROOT / "docs" / "service.md").read_text("utf-8"), re.M))
    spec = client.get("/openapi.json").json()["paths"]
    served = {(m.upper(), p.replace("{policy_id}", "{id}").replace("{sid}", "{id}"))
              for p, ops in spec.items() if p.startswith("/api/") for m in ops}
    assert documented == served


def test_a_row_names_the_upload_as_the_user_did_whatever_the_private_path_holds():
    """A batch row holds the private copy's path JSON-escaped, as the file would (a lone
    surrogate from a directory name that is not UTF-8 as \\udcxx, a quote as \\"): it is still
    found, and the user's name goes in escaped, so the row stays JSON."""
    from perfrules.batch.writers import jsonl_line
    from perfrules.web.jobs import _renamed_in_row
    path = '/tmp/perfrules-upload-\udcb2"q/abc.jsonl'
    row = jsonl_line(path + ":3", {"warnings": [{"file": path + ":3", "message": f"见 {path[:-6]}.yaml 第 3 行"}]})
    got = _renamed_in_row(path, '区"县.jsonl')(row)
    assert b"perfrules-upload" not in got
    assert json.loads(got) == {"source": '区"县.jsonl:3',
                               "warnings": [{"file": '区"县.jsonl:3', "message": '见 区"县.jsonl 第 3 行'}]}


def test_the_private_copy_of_an_upload_is_never_shown(client):
    """Warnings on the report are located too: under the upload's own name, in evaluate and batch."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("全年预算数: 690.47万元", "全年预算数: 6904700元")
    r = client.post("/api/evaluate", files={"file": ("元.yaml", text.encode())})
    assert r.status_code == 200 and r.json()["warnings"], r.text
    assert r.json()["warnings"][0]["file"] == "元.yaml" and "perfrules-upload" not in r.text
    doc = fact_body(全年预算数="6904700元")
    r = client.post("/api/batch", files={"file": ('区县.jsonl', (json.dumps(doc, ensure_ascii=False) + "\n").encode())})
    assert r.status_code == 200 and "perfrules-upload" not in r.text, r.text
    (row,) = r.json()["rows"]
    assert row["warnings"][0]["file"] == '区县.jsonl:1' and row["source"] == '区县.jsonl:1'
    stored = client.get(f"/api/submissions/{client.get('/api/submissions').json()['submissions'][0]['id']}").text
    assert "perfrules-upload" not in stored
