"""The submission store: the same behaviour from SQLite (the default) and from SQLAlchemy on
a URL; one transaction a write (all of a batch's rows or none); what is committed is there
after the store is reopened. PostgreSQL is tested only where a server can be started here
(`initdb` and `pg_ctl` on PATH or in /usr/lib/postgresql); elsewhere that test says so and skips."""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from perfrules.web.store import NewSubmission, SQLAlchemyStore, SQLiteStore, open_store


def sub(i: int, **kw) -> NewSubmission:
    base = NewSubmission(kind="evaluate", policy_id="guangzhou/panyu/2023", policy_version="1.0.0",
                         policy_sha256="a" * 64, department=f"部门{i}", year=2023, score=f"{90 + i % 10}.50",
                         grade="优", input_name="请求正文", input_sha256=f"{i:064x}",
                         submitted='{"department": "部门%d", "facts": {"全年预算数": "690.47万元"}}' % i,
                         result='{"score": "%d.50"}' % (90 + i % 10))
    return replace(base, **kw)


def _stores(tmp_path):
    yield SQLiteStore(tmp_path / "a.db")
    yield SQLAlchemyStore(f"sqlite:///{tmp_path / 'b.db'}")


@pytest.mark.parametrize("which", ["sqlite", "sqlalchemy"])
def test_add_list_get(tmp_path, which):
    store = open_store(str(tmp_path / "a.db")) if which == "sqlite" else open_store(f"sqlite:///{tmp_path / 'b.db'}")
    assert type(store) is (SQLiteStore if which == "sqlite" else SQLAlchemyStore)
    ids = store.add([sub(i) for i in range(5)])
    assert ids == sorted(ids) and len(set(ids)) == 5
    (last,) = store.add([sub(9, department="<script>x</script>")])
    total, page = store.list(limit=3)
    assert total == 6 and [r["id"] for r in page] == [last, ids[4], ids[3]]       # newest first
    assert "submitted" not in page[0] and page[0]["department"] == "<script>x</script>"
    total, rest = store.list(limit=10, offset=3)
    assert [r["id"] for r in rest] == ids[2::-1]
    one = store.get(ids[1])
    assert one is not None and one["submitted"]["facts"]["全年预算数"] == "690.47万元" and one["result"]["score"] == "91.50"
    assert one["created"].endswith("+00:00") and one["input_sha256"] == f"{1:064x}"
    assert store.get(10**6) is None
    store.close()


@pytest.mark.parametrize("which", ["sqlite", "sqlalchemy"])
def test_a_write_is_one_transaction(tmp_path, which):
    stores = list(_stores(tmp_path))
    store = stores[0] if which == "sqlite" else stores[1]
    store.add([sub(0)])
    broken = replace(sub(2), submitted=None)        # NOT NULL: the third row of the batch fails
    with pytest.raises(Exception):
        store.add([sub(1), sub(3), broken])
    total, rows = store.list()
    assert total == 1 and rows[0]["department"] == "部门0"        # none of the failed batch
    for s in stores:
        s.close()


def test_what_is_committed_is_there_after_reopening(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    ids = store.add([sub(i) for i in range(3)])
    store.close()
    again = SQLiteStore(path)
    assert [r["id"] for r in again.list()[1]] == ids[::-1]
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def _pg_bin() -> str | None:
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return os.path.dirname(shutil.which("initdb") or "")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def test_postgresql_where_a_server_can_be_started(tmp_path):
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server on this machine (initdb, pg_ctl): the SQLAlchemy store is tested on SQLite only")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install perfrules[postgres])")
    as_user: list[str] = []
    if os.geteuid() == 0:          # initdb refuses root: run the server as the postgres user
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("running as root without a postgres user: the SQLAlchemy store is tested on SQLite only")
        as_user = ["runuser", "-u", "postgres", "--"]
    import tempfile
    top = Path(tempfile.mkdtemp(prefix="perfrules-pg-"))     # not under pytest's 0700 folders: postgres reads it
    top.chmod(0o755)
    data = top / "pg"
    data.mkdir()
    if as_user:
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run([*as_user, f"{bin_dir}/initdb", "-D", str(data), "-U", "perfrules", "-A", "trust"], check=True,
                   capture_output=True)
    subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(data / "log"),
                    "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "-w", "start"],
                   check=True, capture_output=True)
    try:
        store = open_store(f"postgresql://perfrules@127.0.0.1:{port}/postgres")       # as `--db` takes it
        ids = store.add([sub(i) for i in range(3)])
        assert [r["id"] for r in store.list()[1]] == ids[::-1]
        one = store.get(ids[0])
        assert one is not None and one["submitted"]["department"] == "部门0"
        with pytest.raises(Exception):
            store.add([sub(5), replace(sub(6), submitted=None)])
        assert store.list()[0] == 3                     # the failed write left nothing
        store.close()
    finally:
        subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
