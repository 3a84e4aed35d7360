"""CSV fact documents (*.csv): one department a row, as reviewers keep them in a spreadsheet.

A `department` (部门) column, optional `policy` (评分办法), `year` (年度), `short_name` (简称)
and `code` (部门编码) columns, an optional `claimed` (自报得分) column with the score the
department claimed (audited as a total), then one column per top-level fact, named by the
fact's key or its label. List facts come from a second CSV, the --items file (Items), one record a row.
Shaped by what a spreadsheet can and cannot say:
- a column may name a fact by its label, which only the policy knows: a row is read into a
  RowDocument whose cells are named (name_facts) once its policy is known, in the worker;
- problems are located at NAME.csv:LINE, or at ITEMS.csv:LINE for a record from --items;
- the header is checked up front (check): a bad header fails the whole batch (exit 2),
  before any row is evaluated;
- Excel and WPS save UTF-8 (with or without BOM) or GBK/GB18030: the encoding is decided from
  the whole file before any row is read (a mixed file is one located E102, up front);
- one row that cannot be read (a cell over csv.field_size_limit) is a failed row of its own.
"""
from __future__ import annotations

import csv
import re
from decimal import Decimal
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Mapping, cast

from ..encoding import file_encoding
from ..load import Document
from ..model import FactDecl, Policy
from ..problems import InputError, Problem, did_you_mean
from . import jsonl
from .task import Task

KIND = "row"

# Columns with a fixed meaning in a department CSV / an items CSV (compared after NFKC,
# stripped, lower-cased). Every other column names a fact (or a record field).
_ROLES = {
    "department": "department", "部门": "department", "部门名称": "department", "单位": "department",
    "单位名称": "department",
    "policy": "policy", "评分办法": "policy",
    "year": "year", "年度": "year",
    "short_name": "short_name", "简称": "short_name", "部门简称": "short_name",
    "code": "code", "部门编码": "code", "单位编码": "code",
    "claimed": "claimed", "自报得分": "claimed", "自评得分": "claimed",     # a claim of a total, for audit
}
_ITEM_ROLES = {"department": "department", "部门": "department", "部门名称": "department", "单位": "department",
               "单位名称": "department", "list": "list", "列表": "list", "事实": "list", "list_key": "list"}
_TEXTS_SPLIT = re.compile(r"[；;|\n]")

# An --items record: (ITEMS.csv:LINE, list name, ((column, text), …)).
ItemRecord = tuple[str, str, tuple[tuple[str, str], ...], tuple[str, ...]]   # + where each cell is (a workbook; CSV: ())
# A row task's payload: (the header, the row's cells, its department's --items records, and
# where each cell is when a row has cells of its own: 工作表!C7 in a district workbook, else ()).
RowPayload = tuple[tuple[str, ...], list[str], tuple[ItemRecord, ...], tuple[str, ...]]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


_ENCODINGS: dict[tuple[str, int, int], str] = {}    # (path, size, mtime): check, tasks and --items read a file thrice


def _csv_encoding(path: Path) -> str:
    """The whole file's encoding (encoding.file_encoding), decided once per file version."""
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in _ENCODINGS:
            _ENCODINGS[key] = file_encoding(path)
        return _ENCODINGS[key]
    except OSError as exc:
        raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(path))])


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
                    if "field larger than field limit" not in str(exc):
                        raise InputError([Problem("E106", f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", str(path), reader.line_num)])
                    start, last = last + 1, reader.line_num     # the reader goes on at the next line
                    yield start, _oversized(f"{path}:{start}")
                    continue
                start, last = last + 1, reader.line_num
                if any(c.strip() for c in cells):
                    yield start, cells

        it = rows()
        first = next(it, None)
        if first is None:
            raise InputError([Problem("E106", "CSV 文件是空的（没有表头）。", "the CSV file is empty", str(path))])
        line, header = first
        if isinstance(header, Problem):
            raise InputError([header])
        try:
            with open(path, encoding=encoding, newline="") as g:
                raw = g.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raw = ""
        yield [h.strip() for h in header], raw, line, it


def _oversized(where: str) -> Problem:
    """A row with a cell over the csv module's limit: that row fails, the others are read."""
    limit = csv.field_size_limit()
    return Problem("E105", f"这一行有一格超过 {limit:,} 个字符，无法读取。", f"a cell of this row is over {limit:,} characters", where,
                   hint="检查这一行是否有未配对的引号，或粘贴了过长的内容。", hint_en="Check the row for an unpaired quote or pasted text.")


def _header_problem(path: Path, raw: str, line: int, column: str, code, zh, en, hint="", hint_en="") -> Problem:
    col = raw.find(column) + 1 if column and column in raw else 1
    return Problem(code, zh, en, str(path), line, col, "$", hint, hint_en, raw)


def check(path: Path, policy: Policy | None = None) -> list[Problem]:
    """The problems of a CSV file's header (or of reading it), checked against the --policy
    (policy) when one is given."""
    try:
        with _csv_reader(path) as (header, raw, line, _):
            return _header_problems(path, header, raw, line, policy)
    except InputError as exc:
        return list(exc.problems)


def _header_problems(path: Path, header: list[str], raw: str, line: int, policy: Policy | None) -> list[Problem]:
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
        if role is None and policy is not None:
            names = fact_names(policy)
            if _norm(h) not in names:
                out.append(_header_problem(
                    path, raw, line, h, "E403", f"评分办法 {policy.id} 没有事实“{h}”（按键名或名称都找不到）。",
                    f"policy {policy.id} has no fact '{h}'",
                    did_you_mean(h, list(policy.facts)) or "列名应为事实的键名或名称（label）。"))
    return out


class Items:
    """The --items file, indexed by department up front (the one input not read lazily): each
    department's row takes its records; the ones no row took are reported at the end."""

    def __init__(self):
        self.rows: dict[str, list[ItemRecord]] = {}   # department -> [(ITEMS.csv:LINE, list name, cells)]
        self.first: dict[str, str] = {}       # department -> its first record's ITEMS.csv:LINE
        self.used: set[str] = set()

    def take(self, department: str) -> tuple[ItemRecord, ...]:
        records = self.rows.get(department)
        if records is None:
            return ()
        self.used.add(department)
        return tuple(records)

    def unused(self) -> list[tuple[str, str]]:
        return [(self.first[d], d) for d in self.rows if d not in self.used]

    def read(self, path: Path, policy: Policy | None = None) -> None:
        """Index the file's records by department; its problems are raised together."""
        problems = []
        with _csv_reader(path) as (header, raw, line, rows):
            roles = [_ITEM_ROLES.get(_norm(h).lower()) for h in header]
            if "department" not in roles:
                raise InputError([_header_problem(path, raw, line, "", "E201", "--items 表头缺少部门列（department 或 部门）。",
                                                  "the --items header lacks a department column",
                                                  "表头：department（部门）、list（列表事实，只有一个列表事实时可省略），然后每个记录字段一列。")])
            if policy is not None:
                known = {}
                for decl in policy.facts.values():
                    if decl.type == "list":
                        known.update(field_names(decl.fields))
                for h, role in zip(header, roles):
                    if h and role is None and _norm(h) not in known:
                        problems.append(_header_problem(path, raw, line, h, "E403", f"列表事实的记录没有字段“{h}”。",
                                                        f"no record field '{h}'", did_you_mean(h, list(known)) or ""))
            for n, cells in rows:
                if isinstance(cells, Problem):
                    problems.append(cells)
                    continue
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
                self.rows.setdefault(dept, []).append((where, lst, tuple(rec), ()))
                self.first.setdefault(dept, where)
        if problems:
            raise InputError(problems)


def tasks(path: Path, items: Items | None = None) -> Iterator[Task]:
    """One task a row, lazily, with its department's --items records."""
    with _csv_reader(path) as (header, raw, line, rows):
        header = tuple(header)
        dept_col = [_ROLES.get(_norm(h).lower()) for h in header].index("department")
        for n, cells in rows:
            if isinstance(cells, Problem):
                yield Task("bad", f"{path}:{n}", (cells,))
                continue
            dept = _norm(cells[dept_col]) if dept_col < len(cells) else ""
            records = items.take(dept) if dept and items is not None else ()
            yield Task(KIND, f"{path}:{n}", (header, cells, records, ()))


def count(path: Path) -> int:
    """Rows, roughly: lines less the header (for the progress bar's estimate)."""
    return max(jsonl.count(path) - 1, 0)


# ---- a row, read in the worker ------------------------------------------------------------

_NAMES: dict[str, dict[str, str]] = {}          # policy sha -> {normalised key or label: fact key}, per process


_MISSING_HINT = ("在部门 CSV 中加一列，列名是事实的键名或名称；列表事实（如绩效指标）的记录放在 --items 的 CSV 中，每行一条。",
                 "Add a column named by the fact's key or label; a list fact's records go in the --items CSV, one a row.")


@dataclass
class RowDocument(Document):
    """A CSV row as a Document, its facts still named as the columns are until name_facts.
    Problems inside a list record that came from the --items file are located at that file's
    line instead of the department's row."""

    fact_cells: list[tuple[str, str]] = field(default_factory=list)   # (column, text) for each fact cell
    records: tuple[ItemRecord, ...] = ()                              # the department's --items records
    origins: dict[tuple, str] = field(default_factory=dict)           # path prefix -> "ITEMS.csv:LINE"
    columns: dict[str, str] = field(default_factory=dict)             # column -> its cell's location, if it has one

    def problem(self, code, path=(), *args, **kwargs) -> Problem:
        p = Document.problem(self, code, path, *args, **kwargs)
        path = tuple(path)
        if code == "E401" and path == ("facts",):     # a missing fact: where a CSV holds it, not "under facts:"
            p = replace(p, hint=_MISSING_HINT[0], hint_en=_MISSING_HINT[1])
        for n in range(len(path), 0, -1):
            where = self.origins.get(path[:n])
            if where:
                return replace(p, file=where)
        return p


def read(task: Task) -> RowDocument:
    """The row's fixed columns (department, policy, year…) as data; its fact cells kept for
    name_facts."""
    header, cells, records, where = cast(RowPayload, task.payload)   # a row task's payload (tasks above)
    data: dict = {}
    doc = RowDocument(task.source, data, None, records=records, columns=dict(zip(header, where)))
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
        elif role == "claimed":     # a number as the schema wants it; anything else it refuses, located
            data["claimed"] = {"score": _claimed_score(value)}
        elif role:
            data[role] = value
        else:
            doc.fact_cells.append((name, cell.strip()))
    data["facts"] = {}
    return doc


def _claimed_score(text: str) -> object:
    try:
        value = Decimal(text.rstrip("分"))
    except ArithmeticError:
        return text
    return value if value.is_finite() else text


def fact_names(policy: Policy) -> dict[str, str]:
    """Normalised fact key, label or English label -> fact key (keys win over labels)."""
    names = _NAMES.get(policy.sha256)
    if names is None:
        names = _NAMES[policy.sha256] = field_names(policy.facts)
    return names


def field_names(decls: Mapping[str, FactDecl]) -> dict[str, str]:
    """Normalised key, label or English label -> key, for fact declarations (keys win)."""
    names: dict[str, str] = {}
    for key, f in decls.items():
        for label in (f.label_en, f.label):
            if label:
                names.setdefault(_norm(label), key)
    names.update({_norm(k): k for k in decls})
    return names


def name_facts(doc: RowDocument, policy: Policy) -> None:
    """Name each cell by its fact key in `policy`; attach the department's --items records."""
    names = fact_names(policy)
    assert isinstance(doc.data, dict)     # read() made it
    facts: dict[str, object] = doc.data["facts"]
    problems: list[Problem] = []
    for column, value in doc.fact_cells:
        key = names.get(_norm(column), column)   # unknown: read_department reports it with a suggestion
        if key in facts:
            problems.append(doc.problem("E104", ("facts",), f"有两列都对应事实“{key}”（键名和名称各一列）；只保留一列。",
                                        f"two columns give the fact '{key}'"))
            continue
        decl = policy.facts.get(key)
        if column in doc.columns:
            doc.origins[("facts", key)] = doc.columns[column]
        if decl is not None and decl.type == "texts":
            facts[key] = [s.strip() for s in _TEXTS_SPLIT.split(value) if s.strip()]
        else:
            facts[key] = value
    lists = {k: d for k, d in policy.facts.items() if d.type == "list"}
    list_names = {}
    for key, decl in lists.items():
        for label in (decl.label_en, decl.label, key):
            if label:
                list_names[_norm(label)] = key
    for where, list_name, cells, at in doc.records:
        if list_name:
            list_key = list_names.get(_norm(list_name))
        else:
            list_key = next(iter(lists)) if len(lists) == 1 else None
        if list_key is None:
            known = "、".join(lists) or "（无）"
            msg = (f"评分办法 {policy.id} 没有列表事实“{list_name}”。" if list_name else
                   f"评分办法 {policy.id} 有多个列表事实（{known}），请在 list 列写明这一行属于哪一个。")
            problems.append(Problem("E403", msg, f"policy {policy.id} has no list fact '{list_name}'" if list_name
                                    else "several list facts: say which one in the list column",
                                    where, hint=did_you_mean(list_name, lists) if list_name else f"可选：{known}。"))
            continue
        if list_key in facts and not isinstance(facts[list_key], list):
            problems.append(doc.problem("E104", ("facts", list_key),
                                        f"“{list_key}”既有一列，又有 --items 记录；只能用一种方式给出。",
                                        f"'{list_key}' is given both as a column and as --items records"))
            continue
        fields = field_names(lists[list_key].fields)
        records = facts.setdefault(list_key, [])
        assert isinstance(records, list)      # a column's value for it was refused above
        n = len(records)
        doc.origins[("facts", list_key, n)] = where
        doc.origins.update({("facts", list_key, n, fields.get(_norm(c), c)): w for (c, _), w in zip(cells, at)})
        records.append({fields.get(_norm(c), c): v for c, v in cells})
    if problems:
        raise InputError(problems)
