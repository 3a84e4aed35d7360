"""What the service's worker processes do: read one submission (a JSON body or an uploaded
file), score it through service, and answer with plain data the web process can send and
store. Nothing here knows HTTP.

These functions run in the pool's processes (web.pool), never on the event loop: durable_rules
holds the GIL and is not thread-safe. Each worker has one Service whose registry refuses
paths (ids only), so no submission can make the service read a file of its choosing. An
upload is written into a private temporary folder under a neutral name (its suffix only)
for the readers, and every location is shown under the name the user gave it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import audit, readers, service
from ..encoding import decode
from ..load import Document
from ..problems import InputError, Problem
from ..readers.jsonl import read as read_json
from ..readers.task import Task
from ..yaml_errors import zh_json
from ..report import to_bytes
from ..report.present import money, plain
from .errors import SPLIT_HINT, SPLIT_HINT_EN, policy_unusable
from .store import NewSubmission

BODY = "请求正文"              # how a JSON body is named in its problems' locations
EVALUATE_SUFFIXES = (".yaml", ".yml", ".xlsx", ".json")
BATCH_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".xlsx")


@dataclass(frozen=True)
class Source:
    """A submission as it arrived: a JSON body's text, or an uploaded file's name and bytes."""
    name: str
    data: bytes
    body: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Answer:
    """A job's answer: its problems (then nothing else), or the JSON and the document asked
    for, and what the store keeps."""
    problems: tuple[Problem, ...] = ()
    json: bytes = b""
    document: bytes = b""
    records: tuple[NewSubmission, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def init(folders: tuple[str, ...]) -> None:
    """Once per worker: a service on the shipped policies and the bureau's folders, by id
    only, with durable_rules loaded and every policy read, so the first request is not slow."""
    svc = service.use(service.Service(registry=service.PolicyRegistry([Path(f) for f in folders], paths=False)))
    svc.matcher                    # loads durable's C extension now, not in the first request
    for pid in svc.registry.ids():
        try:
            svc.prepared(svc.policy(pid))
        except InputError:
            pass          # a broken policy file: a request naming it is told why


def evaluate(source: Source, lang: str, fmt: str, claims: bool = False) -> Answer:
    """One department: the JSON of `evaluate -f json` (or, with `claims`, audit's), the
    document in `fmt` (docx, html) when asked, and the submission to store."""
    try:
        if source.body or Path(source.name).suffix.lower() == ".json":
            text = decode(source.data, source.name)        # as a file is decoded: never a guess past a bad byte
            return _evaluate([_json_document(text, source.name)], source, lang, fmt, claims)
        return _uploaded(source, EVALUATE_SUFFIXES, lambda path: _evaluate(
            readers.fact_documents(path), source, lang, fmt, claims, _renamed(str(path), source.name)))
    except InputError as exc:
        return Answer(problems=tuple(exc.problems))


def _json_document(text: str, name: str) -> Document:
    """A JSON fact document (a body, a .json upload), read as a JSON Lines line is, but a
    syntax error is located at its line and column of the whole text."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        raise InputError([Problem(
            "E103", f"JSON 语法错误（第 {exc.lineno} 行第 {exc.colno} 列）：{zh_json(exc.msg)}",
            f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}", name, exc.lineno, exc.colno,
            hint='应是一个 JSON 对象，如 {"policy": "…", "department": "…", "year": 2023, "facts": {…}}。',
            hint_en='It must be one JSON object, e.g. {"policy": "…", "department": "…", "facts": {…}}.',
            source_line=lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else "")]) from None
    except RecursionError:
        pass                                    # read_json says it is nested too deep
    return read_json(Task("json", name, text))


def _evaluate(docs: list[Document], source: Source, lang: str, fmt: str, claims: bool,
              shown: Callable[[str], str] = str) -> Answer:
    """One document scored; `shown` names the upload's private copy as the user named it, so
    that what the scoring locates (warnings on the report) never shows the copy's path."""
    for doc in docs:
        doc.file = shown(doc.file)
    if len(docs) != 1:
        raise InputError([Problem("E602", f"这个文件有 {len(docs)} 个部门；一次评分只评一个部门，多个部门请用“批量评分”。",
                                  f"the file holds {len(docs)} departments; use batch for more than one", source.name)])
    doc = docs[0]
    svc = service.default()
    try:
        policy = svc.policy_for(doc)           # ids only: the registry takes no path
    except InputError as exc:
        if not any(svc.registry.is_policy_file(p.file) for p in exc.problems):
            raise
        pid = doc.data.get("policy") if isinstance(doc.data, dict) else ""
        raise InputError([policy_unusable(str(pid), exc.problems, source.name, "$.policy")]) from None
    result = svc.evaluate_with(doc, policy)
    found: str | None = None                 # the audit as the store keeps it (Chinese)
    if claims:
        entry = audit.Audited(source.name, result, audit.audit(result, doc), audit.judged(result))
        out, extra = to_bytes("audit", "json", [entry], lang), {"found": len(entry.found)}
        found = json.dumps(json.loads(out if lang == "zh" else to_bytes("audit", "json", [entry], "zh"))[0],
                           ensure_ascii=False)
        kept = to_bytes("result", "json", [result], "zh")
    else:
        out, extra = to_bytes("result", "json", [result], lang), {}
        kept = out if lang == "zh" else to_bytes("result", "json", [result], "zh")     # the store keeps Chinese
    document = to_bytes("result", fmt, [result], lang) if fmt in ("docx", "html") else b""
    record = _record("audit" if claims else "evaluate", source, result, doc.data, kept.decode("utf-8"), found)
    return Answer(json=out, document=document, records=(record,), extra=extra)


def _record(kind: str, source: Source, result, facts: Any, result_json: str, found: str | None) -> NewSubmission:
    p = result.policy
    return NewSubmission(
        kind=kind, policy_id=p.id, policy_version=p.version, policy_sha256=p.sha256,
        department=result.department.name, year=result.department.year or p.year,
        score=money(result.score), grade=result.grade("zh"), input_name=source.name, input_sha256=source.sha256,
        submitted=_json(facts), result=result_json, audit=found)


def _json(data: Any) -> str:
    return json.dumps(plain(data), ensure_ascii=False, sort_keys=False, default=str)


def _renamed(path: str, name: str) -> Callable[[str], str]:
    """Text with the private copy `path` (whatever suffix a reader gave it) shown as `name`."""
    pattern = re.compile(re.escape(str(Path(path).with_suffix(""))) + r"\.[A-Za-z]+")
    return lambda text: pattern.sub(name, text)


def shown_as(problems: list[Problem], path: str, name: str) -> list[Problem]:
    """Problems located in the private copy `path`, shown under the user's file name."""
    shown = _renamed(path, name)
    return [replace(p, file=shown(p.file), message=shown(p.message), message_en=shown(p.message_en)) for p in problems]


def safe_name(name: str) -> str:
    """An upload's name as it may be shown: its last part only, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:120]
    return base or "上传文件"


def batch(source: Source, lang: str, fmt: str, max_rows: int) -> Answer:
    """A district file: every department scored (crash-contained, batch.pool), the rows,
    summary, discrepancies and failures as JSON, or the reviewer's workbook with fmt xlsx."""
    from ..batch import pool
    from ..batch.summary import Summary
    from ..batch.workbook import ReviewWorkbook
    from .batch_view import batch_json
    def run(path: Path) -> Answer:
        summary = Summary(lang)
        outcomes: list = []

        def handle(o) -> None:
            summary.add(o)
            outcomes.append(o)
        pool.drive(_limited(readers.Inputs([path]).tasks(), max_rows, source.name), 1,
                   (None, lang, True, True, True), handle)
        outcomes = [_shown(o, str(path), source.name) for o in outcomes]
        summary.failures = [_shown(o, str(path), source.name) for o in summary.failures]
        if summary.total == 0:
            raise InputError([Problem("E602", "文件中没有任何部门。", "the file holds no departments", source.name)])
        document = b""
        if fmt == "xlsx":
            book = Path(path).with_name("review.xlsx")
            writer = ReviewWorkbook(book, lang, summary)
            for o in outcomes:
                if o.ok:
                    writer.write(o)
            writer.close()
            document = book.read_bytes()
        rows = [json.loads(o.line) for o in outcomes if o.ok]      # each scored department's result, read once
        out = json.dumps(batch_json(summary, outcomes, rows, lang), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        return Answer(json=out, document=document,
                      records=tuple(_batch_record(o, row, source) for o, row in zip((o for o in outcomes if o.ok), rows)))
    try:
        return _uploaded(source, BATCH_SUFFIXES, run)
    except InputError as exc:
        return Answer(problems=tuple(exc.problems))


def _shown(o, path: str, name: str):
    """A batch Outcome with the private copy named as the user named the upload (its JSON
    row too, where both stand JSON-escaped, as the row's bytes hold them)."""
    return replace(o, source=_renamed(path, name)(o.source), line=_renamed_in_row(path, name)(o.line),
                   problems=tuple(shown_as(list(o.problems), path, name)))


def _renamed_in_row(path: str, name: str) -> Callable[[bytes], bytes]:
    """_renamed for a JSON Lines row (writers.jsonl_line's bytes): the private copy's name and
    the user's as JSON text holds them, escapes (a lone surrogate's \\udcxx) included."""
    from ..batch.writers import utf8

    def in_json(text: str) -> bytes:
        return utf8(json.dumps(text, ensure_ascii=False)[1:-1])
    pattern = re.compile(re.escape(in_json(str(Path(path).with_suffix("")))) + rb"\.[A-Za-z]+")
    shown = in_json(name)
    return lambda row: pattern.sub(lambda _: shown, row)


def _batch_record(o, row: dict, source: Source) -> NewSubmission:
    return NewSubmission(
        kind="batch", policy_id=o.policy, policy_version=str(row.get("policy", {}).get("version", "")),
        policy_sha256=str(row.get("policy", {}).get("sha256", "")), department=o.department, year=o.year,
        score=o.score, grade=o.grade, input_name=o.source, input_sha256=source.sha256,
        submitted=_json(o.facts or {}), result=_json(row), batch=source.sha256,
        audit=_json({"claimed": o.claimed, "discrepancies": [
            {"kind": k, "indicator": i, "claimed": c, "due": d, "message": m} for k, i, c, d, m in o.findings]})
        if o.claimed else None)


def _limited(tasks: Iterator[Task], max_rows: int, name: str) -> Iterator[Task]:
    for n, task in enumerate(tasks, 1):
        if n > max_rows:
            raise InputError([Problem("E105", f"“{name}”超过 {max_rows:,} 个部门，超出了一次上传的上限。",
                                      f"'{name}' holds more than {max_rows:,} departments, the limit of one upload", name,
                                      hint=SPLIT_HINT, hint_en=SPLIT_HINT_EN)])
        yield task


def _uploaded(source: Source, suffixes: tuple[str, ...], work: Callable[[Path], Answer]) -> Answer:
    """work(path) on the upload written into a private folder under a neutral name with its
    suffix (removed afterwards); its problems are shown under the user's file name."""
    suffix = Path(source.name).suffix.lower()
    if suffix not in suffixes:
        raise InputError([Problem("E602", f"不能读取“{source.name}”：只接受 {'、'.join(suffixes)} 文件。",
                                  f"cannot read '{source.name}': only {', '.join(suffixes)} files", source.name)])
    folder = tempfile.mkdtemp(prefix="perfrules-upload-")
    path = Path(folder, "upload" + suffix)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(source.data)
        try:
            return work(path)
        except InputError as exc:
            raise InputError(shown_as(exc.problems, str(path), source.name)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
