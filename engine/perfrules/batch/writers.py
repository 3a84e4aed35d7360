"""Output writers: one row per department evaluated, as CSV or JSON Lines; .xlsx is the
reviewer's workbook (batch.workbook), built on the same Writer.

The CSV header (one column per 一级 indicator) comes from the first department's
policy; a department under another policy is matched by indicator id. A JSON Lines row is
serialised by `jsonl_line`, here, from report.json.to_dict; the worker calls it (the format is
still this module's business) and sends back the bytes the file holds, because pickling the
row's nested dict, unpickling it and serialising it again in the one parent cost that parent
about 150 µs a row, a fifth of a worker's time: with --jobs 2 on two cores the parent was the
bottleneck. Bytes, not text: a 9 KB row as text was decoded in the worker, encoded and decoded
again by pickle and encoded once more on writing, ~50 µs a row (measured), half of it in the
parent; as bytes it crosses in ~2 µs and is written as it is. Spreadsheet text never becomes a formula
(CSV/formula injection). The last three columns say what a 认定 changed: how many, the score
the rules alone give, and each 认定 with its reason.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from ..problems import InputError, Problem
from .plan import Outcome

OUTPUT_SUFFIXES = (".csv", ".jsonl", ".xlsx")


class Writer:
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
            return base + [f"{i} {n}扣分" for i, n in self.tops or ()] + ["扣分原因", "认定项数", "按评分规则得分", "认定"]
        base = ["source", "department", "policy", "score", "grade"]
        return base + [f"{i} {n} (lost)" for i, n in self.tops or ()] + ["deduction reasons", "overrides",
                                                                         "score by the rules", "override reasons"]

    def cells(self, o: Outcome) -> list:
        if self.tops is None:
            self.tops = [(i, n) for i, n, _ in o.tops]
            self.policy = o.policy
            self._begin()
        elif o.policy != self.policy:
            self.other_policies.add(o.policy)
        lost = {i: x for i, _, x in o.tops}
        return ([o.source, o.department, o.policy, o.score, o.grade] + [lost.get(i, "") for i, _ in self.tops]
                + [o.reasons] + self.judged(o))

    def judged(self, o: Outcome) -> list:
        """The 认定 columns: how many, the score the rules alone give (its own score when none), and each 认定."""
        sep = "；" if self.lang == "zh" else "; "
        return [len(o.overrides), o.rules_score or o.score, sep.join(f"{i} {text}" for i, _, text in o.overrides)]

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


ROW = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))   # json.dumps' own, made once


def jsonl_line(source: str, row: dict) -> bytes:
    """One JSON Lines row as the file holds it (UTF-8): each names its own policy and indicators;
    "source" first, as documented. Text UTF-8 cannot hold (a lone surrogate from a file name)
    is written as its JSON escape (\\udcxx), the same string to any JSON reader. batch.rows
    writes the same bytes from fragments."""
    return utf8(ROW.encode({"source": source, **row})) + b"\n"


def utf8(text: str) -> bytes:
    """JSON text as UTF-8; a lone surrogate, which UTF-8 cannot hold, becomes its JSON escape."""
    return text.encode("utf-8", "backslashreplace")


class JsonlWriter(Writer):
    def __init__(self, path: Path | None, lang: str):
        super().__init__(lang)
        self.own = path is not None
        if path is None:
            sys.stdout.flush()          # anything printed before stays before the rows
        self.f = open(path, "wb") if path is not None else sys.stdout.buffer

    def write(self, o: Outcome) -> None:
        assert o.line, o.source      # a JSON Lines batch has its workers send every row
        self.f.write(o.line)
        self.rows += 1

    def close(self) -> None:
        if self.own:
            self.f.close()
        else:
            self.f.flush()

    def abort(self) -> None:
        if self.own and not self.f.closed:
            self.f.close()


class CsvWriter(Writer):
    """UTF-8 with a BOM, so that Excel and WPS open the Chinese text correctly. Text that UTF-8
    cannot hold (a lone surrogate from a file name) is written escaped, never a crash (both
    writers): the readers already refuse such text in the departments themselves."""

    def __init__(self, path: Path, lang: str):
        super().__init__(lang)
        self.f = open(path, "w", encoding="utf-8-sig", errors="backslashreplace", newline="")
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


def output_format(output: Path | None) -> str:
    if output is None:
        return ".jsonl"
    suffix = Path(output).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputError([Problem("E602", f"不支持的输出格式“{suffix or Path(output).name}”：--output 应以 .csv、.jsonl 或 .xlsx 结尾。",
                                  f"unsupported output '{suffix}': use .csv, .jsonl or .xlsx", str(output))])
    return suffix
