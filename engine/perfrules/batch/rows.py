"""A batch's JSON Lines row, written from fragments: the same bytes as
writers.jsonl_line(source, report.json.to_dict(result, lang)), in about a third of the time.

to_dict stays the one definition of the row's shape; tests/test_batch_rows.py checks that both
give the same bytes. What is cheaper here: a leaf nothing fired on (most leaves of most rows)
is written from its policy's text, encoded once per policy, leaf and language, plus its facts;
each fact's facts_read entry is encoded once per row, however many leaves read it, and a
full-marks leaf's whole text is remembered by its facts' values and spellings; the full
indicator tree is never built. A leaf that was scored is written from its policy's text (id,
name, points; method, confidence, basis) and its own (score, reasons, facts), its facts made
into JSON data once for the node and its deduction (report.json.used_data). JSON text of an
object is its fields' texts joined, so these pieces join to exactly json.dumps' text.
"""
from __future__ import annotations

from decimal import Decimal
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import orjson

from ..model import Group, Indicator, Leaf
from ..report import inputs
from ..report.json import identity, leaf_fields, parts, to_dict, used_data
from ..report.present import money, plain
from .writers import ROW, jsonl_line, utf8

if TYPE_CHECKING:
    from ..model import FactDecl, Policy
    from ..score import IndicatorResult, Result

ZERO = Decimal("0.00")


def jsonl_row(source: str, result: Result, lang: str) -> bytes:
    """writers.jsonl_line(source, to_dict(result, lang)), from fragments."""
    if result.overridden:       # rare: the general path, not a second copy of the 认定 fields
        return jsonl_line(source, to_dict(result, lang))
    memo: dict = {}         # report.json.used_data: each scored leaf's facts as JSON data, made once
    head, tail = parts(result, lang, memo)
    tree = _Tree(result, lang, memo)
    indicators = b",".join(tree.text(ind)[0] for ind in result.policy.indicators)
    return (dumps({"source": source, **head})[:-1] + b',"indicators":[' + indicators + b"],"
            + dumps(tail)[1:] + b"\n")


def dumps(data: object) -> bytes:
    """json.dumps(data, ensure_ascii=False, separators=(",", ":")) as UTF-8 (writers.utf8), by
    orjson: the same bytes for every value a row holds (text, int, bool, null, lists and maps with text keys; a
    Decimal is text by then, and no reader lets a float into a department's values: inf and nan
    are refused, finite numbers are Decimal) in a fifteenth of the time (measured: a 9 KB row,
    86 -> 6 µs). What orjson refuses (a lone surrogate from a file name, an int past 64 bits, a
    key that is not text) is encoded by json, as before; a lone surrogate then becomes its JSON
    escape, as writers.jsonl_line writes it."""
    try:
        return orjson.dumps(data)
    except TypeError:           # orjson.JSONEncodeError is a TypeError
        return utf8(ROW.encode(data))


class _Tree:
    """One row's indicator nodes as JSON text; remembers each fact's facts_read entry."""

    def __init__(self, result: Result, lang: str, memo: dict):
        self.result, self.lang, self.memo = result, lang, memo
        self.static = _static(result.policy, lang)
        self.read: dict[str, bytes] = {}

    def text(self, ind: Indicator) -> tuple[bytes, Decimal]:
        """The node's JSON text and its score (a group's adds up its children's, as Result does)."""
        result, lang = self.result, self.lang
        if isinstance(ind, Group):
            kids = [self.text(c) for c in ind.children]
            got = sum((score for _, score in kids), ZERO)
            return (self.static.openings[ind.id] + f'"score":"{money(got)}","deduction":"{money(ind.points2 - got)}","children":['.encode()
                    + b",".join(text for text, _ in kids) + b"]}"), got
        assert isinstance(ind, Leaf)
        node = result.scored.get(ind.id)
        if node is not None:
            return self._scored(ind, node), node.score
        dept = result.department
        values, written = dept.values, dept.written
        used = tuple(k for k in ind.facts_used if k in values)     # score.full_marks' facts_used
        keys = _read_keys(result.policy, used)
        # the text is the leaf's and, for each fact it shows, its value and how it was written:
        # most leaves of most rows (a yes/no, a count of 0) have been written before
        memo = self.static.texts
        token = (ind.id, *(t for k, _ in keys for t in (_token(values.get(k, _ABSENT)), _token(written.get(k, _ABSENT)))))
        worth = None not in token
        text = memo.get(token) if worth else None
        if text is None:
            read = b",".join(self._read(key, decl) for key, decl in keys)
            text = (self.static.full_marks[ind.id] + b',"facts_used":' + dumps(plain({k: values[k] for k in used}))
                    + b',"facts_read":[' + read + b"]}")
            if worth:
                if len(memo) >= _TEXTS:       # bounded: a batch's memory stays flat
                    memo.clear()
                memo[token] = text
        return text, ind.points2

    def _scored(self, leaf: Leaf, node: IndicatorResult) -> bytes:
        """to_dict's node of a leaf that was scored, its policy's text written once per policy
        (id, name, points; method, confidence, basis), the rest from this row (no 认定 here:
        a row with one goes through to_dict whole)."""
        result, lang = self.result, self.lang
        used = used_data(node, self.memo)
        given = node.facts_used
        read = [inputs.as_json(i, lang, used[i.key] if i.key in given and i.value is given[i.key] else inputs.AFRESH)
                for i in inputs.leaf_inputs(result, node)]
        tail: dict[str, object] = {"reasons": node.reasons if lang == "zh" else node.reasons_en,
                                   "facts_used": used, "facts_read": read}
        if node.notes:
            tail["notes"] = node.note_texts(lang)
        return (self.static.openings[leaf.id] + f'"score":"{money(node.score)}","deduction":"{money(node.deduction)}",'.encode()
                + self.static.methods[leaf.id] + dumps(tail)[1:])

    def _read(self, key: str, decl: FactDecl) -> bytes:
        """A fact's facts_read entry; for a leaf nothing fired on, its value is the department's."""
        text = self.read.get(key)
        if text is None:
            dept = self.result.department
            inp = inputs.input_of(dept, key, dept.values.get(key), decl)
            text = self.read[key] = dumps(inputs.as_json(inp, self.lang))
        return text


@dataclass(frozen=True)
class _Static:
    """A policy's text that is the same in every row, in one language (UTF-8, as dumps writes)."""
    openings: dict[str, bytes]      # indicator id -> '{"id":…,"name":…,"points":…,' (up to its score)
    full_marks: dict[str, bytes]    # leaf id -> its text up to facts_used when nothing fired (score.full_marks)
    texts: dict[tuple, bytes]       # (leaf id, each shown fact's value and spelling as _token) -> its whole text
    methods: dict[str, bytes]       # leaf id -> '"method":…,"confidence":…,"basis":…,' (leaf_fields up to its reasons)


@lru_cache(maxsize=64)
def _static(policy: Policy, lang: str) -> _Static:
    openings = {i: dumps(identity(ind, lang))[:-1] + b"," for i, ind in policy.indicator_index.items()}
    full_marks = {leaf.id: dumps({**identity(leaf, lang), "score": money(leaf.points2), "deduction": money(ZERO),
                                  **leaf_fields(leaf, [])})[:-1]
                  for leaf in policy.leaves()}
    methods = {leaf.id: dumps({k: v for k, v in leaf_fields(leaf, []).items() if k != "reasons"})[1:-1] + b","
               for leaf in policy.leaves()}
    return _Static(openings, full_marks, {}, methods)


_TEXTS = 4096
_ABSENT = object()       # a fact not read, or one the file did not write (a default, or derived)


def _token(value: object) -> tuple | None:
    """A value as a memo key that tells apart what the row would print apart: its type with it
    (1 == True == Decimal(1)), a Decimal by its exact text (0 == 0.00), a list element by element;
    None for what is not worth a key (records), so that the text is written afresh."""
    kind = type(value)
    if kind is Decimal:
        return (kind, str(value))
    if kind in _SCALARS or value is _ABSENT:
        return (kind, value)
    if kind is list or kind is tuple:
        parts = tuple(_token(v) for v in value)    # type: ignore[attr-defined]
        return None if None in parts else (kind, parts)
    return None


_SCALARS = frozenset((str, bool, int, float, type(None)))


@lru_cache(maxsize=4096)
def _read_keys(policy: Policy, used: tuple[str, ...]) -> tuple[tuple[str, FactDecl], ...]:
    """The facts inputs.leaf_inputs lists for these facts_used, in its order, each once."""
    seen: dict[str, FactDecl] = {}
    for first in used:
        for key, _, decl in inputs.sources(policy, first):
            seen.setdefault(key, decl)
    return tuple(seen.items())
