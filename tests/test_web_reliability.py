"""The store survives `kill -9`: a stream of submissions from several clients, the server
killed (the whole process group, workers too) in the middle of it, then started again on the
same database. Every submission that got a success answer is there, whole (its facts, its
result, the hash of what was sent); no row is half-written; the restarted service goes on."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time

import httpx
import yaml

from serving import ROOT, Server

EXAMPLE = ROOT / "examples" / "panyu-jiguan-gongwei-2023.yaml"


def _body(i: int) -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.pop("claimed", None)
    data["department"] = f"部门{i:05d}"
    data["facts"]["实际支出数"] = f"{600 + i % 90}.{i % 100:02d}万元"
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def test_every_acknowledged_submission_survives_kill_9(tmp_path):
    db = tmp_path / "store.db"
    server = Server(db, "--workers", "2").start()
    acknowledged: dict[int, tuple[str, str, str]] = {}      # id -> (input sha256, department, score)
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(10**6))

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            while not stop.is_set():
                with lock:
                    i = next(counter)
                body = _body(i)
                try:
                    r = c.post("/api/evaluate", content=body, headers={"content-type": "application/json"})
                except httpx.HTTPError:
                    continue                     # the server is gone: no answer, no promise
                if r.status_code == 200:
                    with lock:
                        acknowledged[int(r.headers["X-Submission-Id"])] = (
                            hashlib.sha256(body).hexdigest(), f"部门{i:05d}", r.json()["score"])
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()                                 # kill -9, mid-stream
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 40, "the stream did not get going"

    # the file is a sound database, and every row in it is whole
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute("SELECT id, input_sha256, department, score, submitted, result FROM submissions").fetchall()
    con.close()
    for sid, sha, department, score, submitted, result in rows:
        assert json.loads(submitted)["department"] == department
        assert json.loads(result)["score"] == score and len(sha) == 64

    again = Server(db, "--workers", "1").start()
    try:
        with httpx.Client(base_url=again.url, timeout=30) as c:
            for sid, (sha, department, score) in acknowledged.items():
                one = c.get(f"/api/submissions/{sid}").json()
                assert (one["input_sha256"], one["department"], one["score"]) == (sha, department, score)
                assert one["result"]["department"] == department
            total = c.get("/api/submissions").json()["total"]
            assert total >= len(acknowledged) and total == len(rows)
            r = c.post("/api/evaluate", content=_body(999_999), headers={"content-type": "application/json"})
            assert r.status_code == 200 and int(r.headers["X-Submission-Id"]) > max(acknowledged)
    finally:
        again.stop()
