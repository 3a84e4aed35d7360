"""Reporters: everything perfrules prints, by report and format name.

A reporter is `write(data, stream, lang, *, verbose=False)`: it writes the whole report as
bytes to a binary stream. Bytes, not str, so that formats that are not text (docx, xlsx) can
join the table beside text, JSON and Markdown, and so that the CLI can send any report to
stdout or atomically to --output without knowing what is inside.

    report      data                              formats
    result      list[score.Result]                text, json, markdown, docx, html
    problems    list[problems.Problem]            text, json
    validate    list[checks.FileCheck]            text, json
    policies    list[checks.ShippedPolicy]        text, json
    audit       list[audit.Audited]               text, json
    cases       cases.Suite                       text, json

Reporters depend on these data objects only, never on one another; what they share is in
present.py (and paper.py: the parts of the docx and HTML 自评报告). The table names modules
instead of importing them: `perfrules validate` does not load the Markdown reporter (start-up
time is a target, issue 4).
"""
from __future__ import annotations

import io
from importlib import import_module
from typing import Any, BinaryIO, Protocol


class Reporter(Protocol):
    def __call__(self, data: Any, stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None: ...


# report -> format -> "module:function" under perfrules.report
REPORTERS: dict[str, dict[str, str]] = {
    "result": {"text": "text:write", "json": "json:write", "markdown": "markdown:write",
               "docx": "word:write", "html": "web:write"},
    "problems": {"text": "problems:write_text", "json": "problems:write_json"},
    "validate": {"text": "validate:write_text", "json": "validate:write_json"},
    "policies": {"text": "policies:write_text", "json": "policies:write_json"},
    "audit": {"text": "audit:write_text", "json": "audit:write_json"},
    "cases": {"text": "cases:write_text", "json": "cases:write_json"},
}


def reporter(report: str, fmt: str) -> Reporter:
    """The reporter for `report` in format `fmt`; text when the report has no such format
    (`perfrules validate -f markdown` prints the text lines, as it always has)."""
    formats = REPORTERS[report]
    module, function = formats.get(fmt, formats["text"]).split(":")
    return getattr(import_module(f"{__name__}.{module}"), function)


def to_bytes(report: str, fmt: str, data: Any, lang: str = "zh", *, verbose: bool = False) -> bytes:
    """The whole report in memory: written out at once, so a failure never leaves half of it."""
    buffer = io.BytesIO()
    reporter(report, fmt)(data, buffer, lang, verbose=verbose)
    return buffer.getvalue()
