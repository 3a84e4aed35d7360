"""Which format a report is written in, from `-f` and the `-o` name (issue 10 §3).

A name says what it holds: `-o 报告.docx` without `-f` writes Word, `-o r.json` JSON, and so
on (SUFFIXES); a suffix that contradicts `-f` (`-f text -o 报告.docx`) or that no format has
(`-o 报告.pdf`) is refused with E602, naming the suffix or the -f that would fit, rather than
writing text into a file whose name promises something else. A name without a suffix is taken
as it is, in the format asked (text by default). A docx is binary: it goes to a file (or a
pipe), never to a terminal.
"""
from __future__ import annotations

from pathlib import Path

from .problems import InputError, Problem

# format -> the suffixes its files carry (the first is the one a hint names)
SUFFIXES: dict[str, tuple[str, ...]] = {
    "text": (".txt",), "json": (".json",), "markdown": (".md", ".markdown"),
    "docx": (".docx",), "html": (".html", ".htm"),
}
BINARY = frozenset({"docx"})
DOCUMENTS = frozenset({"docx", "html"})     # the 自评报告 as a document: evaluate's only


def report_format(fmt: str | None, output: Path | None, formats: tuple[str, ...], to_terminal: bool = False) -> str:
    """The format to write: `fmt` if given (its suffix checked against `output`), else the one
    `output`'s suffix names, else text. E602 (InputError) for a mismatch, an unknown suffix, or a
    binary format bound for a terminal."""
    suffix = output.suffix.lower() if output is not None else ""
    named = next((f for f in formats if suffix in SUFFIXES.get(f, ())), None)
    if suffix and named is None:
        raise _error(output, f"不支持的输出格式“{suffix}”：--output 应以 {_all(formats, '、')} 结尾。",
                     f"unsupported output suffix '{suffix}': --output must end in {_all(formats, ', ')}",
                     f"换一个扩展名，如 {_all(formats, '、')}。", f"use one of {_all(formats, ', ')}")
    chosen = fmt or named or "text"
    if chosen in DOCUMENTS and chosen not in formats:
        raise _error(output, f"这个命令没有 -f {chosen} 格式：只有 evaluate 写 {chosen}。",
                     f"this command has no -f {chosen}: only evaluate writes {chosen}",
                     f"改用 {_all(formats, '、')}。", f"use {_all(formats, ', ')}")
    if output is not None and suffix and named != chosen:
        right = SUFFIXES[chosen][0]
        raise _error(output, f"输出文件以“{suffix}”结尾，格式却是 -f {chosen}：写出的文件会名不副实。",
                     f"the output ends in '{suffix}' but the format is -f {chosen}",
                     f"改用 -o {output.with_suffix(right).name}，或 -f {named}（也可不写 -f，按扩展名决定格式）。",
                     f"write -o {output.with_suffix(right).name}, or -f {named} (or leave -f out: the suffix decides)")
    if chosen in BINARY and output is None and to_terminal:
        raise _error(None, f"-f {chosen} 是二进制文件，不能输出到终端。",
                     f"-f {chosen} is a binary file and cannot go to a terminal",
                     f"加上 -o 报告{SUFFIXES[chosen][0]} 写入文件。", f"add -o report{SUFFIXES[chosen][0]} to write a file")
    return chosen


def _all(formats: tuple[str, ...], sep: str) -> str:
    return sep.join(SUFFIXES[f][0] for f in formats if f in SUFFIXES)


def _error(output: Path | None, zh: str, en: str, hint: str, hint_en: str) -> InputError:
    return InputError([Problem("E602", zh, en, str(output) if output is not None else "perfrules",
                               hint=hint, hint_en=hint_en)])
