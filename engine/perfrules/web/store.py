"""Stored submissions: every evaluation made through the service, kept so that a reviewer
can find what a department submitted and what it was told.

The store is a small interface (Store) with two implementations: SQLite from the standard
library (the default, one file beside the service) and SQLAlchemy for a URL such as
postgresql://… (a bureau that outgrows one machine). Each write is one transaction, committed
before the service answers, so a submission that got a success answer survives the process
being killed; SQLite runs in WAL mode with synchronous=FULL, so a kill -9 at any moment
leaves every committed row whole and no row half-written.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, Sequence

# what a listing shows; `submitted` (the fact document) and `result` only come with one (get)
_SUMMARY = ("id", "created", "kind", "policy_id", "policy_version", "policy_sha256", "department", "year",
            "score", "grade", "input_name", "input_sha256", "batch")
_COLUMNS = _SUMMARY + ("submitted", "result", "audit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    kind TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    department TEXT NOT NULL,
    year INTEGER,
    score TEXT NOT NULL,
    grade TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    batch TEXT,
    submitted TEXT NOT NULL,
    result TEXT NOT NULL,
    audit TEXT
)"""


@dataclass(frozen=True)
class NewSubmission:
    """One evaluation to keep: the policy (id, version, sha256), the facts as submitted and
    the result (both JSON text), and the sha256 of the input as it arrived."""
    kind: str                 # evaluate | audit | batch
    policy_id: str
    policy_version: str
    policy_sha256: str
    department: str
    year: int | None
    score: str
    grade: str
    input_name: str
    input_sha256: str
    submitted: str
    result: str
    batch: str | None = None   # the batch's input sha256, for the rows of one uploaded district file
    audit: str | None = None   # what the audit of the claim found (JSON), for a submission with a claim checked


class Store(Protocol):
    def add(self, subs: Sequence[NewSubmission]) -> list[int]: ...
    def list(self, limit: int = 50, offset: int = 0) -> tuple[int, list[dict[str, Any]]]: ...
    def get(self, sid: int) -> dict[str, Any] | None: ...
    def close(self) -> None: ...


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _row(sub: NewSubmission, created: str) -> dict[str, Any]:
    return {**asdict(sub), "created": created}


def _record(row: dict[str, Any], whole: bool) -> dict[str, Any]:
    out = {k: row[k] for k in (_COLUMNS if whole else _SUMMARY)}
    if whole:
        for key in ("submitted", "result", "audit"):
            out[key] = None if row[key] is None else json.loads(row[key])
    return out


class SQLiteStore:
    """The default store: one SQLite file, WAL, synchronous=FULL; one writer at a time."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._db.execute("CREATE INDEX IF NOT EXISTS submissions_created ON submissions (created)")

    def add(self, subs: Sequence[NewSubmission]) -> list[int]:
        """Keep all of `subs` in one transaction: all of them or, if anything fails, none."""
        created = _now()
        cols = ", ".join(_COLUMNS[1:])
        marks = ", ".join(f":{c}" for c in _COLUMNS[1:])
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                ids = [int(self._db.execute(f"INSERT INTO submissions ({cols}) VALUES ({marks})",  # noqa: S608 — fixed names
                                            _row(s, created)).lastrowid or 0) for s in subs]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    def list(self, limit: int = 50, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """How many there are, and a page of them, newest first."""
        with self._lock:
            total = self._db.execute("SELECT count(*) FROM submissions").fetchone()[0]
            rows = self._db.execute(f"SELECT {', '.join(_SUMMARY)} FROM submissions ORDER BY id DESC LIMIT ? OFFSET ?",
                                    (limit, offset)).fetchall()
        return int(total), [_record(dict(r), False) for r in rows]

    def get(self, sid: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM submissions WHERE id = ?", (sid,)).fetchone()
        return None if row is None else _record(dict(row), True)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SQLAlchemyStore:
    """The same table through SQLAlchemy Core, for a database URL (postgresql://…)."""

    def __init__(self, url: str):
        import sqlalchemy as sa
        self._sa = sa
        self._engine = sa.create_engine(url, pool_pre_ping=True)
        meta = sa.MetaData()
        text, integer = sa.Text, sa.Integer
        self._table = sa.Table(
            "submissions", meta,
            sa.Column("id", integer, primary_key=True, autoincrement=True),
            *(sa.Column(c, integer if c == "year" else text, nullable=c in ("year", "batch", "audit"))
              for c in _COLUMNS[1:]))
        meta.create_all(self._engine)

    def add(self, subs: Sequence[NewSubmission]) -> list[int]:
        created = _now()
        with self._engine.begin() as conn:        # one transaction
            keys = [conn.execute(self._table.insert().values(**_row(s, created))).inserted_primary_key for s in subs]
        return [int(k[0]) for k in keys if k is not None]

    def list(self, limit: int = 50, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        sa, t = self._sa, self._table
        with self._engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            rows = conn.execute(sa.select(*(t.c[c] for c in _SUMMARY)).order_by(t.c.id.desc())
                                .limit(limit).offset(offset)).mappings().all()
        return int(total), [_record(dict(r), False) for r in rows]

    def get(self, sid: int) -> dict[str, Any] | None:
        sa, t = self._sa, self._table
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == sid)).mappings().first()
        return None if row is None else _record(dict(row), True)

    def close(self) -> None:
        self._engine.dispose()


def open_store(db: str) -> Store:
    """A database URL (scheme://…) through SQLAlchemy, anything else a SQLite file's path."""
    if "://" in db:
        if db.startswith(("postgresql://", "postgres://")):     # psycopg 3 (the postgres extra), not psycopg2
            db = "postgresql+psycopg://" + db.split("://", 1)[1]
        return SQLAlchemyStore(db)
    return SQLiteStore(db)
