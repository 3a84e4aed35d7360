"""The `perfrules policies` listing: each shipped policy's id, title, year, version and how many
of its indicators are provisional (filled in from other frameworks), as text or JSON.

A shipped policy that does not load is listed with its first problem instead of stopping
the listing: the listing is how staff find out which policies there are.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .present import dump_json, dump_lines, title

if TYPE_CHECKING:
    from ..checks import ShippedPolicy


def _row(entry: ShippedPolicy, lang: str) -> dict:
    p = entry.policy
    if p is None:
        assert entry.problem is not None      # a policy that does not load has its problem
        return {"id": entry.id, "error": entry.problem.text(lang)}
    leaves = p.leaves()
    return {"id": p.id, "title": title(p, lang), "year": p.year, "version": p.version, "indicators": len(leaves),
            "provisional": sum(1 for x in leaves if x.confidence == "provisional"), "file": str(entry.file)}


def _line(r: dict, lang: str) -> str:
    if "error" in r:
        return f"{r['id']}  ！{r['error']}" if lang == "zh" else f"{r['id']}  ! {r['error']}"
    if lang == "zh":
        return (f"{r['id']}  {r['title']}（{r['year']} 年度，版本 {r['version']}，{r['indicators']} 个指标，"
                f"其中暂定 {r['provisional']} 个）")
    return (f"{r['id']}  {r['title']} ({r['year']}, version {r['version']}, {r['indicators']} indicators, "
            f"{r['provisional']} provisional)")


def write_text(entries: list[ShippedPolicy], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_lines(stream, [_line(_row(e, lang), lang) for e in entries])


def write_json(entries: list[ShippedPolicy], stream: BinaryIO, lang: str = "zh", *, verbose: bool = False) -> None:
    dump_json(stream, [_row(e, lang) for e in entries])
