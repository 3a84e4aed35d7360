"""perfrules batch: score many departments at once, for reviewers.

    perfrules batch INPUT... [--policy ID|PATH] [--items FILE] [--jobs N] [--output FILE] [--lang zh|en]

INPUT is any mix of
- YAML fact files, and folders of them (searched recursively for *.yaml / *.yml, skipping
  *.cases.yaml, *.cases/ folders and hidden files and folders);
- JSON Lines files (*.jsonl, *.ndjson): each non-blank line is one fact document of the same
  shape as a YAML fact file, {policy?, department, short_name?, year?, facts: {...}, claimed?};
  a problem is located as NAME.jsonl:LINE;
- CSV files (*.csv), one department a row: a `department` (部门) column, optional `policy`
  (评分办法), `year` (年度), `short_name` (简称) and `code` (部门编码) columns, then one column
  per top-level fact, named by the fact's key or by its label. Empty cells are left out (the
  policy's default applies). List-valued facts (绩效指标) come from a second CSV given with
  --items: a `department` column, a `list` (列表) column naming the list fact by key or label
  (optional when the policy declares only one list fact), then one column per record field,
  again by key or label. A problem is located as NAME.csv:LINE (or ITEMS.csv:LINE for a
  record that came from the items file). CSV files may be UTF-8 (with or without BOM) or
  GBK/GB18030, as Excel and WPS save them.

Each department is read with facts.read_department, evaluated and explained with the normal
pipeline. One bad department never stops the batch: it is listed in the summary with its
located error. The output (--output FILE, by suffix: .csv, .jsonl or .xlsx; JSON Lines on
stdout without --output) has one row per department evaluated, in input order; a JSON Lines
row is report.json.to_dict(result) plus "source". Rows are written as they come and inputs
are read lazily, so memory does not grow with the number of departments (the --items file
is the exception: it is indexed by department up front). The output is written to a temporary
file renamed at the end: a failed or interrupted batch leaves no output file.

--jobs N evaluates in N worker processes (durable_rules is neither thread-safe nor releases
the GIL: tech/durable-and-peers.md §1.9): each compiles the policy once and evaluates chunks
of departments; chunks come back in input order, so any N gives byte-identical CSV and JSON
Lines output. --jobs 0 uses every CPU.

Exit codes: 0 all evaluated; 1 some department failed (or --items rows matched no department);
2 the inputs themselves could not be read (missing file, unreadable CSV header, bad --policy,
unsupported --output, no departments at all): then no output file is written.
"""
from __future__ import annotations

import codecs
import csv
import json
import os
import re
import signal
import sys
import threading
import time
import unicodedata
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator

from . import expr
from .load import MAX_FILE_BYTES, Document, decode, load_file
from .problems import InputError, Problem, did_you_mean, render_all

CHUNK = 128                # departments per task sent to a worker process
INFLIGHT_PER_JOB = 4       # chunks queued per worker: bounds memory, keeps workers busy
PROGRESS_AFTER = 1.0       # seconds before a progress bar appears (on a terminal only)
OUTPUT_SUFFIXES = (".csv", ".jsonl", ".xlsx")
JSONL_SUFFIXES = (".jsonl", ".ndjson")

# Columns with a fixed meaning in a department CSV / an items CSV (compared after NFKC,
# stripped, lower-cased). Every other column names a fact (or a record field).
_ROLES = {
    "department": "department", "部门": "department", "部门名称": "department", "单位": "department",
    "单位名称": "department",
    "policy": "policy", "评分办法": "policy",
    "year": "year", "年度": "year",
    "short_name": "short_name", "简称": "short_name", "部门简称": "short_name",
    "code": "code", "部门编码": "code", "单位编码": "code",
}
_ITEM_ROLES = {"department": "department", "部门": "department", "部门名称": "department", "单位": "department",
               "单位名称": "department", "list": "list", "列表": "list", "事实": "list", "list_key": "list"}
_TEXTS_SPLIT = re.compile(r"[；;|\n]")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


# ---- tasks and outcomes: what travels between the reader, the workers and the writer ------

@dataclass(frozen=True)
class Task:
    """One department to evaluate. Small and picklable: workers read YAML files themselves."""

    kind: str          # "file" (YAML fact file) | "json" (a JSON Lines line) | "row" (a CSV row) | "bad"
    source: str        # the path, or NAME.jsonl:LINE / NAME.csv:LINE
    payload: object = None   # json: the line's text; row: (header, cells, item rows); bad: problems


@dataclass
class Outcome:
    """What a worker sends back for one department: enough for every output format and the summary."""

    source: str
    department: str = ""
    ok: bool = False
    policy: str = ""
    score: str = ""
    grade: str = ""
    grades: tuple = ()         # the policy's grade names, best first
    tops: tuple = ()           # (id, name, points lost) for each 一级 indicator
    deductions: tuple = ()     # (id, name, points lost) for each leaf indicator that lost points
    reasons: str = ""
    json: str = ""             # the JSON Lines row (only when the output is JSON Lines)
    problems: tuple = ()
    internal: str = ""         # an unexpected error: not the user's fault


# ---- the worker side (also used in-process for --jobs 1) ---------------------------------

_SETTINGS = {"policy": None, "lang": "zh", "json": False}
_POLICIES: dict = {}       # (policy reference, folder) -> Compiled, per process
_NAMES: dict = {}          # policy sha -> {normalised key or label: fact key}


def _init_worker(policy_ref: str | None, lang: str, want_json: bool, in_child: bool) -> None:
    """Per process: remember the settings and compile the --policy once."""
    if in_child:
        signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the parent's to handle
    _SETTINGS.update(policy=policy_ref, lang=lang, json=want_json)
    if policy_ref is not None:
        from .pipeline import compiled_policy, resolve_policy
        try:
            _POLICIES[("--policy", policy_ref)] = compiled_policy(resolve_policy(policy_ref))
        except InputError:
            pass    # the parent checked it; each department will report it if it is gone


def _run_chunk(tasks: list[Task]) -> list[Outcome]:
    return [_evaluate(t) for t in tasks]


def _evaluate(task: Task) -> Outcome:
    from .explain import evaluate
    from .facts import read_department
    doc = None
    try:
        if task.kind == "bad":
            raise InputError(list(task.payload))
        if task.kind == "file":
            doc = load_file(task.source)
        elif task.kind == "json":
            doc = _json_document(task.source, task.payload)
        else:
            doc, raw_facts, item_rows = _row_document(task)
        compiled = _compiled_for(doc)
        if task.kind == "row":
            _row_facts(doc, compiled.policy, raw_facts, item_rows)
        result = evaluate(compiled, read_department(doc, compiled.policy))
        return _outcome(task.source, result)
    except InputError as exc:
        return Outcome(task.source, _department_name(doc), problems=tuple(exc.problems))
    except Exception as exc:  # noqa: BLE001 — one department's surprise must not stop the batch
        return Outcome(task.source, _department_name(doc), internal=f"{type(exc).__name__}: {exc}")


def _department_name(doc) -> str:
    data = getattr(doc, "data", None)
    name = data.get("department") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def _compiled_for(doc: Document):
    """pipeline.policy_for, remembered per (reference, folder) so that 10,000 rows naming the
    same policy resolve and stat it once."""
    from .pipeline import policy_for
    ref = _SETTINGS["policy"]
    if ref is not None:
        key = ("--policy", ref)
    else:
        own = doc.data.get("policy") if isinstance(doc.data, dict) else None
        if not isinstance(own, str):
            return policy_for(doc, None)        # raises the located problem
        key = (own, str(Path(doc.file).parent))
    compiled = _POLICIES.get(key)
    if compiled is None:
        compiled = _POLICIES[key] = policy_for(doc, ref)
    return compiled


def _outcome(source: str, result) -> Outcome:
    from .report.json import to_dict
    from .report.present import money, name, reason_text
    lang = _SETTINGS["lang"]
    p = result.policy
    js = ""
    if _SETTINGS["json"]:
        js = json.dumps({"source": source, **to_dict(result, lang)}, ensure_ascii=False, separators=(",", ":"))
    deductions = result.deductions
    return Outcome(
        source=source, department=result.department.name, ok=True, policy=p.id,
        score=money(result.score), grade=result.grade(lang),
        grades=tuple(((g.name_en or g.name) if lang == "en" else g.name) for g in p.grades),
        tops=tuple((t.id, name(t, lang), money(lost)) for t, lost in result.top_losses()),
        deductions=tuple((d.indicator.id, name(d.indicator, lang), money(d.deduction)) for d in deductions),
        reasons=("；" if lang == "zh" else "; ").join(reason_text(d, lang) for d in deductions),
        json=js)


# ---- JSON Lines documents ------------------------------------------------------------------

class _DuplicateKey(Exception):
    pass


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _json_document(source: str, text: str) -> Document:
    """One JSON Lines line as a load.Document named NAME.jsonl:LINE. Numbers are read exactly
    (Decimal), duplicate keys are refused, as load.py does for YAML."""
    doc = Document(source, None, None)
    hint = '每行应是一个完整的 JSON 对象，例如 {"department": "…", "facts": {…}}。'
    hint_en = 'Each line must be one JSON object, e.g. {"department": "…", "facts": {…}}.'
    try:
        doc.data = json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs)
    except _DuplicateKey as exc:
        raise InputError([doc.problem_at("E104", 0, 0, "$", f"字段“{exc.args[0]}”重复出现；JSON 只会保留最后一个值。",
                                         f"key '{exc.args[0]}' appears twice")])
    except json.JSONDecodeError as exc:
        raise InputError([doc.problem_at("E103", 0, 0, "$", f"JSON 语法错误（第 {exc.colno} 列）：{exc.msg}",
                                         f"JSON syntax error at column {exc.colno}: {exc.msg}", hint, hint_en)])
    except RecursionError:
        raise InputError([doc.problem_at("E105", 0, 0, "$", "JSON 嵌套过深。", "The JSON is nested too deep.")])
    return doc


# ---- CSV rows ------------------------------------------------------------------------------

@dataclass
class _RowDocument(Document):
    """A CSV row as a Document. Problems inside a list record that came from the --items file
    are located at that file's line instead of the department's row."""

    origins: dict = field(default_factory=dict)     # path prefix -> "ITEMS.csv:LINE"

    def problem(self, code, path=(), *args, **kwargs) -> Problem:
        p = Document.problem(self, code, path, *args, **kwargs)
        path = tuple(path)
        for n in range(len(path), 0, -1):
            where = self.origins.get(path[:n])
            if where:
                return replace(p, file=where)
        return p


def _row_document(task: Task):
    header, cells, item_rows = task.payload
    data: dict = {}
    raw_facts = []
    doc = _RowDocument(task.source, data, None)
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        raise InputError([doc.problem_at("E106", 0, 0, "$", f"这一行有 {len(cells)} 列，多于表头的 {len(header)} 列。",
                                         f"the row has {len(cells)} cells, the header {len(header)}",
                                         "检查是否有未加引号的逗号。", "Check for an unquoted comma.")])
    for name, cell in zip(header, cells):
        value = _norm(cell) if cell else ""
        if not value:
            continue
        role = _ROLES.get(_norm(name).lower())
        if role == "year":
            data["year"] = int(value) if value.isdigit() else value
        elif role:
            data[role] = value
        else:
            raw_facts.append((name, cell.strip()))
    data["facts"] = {}
    return doc, raw_facts, item_rows


def fact_names(policy) -> dict[str, str]:
    """Normalised fact key, label or English label -> fact key (keys win over labels)."""
    names = _NAMES.get(policy.sha256)
    if names is None:
        names = _NAMES[policy.sha256] = field_names(policy.facts)
    return names


def field_names(decls: dict) -> dict[str, str]:
    """Normalised key, label or English label -> key, for fact declarations (keys win)."""
    names = {}
    for key, f in decls.items():
        for label in (f.label_en, f.label):
            if label:
                names.setdefault(_norm(label), key)
    names.update({_norm(k): k for k in decls})
    return names


def _row_facts(doc: _RowDocument, policy, raw_facts, item_rows) -> None:
    """Name each cell by its fact key; attach the department's --items records."""
    names = fact_names(policy)
    facts = doc.data["facts"]
    problems = []
    for column, value in raw_facts:
        key = names.get(_norm(column), column)   # unknown: read_department reports it with a suggestion
        if key in facts:
            problems.append(doc.problem("E104", ("facts",), f"有两列都对应事实“{key}”（键名和名称各一列）；只保留一列。",
                                        f"two columns give the fact '{key}'"))
            continue
        decl = policy.facts.get(key)
        if decl is not None and decl.type == "texts":
            value = [s.strip() for s in _TEXTS_SPLIT.split(value) if s.strip()]
        facts[key] = value
    lists = {k: d for k, d in policy.facts.items() if d.type == "list"}
    list_names = {}
    for key, decl in lists.items():
        for label in (decl.label_en, decl.label, key):
            if label:
                list_names[_norm(label)] = key
    for where, list_name, cells in item_rows:
        if list_name:
            key = list_names.get(_norm(list_name))
        else:
            key = next(iter(lists)) if len(lists) == 1 else None
        if key is None:
            known = "、".join(lists) or "（无）"
            msg = (f"评分办法 {policy.id} 没有列表事实“{list_name}”。" if list_name else
                   f"评分办法 {policy.id} 有多个列表事实（{known}），请在 list 列写明这一行属于哪一个。")
            problems.append(Problem("E403", msg, f"policy {policy.id} has no list fact '{list_name}'" if list_name
                                    else "several list facts: say which one in the list column",
                                    where, hint=did_you_mean(list_name, lists) if list_name else f"可选：{known}。"))
            continue
        if key in facts and not isinstance(facts[key], list):
            problems.append(doc.problem("E104", ("facts", key), f"“{key}”既有一列，又有 --items 记录；只能用一种方式给出。",
                                        f"'{key}' is given both as a column and as --items records"))
            continue
        fields = field_names(lists[key].fields)
        records = facts.setdefault(key, [])
        doc.origins[("facts", key, len(records))] = where
        records.append({fields.get(_norm(c), c): v for c, v in cells})
    if problems:
        raise InputError(problems)


# ---- reading the inputs (parent process) -------------------------------------------------

def _csv_encoding(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError as exc:
        raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
    for encoding, name in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return name
        except UnicodeDecodeError:
            continue
    raise InputError([Problem("E102", "文件既不是 UTF-8 也不是 GBK/GB18030 编码，无法读取。",
                              "The file is neither UTF-8 nor GBK/GB18030.", str(path))])


@contextmanager
def _csv_reader(path: Path):
    """(header, its raw text, an iterator of (line, cells)) for a CSV file; read errors are located."""
    encoding = _csv_encoding(path)
    try:
        f = open(path, encoding=encoding, newline="")
    except OSError as exc:
        raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
    with f:
        reader = csv.reader(f)

        def rows():
            last = reader.line_num
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise InputError([Problem("E102", f"第 {last + 1} 行附近的编码无法识别（文件前面是 {encoding}）。",
                                              f"undecodable text near line {last + 1}", str(path), last + 1)])
                except csv.Error as exc:
                    raise InputError([Problem("E106", f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", str(path), reader.line_num)])
                start, last = last + 1, reader.line_num
                if any(c.strip() for c in cells):
                    yield start, cells

        it = rows()
        first = next(it, None)
        if first is None:
            raise InputError([Problem("E106", "CSV 文件是空的（没有表头）。", "the CSV file is empty", str(path))])
        line, header = first
        try:
            with open(path, encoding=encoding, newline="") as g:
                raw = g.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raw = ""
        yield [h.strip() for h in header], raw, line, it


def _header_problem(path: Path, raw: str, line: int, column: str, code, zh, en, hint="", hint_en="") -> Problem:
    col = raw.find(column) + 1 if column and column in raw else 1
    return Problem(code, zh, en, str(path), line, col, "$", hint, hint_en, raw)


def _is(check) -> bool:
    try:
        return check()
    except OSError:
        return False


class _Inputs:
    """The INPUT arguments, checked up front (exit 2 if they cannot be read), then read lazily."""

    def __init__(self, paths: list[Path], items: Path | None, policy=None):
        self.paths = [Path(p) for p in paths]
        self.policy = policy          # the --policy, compiled, when given: CSV headers are checked against it
        problems = []
        self.kinds = []
        for p in self.paths:
            if _is(p.is_dir):     # _is: a name the file system refuses (ENAMETOOLONG) is "missing" (E101)
                self.kinds.append("dir")
            elif _is(p.is_file):
                suffix = p.suffix.lower()
                self.kinds.append("jsonl" if suffix in JSONL_SUFFIXES else "csv" if suffix == ".csv" else "file")
            else:
                self.kinds.append("missing")
                problems.append(Problem("E101", f"找不到文件或文件夹：{p}", f"no such file or folder: {p}", str(p)))
        for p, kind in zip(self.paths, self.kinds):
            if kind == "csv":
                try:
                    with _csv_reader(p) as (header, raw, line, _):
                        problems += self._check_header(p, header, raw, line)
                except InputError as exc:
                    problems += exc.problems
        self.items: dict[str, list] = {}
        self.items_used: set[str] = set()
        self.items_first: dict[str, str] = {}
        if items is not None:
            if "csv" not in self.kinds:
                problems.append(Problem("E602", "--items 只用于 CSV 输入（JSON Lines 和 YAML 的列表事实直接写在文件里）。",
                                        "--items goes with CSV inputs only", str(items)))
            else:
                try:
                    self._read_items(Path(items))
                except InputError as exc:
                    problems += exc.problems
        if problems:
            raise InputError(problems)

    def _check_header(self, path, header, raw, line) -> list[Problem]:
        roles = [_ROLES.get(_norm(h).lower()) for h in header]
        out = []
        if "department" not in roles:
            out.append(_header_problem(path, raw, line, "", "E201", "CSV 表头缺少部门列（department 或 部门）。",
                                       "the CSV header lacks a department column",
                                       "第一行是表头：department（部门）、可选的 policy、year、short_name，然后每个事实一列。"))
        seen = {}
        for h, role in zip(header, roles):
            if not h:
                continue
            if h in seen:
                out.append(_header_problem(path, raw, line, h, "E104", f"表头中“{h}”出现了两次。", f"column '{h}' appears twice"))
            seen[h] = True
            if role is None and self.policy is not None:
                names = fact_names(self.policy.policy)
                if _norm(h) not in names:
                    out.append(_header_problem(
                        path, raw, line, h, "E403", f"评分办法 {self.policy.policy.id} 没有事实“{h}”（按键名或名称都找不到）。",
                        f"policy {self.policy.policy.id} has no fact '{h}'",
                        did_you_mean(h, list(self.policy.policy.facts)) or "列名应为事实的键名或名称（label）。"))
        return out

    def _read_items(self, path: Path) -> None:
        problems = []
        with _csv_reader(path) as (header, raw, line, rows):
            roles = [_ITEM_ROLES.get(_norm(h).lower()) for h in header]
            if "department" not in roles:
                raise InputError([_header_problem(path, raw, line, "", "E201", "--items 表头缺少部门列（department 或 部门）。",
                                                  "the --items header lacks a department column",
                                                  "表头：department（部门）、list（列表事实，只有一个列表事实时可省略），然后每个记录字段一列。")])
            if self.policy is not None:
                known = {}
                for decl in self.policy.policy.facts.values():
                    if decl.type == "list":
                        known.update(field_names(decl.fields))
                for h, role in zip(header, roles):
                    if h and role is None and _norm(h) not in known:
                        problems.append(_header_problem(path, raw, line, h, "E403", f"列表事实的记录没有字段“{h}”。",
                                                        f"no record field '{h}'", did_you_mean(h, list(known)) or ""))
            for n, cells in rows:
                dept = lst = ""
                rec = []
                for h, role, cell in zip(header, roles, cells):
                    value = cell.strip()
                    if role == "department":
                        dept = _norm(value)
                    elif role == "list":
                        lst = value
                    elif value:
                        rec.append((h, value))
                where = f"{path}:{n}"
                if not dept:
                    problems.append(Problem("E201", "这一行没有填部门。", "the row has no department", where))
                    continue
                self.items.setdefault(dept, []).append((where, lst, tuple(rec)))
                self.items_first.setdefault(dept, where)
        if problems:
            raise InputError(problems)

    # -- lazily, in order --

    def tasks(self) -> Iterator[Task]:
        for p, kind in zip(self.paths, self.kinds):
            if kind == "dir":
                for f in _walk(p):
                    yield Task("file", f)
            elif kind == "jsonl":
                yield from self._jsonl(p)
            elif kind == "csv":
                yield from self._csv(p)
            else:
                yield Task("file", str(p))

    def _jsonl(self, path: Path) -> Iterator[Task]:
        try:
            f = open(path, "rb")
        except OSError as exc:
            raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
        with f:
            n = 0
            while True:
                try:
                    raw = f.readline()
                except OSError as exc:
                    raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])
                if not raw:
                    return
                n += 1
                if not raw.strip():
                    continue
                source = f"{path}:{n}"
                if len(raw) > MAX_FILE_BYTES:
                    yield Task("bad", source, (Problem("E105", f"这一行有 {len(raw):,} 字节，超过上限 {MAX_FILE_BYTES:,} 字节。",
                                                       f"the line has {len(raw):,} bytes", source),))
                    continue
                try:
                    text = decode(raw, source)
                except InputError as exc:
                    yield Task("bad", source, tuple(exc.problems))
                    continue
                yield Task("json", source, text.strip())

    def _csv(self, path: Path) -> Iterator[Task]:
        with _csv_reader(path) as (header, raw, line, rows):
            header = tuple(header)
            dept_col = [_ROLES.get(_norm(h).lower()) for h in header].index("department")
            for n, cells in rows:
                dept = _norm(cells[dept_col]) if dept_col < len(cells) else ""
                items = ()
                if dept and dept in self.items:
                    items = tuple(self.items[dept])
                    self.items_used.add(dept)
                yield Task("row", f"{path}:{n}", (header, cells, items))

    def unused_items(self) -> list[tuple[str, str]]:
        return [(self.items_first[d], d) for d in self.items if d not in self.items_used]

    def estimate(self) -> int | None:
        """How many departments, roughly (only for the progress bar)."""
        total = 0
        try:
            for p, kind in zip(self.paths, self.kinds):
                if kind == "dir":
                    total += sum(1 for _ in _walk(p))
                elif kind in ("jsonl", "csv"):
                    with open(p, "rb") as f:
                        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
                    total += max(lines - (1 if kind == "csv" else 0), 0)
                else:
                    total += 1
        except OSError:
            return None
        return total


def _walk(folder: Path) -> Iterator[str]:
    """Fact files under a folder, in a stable order, lazily."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".cases"))
        for name in sorted(files):
            low = name.lower()
            if name.startswith(".") or not low.endswith((".yaml", ".yml")) or low.endswith((".cases.yaml", ".cases.yml")):
                continue
            yield os.path.join(root, name)


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- writers -------------------------------------------------------------------------------

class _Writer:
    """One row per department evaluated; the header comes from the first one's policy."""

    def __init__(self, lang: str):
        self.lang = lang
        self.tops: list[tuple[str, str]] | None = None
        self.policy = ""
        self.other_policies: set[str] = set()
        self.rows = 0

    def header(self) -> list[str]:
        if self.lang == "zh":
            base = ["来源", "部门", "评分办法", "得分", "等级"]
            return base + [f"{i} {n}扣分" for i, n in self.tops or ()] + ["扣分原因"]
        base = ["source", "department", "policy", "score", "grade"]
        return base + [f"{i} {n} (lost)" for i, n in self.tops or ()] + ["deduction reasons"]

    def cells(self, o: Outcome) -> list:
        if self.tops is None:
            self.tops = [(i, n) for i, n, _ in o.tops]
            self.policy = o.policy
            self._begin()
        elif o.policy != self.policy:
            self.other_policies.add(o.policy)
        lost = {i: x for i, _, x in o.tops}
        return [o.source, o.department, o.policy, o.score, o.grade] + [lost.get(i, "") for i, _ in self.tops] + [o.reasons]

    def write(self, o: Outcome) -> None:
        raise NotImplementedError

    def _begin(self) -> None:
        pass

    def close(self) -> None:
        if self.tops is None:
            self._begin()

    def abort(self) -> None:
        """The batch failed: release the file (the caller removes it)."""
        f = getattr(self, "f", None)
        if f is not None and f is not sys.stdout and not f.closed:
            f.close()


class _JsonlWriter(_Writer):
    def __init__(self, path: Path | None, lang: str):
        super().__init__(lang)
        self.f = open(path, "w", encoding="utf-8", newline="\n") if path is not None else sys.stdout
        self.own = path is not None

    def write(self, o: Outcome) -> None:
        self.f.write(o.json + "\n")     # each row names its own policy and indicators
        self.rows += 1

    def close(self) -> None:
        if self.own:
            self.f.close()
        else:
            self.f.flush()


class _CsvWriter(_Writer):
    """UTF-8 with a BOM, so that Excel and WPS open the Chinese text correctly."""

    def __init__(self, path: Path, lang: str):
        super().__init__(lang)
        self.f = open(path, "w", encoding="utf-8-sig", newline="")
        self.w = csv.writer(self.f)

    def _begin(self) -> None:
        self.w.writerow(self.header())

    def write(self, o: Outcome) -> None:
        self.w.writerow([_inert(c) for c in self.cells(o)])
        self.rows += 1

    def close(self) -> None:
        super().close()
        self.f.close()


def _inert(cell):
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


class _XlsxWriter(_Writer):
    """openpyxl in write-only mode: rows are streamed to disk, not held in memory."""

    def __init__(self, path: Path, lang: str):
        super().__init__(lang)
        from openpyxl import Workbook
        self.path = path
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("评分结果" if lang == "zh" else "Results")

    def _begin(self) -> None:
        from openpyxl.utils import get_column_letter
        header = self.header()
        widths = [40, 36, 22, 9, 8] + [14] * len(self.tops or ()) + [100]
        for n, w in enumerate(widths[:len(header)], 1):
            self.ws.column_dimensions[get_column_letter(n)].width = w
        self.ws.freeze_panes = "C2"
        self.ws.append(header)

    def write(self, o: Outcome) -> None:
        from openpyxl.cell import WriteOnlyCell
        row = self.cells(o)
        numbers = {3, *range(5, 5 + len(self.tops))}   # the score and the points lost per indicator
        out = []
        for n, value in enumerate(row):
            if n in numbers and value != "":
                cell = WriteOnlyCell(self.ws, value=Decimal(value))
                cell.number_format = "0.00"
            else:
                cell = WriteOnlyCell(self.ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"     # text stays text: a name starting with "=" is no formula
            out.append(cell)
        self.ws.append(out)
        self.rows += 1

    def close(self) -> None:
        super().close()
        self.wb.save(self.path)

    def abort(self) -> None:
        try:     # finish and remove openpyxl's own temporary sheet file
            if getattr(self.ws, "_writer", None) is not None:
                self.ws.close()
                self.ws._writer.cleanup()
        except Exception:  # noqa: BLE001 — openpyxl also removes it at exit
            pass


def _writer_for(fmt: str, path: Path | None, lang: str) -> _Writer:
    if fmt == ".csv":
        return _CsvWriter(path, lang)
    if fmt == ".xlsx":
        return _XlsxWriter(path, lang)
    return _JsonlWriter(path, lang)


def output_format(output: Path | None) -> str:
    if output is None:
        return ".jsonl"
    suffix = Path(output).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputError([Problem("E602", f"不支持的输出格式“{suffix or Path(output).name}”：--output 应以 .csv、.jsonl 或 .xlsx 结尾。",
                                  f"unsupported output '{suffix}': use .csv, .jsonl or .xlsx", str(output))])
    if suffix == ".xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise InputError([Problem("E602", "写 .xlsx 需要 openpyxl：pip install 'perfrules[xlsx]'。",
                                      "writing .xlsx needs openpyxl: pip install 'perfrules[xlsx]'", str(output))])
    return suffix


# ---- the summary ---------------------------------------------------------------------------

class Summary:
    """Counts, the score distribution, the common deductions and the failures: bounded memory
    (scores are counted by value: two decimals under the full score)."""

    def __init__(self, lang: str = "zh", verbose: bool = False):
        self.lang, self.verbose = lang, verbose
        self.evaluated = self.failed = 0
        self.scores: Counter = Counter()
        self.grades: Counter = Counter()
        self.grade_order: list[str] = []
        self.deductions: dict[str, list] = {}     # id -> [name, departments, total points]
        self.failures: list[Outcome] = []
        self.warnings: list[str] = []
        self.started = time.monotonic()
        self.elapsed = 0.0

    @property
    def total(self) -> int:
        return self.evaluated + self.failed

    def add(self, o: Outcome) -> None:
        if not o.ok:
            self.failed += 1
            self.failures.append(Outcome(o.source, o.department, problems=o.problems, internal=o.internal))
            return
        self.evaluated += 1
        self.scores[Decimal(o.score)] += 1
        self.grades[o.grade] += 1
        for g in o.grades:
            if g not in self.grade_order:
                self.grade_order.append(g)
        for i, name, points in o.deductions:
            entry = self.deductions.setdefault(i, [name, 0, Decimal(0)])
            entry[1] += 1
            entry[2] += Decimal(points)

    def stats(self) -> dict:
        """min, median, mean, max of the scores (Decimal, two places), or {} if none."""
        n = self.evaluated
        if not n:
            return {}
        values = sorted(self.scores)
        def nth(k):   # the k-th smallest score, 0-based
            for v in values:
                k -= self.scores[v]
                if k < 0:
                    return v
        median = nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2
        mean = sum((v * c for v, c in self.scores.items()), Decimal(0)) / n
        return {"min": values[0], "median": expr.round2(median), "mean": expr.round2(mean), "max": values[-1]}

    def render(self, jobs: int = 1, output: str | None = None, rows: int = 0) -> str:
        zh = self.lang == "zh"
        n, secs = self.total, max(self.elapsed, 1e-9)
        rate = n / secs
        out = []
        if zh:
            out.append(f"批量评分：共 {n:,} 个部门，评分 {self.evaluated:,} 个，失败 {self.failed:,} 个"
                       f"（用时 {secs:.1f} 秒，每秒 {rate:,.0f} 个，{jobs} 个进程）。")
        else:
            out.append(f"Batch: {n:,} departments, {self.evaluated:,} evaluated, {self.failed:,} failed "
                       f"({secs:.1f} s, {rate:,.0f}/s, {jobs} process{'es' if jobs > 1 else ''}).")
        s = self.stats()
        if s:
            f = lambda x: format(x, "f")  # noqa: E731
            out.append(f"得分：最低 {f(s['min'])}，中位数 {f(s['median'])}，平均 {f(s['mean'])}，最高 {f(s['max'])}" if zh else
                       f"Scores: min {f(s['min'])}, median {f(s['median'])}, mean {f(s['mean'])}, max {f(s['max'])}")
            order = self.grade_order + [g for g in self.grades if g not in self.grade_order]
            sep = "，" if zh else ", "
            out.append(("等级：" if zh else "Grades: ") + sep.join(f"{g} {self.grades[g]:,}" for g in order))
        if self.deductions:
            top = sorted(self.deductions.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[0]))[:10]
            out.append("最常见的扣分（指标：部门数，扣分合计）：" if zh else "Most common deductions (indicator: departments, points in all):")
            for i, (name, count, points) in top:
                out.append(f"  {i} {name}：{count:,} 个部门，合计 {format(points, 'f')} 分" if zh else
                           f"  {i} {name}: {count:,} departments, {format(points, 'f')} points")
        elif self.evaluated:
            out.append("没有任何扣分。" if zh else "No deductions at all.")
        if self.failures:
            out.append(f"未能评分的部门（{self.failed:,} 个）：" if zh else f"Departments that could not be evaluated ({self.failed:,}):")
            for o in self.failures:
                out.append(self._failure(o))
        for w in self.warnings:
            out.append(w)
        if output is not None:
            out.append(f"结果已写入 {output}（{rows:,} 行）。" if zh else f"Results written to {output} ({rows:,} rows).")
        return "\n".join(out) + "\n"

    def _failure(self, o: Outcome) -> str:
        zh = self.lang == "zh"
        who = f"（{o.department}）" if o.department and zh else f" ({o.department})" if o.department else ""
        if not o.problems:
            what = (f"内部错误（不是输入的问题）：{o.internal}" if zh else f"internal error (not your input): {o.internal}")
            return f"  {o.source}{who}: {what}"
        if self.verbose:
            text = render_all(list(o.problems), self.lang, verbose=True)
            return "\n".join("  " + line for line in (f"{o.source}{who}:\n" + text).splitlines())
        p = o.problems[0]
        where = p.file or o.source
        if p.line:
            where += f":{p.line}:{p.col}"
        at = f"（{p.path}）" if zh else f" (at {p.path})"
        more = len(o.problems) - 1
        extra = (f" 另有 {more} 个错误，使用 --verbose 查看。" if zh else f" +{more} more; use --verbose.") if more else ""
        return f"  {where}{who}: [{p.code}] {p.text(self.lang)}{at if p.path != '$' else ''}{extra}"


# ---- progress ------------------------------------------------------------------------------

class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and only once the batch has
    taken more than PROGRESS_AFTER seconds (short batches stay quiet)."""

    def __init__(self, enabled: bool | None, inputs: _Inputs, lang: str, stream):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.inputs, self.lang = inputs, lang
        self.started = time.monotonic()
        self.bar = None
        self.done = 0

    def tick(self) -> None:
        self.done += 1
        if self.bar is None:
            if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER:
                return
            self._start()
        self.bar.update(self.task, completed=self.done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)
        total = self.inputs.estimate()
        if total is not None and total < self.done:
            total = None
        console = Console(file=self.stream, force_terminal=True if self.enabled else None)
        self.bar = Progress(TextColumn("评分中" if self.lang == "zh" else "evaluating"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("batch", total=total, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# ---- running a batch -----------------------------------------------------------------------

@contextmanager
def _sigterm_exits():
    """SIGTERM ends the batch like Ctrl-C does, so the temporary output is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)
    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _drive(inputs: _Inputs, jobs: int, init_args: tuple, handle) -> None:
    """Evaluate every task and hand each Outcome to `handle`, in input order."""
    chunks = _chunks(inputs.tasks(), CHUNK)
    if jobs <= 1:
        _init_worker(*init_args, False)
        for chunk in chunks:
            for o in _run_chunk(chunk):
                handle(o)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    # forkserver, not fork: the parent may hold rich's refresh thread. The server process
    # imports the engine once, so each worker starts as a cheap fork of it instead of a new
    # interpreter importing everything again (spawn); it never holds durable's C state.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["perfrules.batch", "perfrules.pipeline", "perfrules.report.json"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=init_args + (True,)) as pool:
        pending: deque = deque()
        try:
            for chunk in chunks:
                pending.append(pool.submit(_run_chunk, chunk))
                while pending and (len(pending) >= jobs * INFLIGHT_PER_JOB or pending[0].done()):
                    for o in pending.popleft().result():
                        handle(o)
            while pending:
                for o in pending.popleft().result():
                    handle(o)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def run_batch(inputs: list[Path], policy: str | None = None, jobs: int = 1, output: Path | None = None,
              items: Path | None = None, lang: str = "zh", verbose: bool = False, progress: bool | None = None,
              stderr=None) -> int:
    """Evaluate every department; write the rows; print the summary. Returns the exit code
    (0 all evaluated, 1 some failed); raises InputError when the inputs cannot be read."""
    from .output import atomic_path
    from .pipeline import compiled_policy, resolve_policy
    err = stderr if stderr is not None else sys.stderr
    fmt = output_format(output)
    compiled = compiled_policy(resolve_policy(policy)) if policy is not None else None
    plan = _Inputs(inputs, items, compiled)
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    summary = Summary(lang, verbose)
    bar = _Progress(progress, plan, lang, err)
    init_args = (policy, lang, fmt == ".jsonl")

    def run(writer: _Writer) -> None:
        def handle(o: Outcome) -> None:
            summary.add(o)
            if o.ok:
                writer.write(o)
            bar.tick()
        try:
            _drive(plan, jobs, init_args, handle)
        finally:
            bar.close()
        if summary.total == 0:
            raise InputError([Problem("E602", "没有找到任何部门的事实（文件夹中没有 .yaml 文件，或文件是空的）。",
                                      "no departments found in the inputs", ", ".join(str(p) for p in inputs))])
        writer.close()

    with _sigterm_exits():
        if output is None:
            writer = _writer_for(fmt, None, lang)
            run(writer)
        else:
            try:
                with atomic_path(output) as tmp:
                    writer = _writer_for(fmt, tmp, lang)
                    try:
                        run(writer)
                    except BaseException:
                        writer.abort()
                        raise
            except OSError as exc:
                raise InputError([Problem("E601", f"无法写入输出文件：{exc.strerror or exc}",
                                          f"cannot write: {exc.strerror or exc}", str(output))])
    summary.elapsed = time.monotonic() - summary.started
    for where, dept in plan.unused_items():
        summary.warnings.append(
            f"  {where}: --items 中部门“{dept}”的记录没有用上：输入中没有这个部门（检查名称是否一致）。" if lang == "zh" else
            f"  {where}: --items rows for '{dept}' were not used: no such department in the inputs")
    if summary.warnings:
        summary.warnings.insert(0, "未用上的 --items 记录：" if lang == "zh" else "Unused --items rows:")
    if writer.other_policies:
        summary.warnings.append(
            f"注意：有部门使用了 {', '.join(sorted(writer.other_policies))}，与第一行的 {writer.policy} 不同；"
            "各一级指标扣分列按指标编号对应。" if lang == "zh" else
            f"Note: some departments used {', '.join(sorted(writer.other_policies))}, not {writer.policy}; "
            "the per-indicator columns are matched by indicator id.")
    err.write(summary.render(jobs, str(output) if output is not None else None, writer.rows))
    err.flush()
    return 1 if summary.failed or plan.unused_items() else 0
