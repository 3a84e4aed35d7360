"""Bytes to text: the encodings a policy, fact or CSV file may come in.

UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK), decided for
the whole file; a file that is UTF-8 Chinese up to some line and then something else is
"mixed" and refused at that line (E102), never half read.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path

from .problems import InputError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024      # a policy or fact file is a few KB


def decode(raw: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    head = raw[:bad_at].decode("utf-8", "ignore")
    line = head.count("\n") + 1
    start = raw.rfind(b"\n", 0, bad_at) + 1
    end = raw.find(b"\n", bad_at)
    source = raw[start:end if end >= 0 else len(raw)].decode("utf-8", "replace")
    col = len(raw[start:bad_at].decode("utf-8", "ignore")) + 1
    if raw.count(b"\x00") * 4 > len(raw):
        raise InputError([Problem(
            "E102", "文件看起来是没有 BOM 的 UTF-16 编码，无法读取。", "The file looks like UTF-16 without a byte-order mark.", file)])
    if sum("\u4e00" <= ch <= "\u9fff" for ch in head) >= 3:   # UTF-8 Chinese first, then other bytes
        raise InputError([mixed(file, line, col, source)])
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise InputError([neither(file, line, col, source)])
    return text


def mixed(file: str, line: int, col: int, source: str) -> Problem:
    return Problem("E102", f"文件混用了两种编码：前面是 UTF-8，第 {line} 行起有不是 UTF-8 的字节（可能是从 GBK 文件粘贴的）。",
                   f"mixed encodings: UTF-8 up to line {line}, then bytes that are not UTF-8 (pasted from a GBK file?)",
                   file, line, col, "$", source_line=source)


def neither(file: str, line: int, col: int, source: str) -> Problem:
    return Problem("E102", f"文件既不是 UTF-8 也不是 GBK/GB18030 编码，无法读取（第 {line} 行起）。",
                   f"The file is neither UTF-8 nor GBK/GB18030 (from line {line}).", file, line, col, "$", source_line=source)


def read_text(path: str | Path) -> str:
    """A file's text (decode). Opened once, without blocking (a FIFO or a device is not a fact
    file: it is refused, never waited on), and checked through its open descriptor: half the
    time of stat, is_file and read_bytes for a file of a batch folder (measured: 31 -> 11 µs)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputError([_unreadable(Path(path), exc)]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError([_unreadable(Path(path), None)])
        if info.st_size > MAX_FILE_BYTES:
            raise InputError([_too_big(Path(path), info.st_size)])
        raw = b""
        while len(raw) <= MAX_FILE_BYTES and (more := os.read(fd, max(info.st_size + 1 - len(raw), 1 << 16))):
            raw += more                 # one read for a file that has not changed since fstat
    except OSError as exc:
        p = Path(path)
        raise InputError([Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(p))]) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:            # it grew since fstat
        raise InputError([_too_big(Path(path), len(raw))])
    return decode(raw, str(Path(path)))


def _unreadable(p: Path, exc: OSError | None) -> Problem:
    """E101: no such file, not a file, or a file we may not open (then the system's reason)."""
    try:
        a_file = exc is not None and p.is_file()
    except OSError:                  # a name too long, a loop of links: no file we can name
        a_file = False
    if a_file and exc is not None:
        return Problem("E101", f"无法读取文件：{exc.strerror}", f"cannot read: {exc.strerror}", str(p))
    try:
        a_folder = p.is_dir()
    except OSError:
        a_folder = False
    if a_folder:
        return Problem("E101", f"“{p}”是文件夹，不是文件。", f"{p} is a folder, not a file", str(p),
                       hint=f"评一个文件夹中的所有部门，用 perfrules batch {p}。",
                       hint_en=f"To score every department in a folder: perfrules batch {p}")
    return Problem("E101", f"找不到文件或无法读取：{p}", f"no such file or not readable: {p}", str(p))


def _too_big(p: Path, size: int) -> Problem:
    return Problem("E105", f"文件有 {size:,} 字节，超过上限 {MAX_FILE_BYTES:,} 字节。",
                   f"The file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}.", str(p))


# ---- a file too big to hold twice (a CSV of a whole district): decided in chunks ------------

_CHUNK = 1 << 20
_CJK = re.compile("[\u4e00-\u9fff]")


def file_encoding(path: Path) -> str:
    """'utf-8-sig' or 'gb18030' for the whole file (not its first rows: a GBK row at line 4,002
    must not abort a run after 4,000 rows), by the rule decode() uses. Raises OSError, or
    InputError with one located E102 for a mixed or undecodable file."""
    bad = _first_bad(path, "utf-8")
    if bad is None:
        return "utf-8-sig"
    offset, chinese_before = bad
    if chinese_before:         # real UTF-8 Chinese first, then other bytes: mixed, not GBK
        raise InputError([mixed(str(path), *_locate(path, offset))])
    bad = _first_bad(path, "gb18030")
    if bad is None:
        return "gb18030"
    raise InputError([neither(str(path), *_locate(path, bad[0]))])


def _first_bad(path: Path, encoding: str) -> tuple[int, bool] | None:
    """(byte offset of the first undecodable byte, whether 3 CJK characters came before), or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    done, chinese = 0, 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:     # exc.start counts from the pending bytes
                chinese += len(_CJK.findall(exc.object[:exc.start].decode(encoding, "ignore")))
                return done - pending + exc.start, chinese >= 3
            if chinese < 3:
                chinese += len(_CJK.findall(text, 0, 4096))
            done += len(chunk)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return done - pending + exc.start, chinese >= 3
    return None


def _locate(path: Path, offset: int) -> tuple[int, int, str]:
    """(line, column, the line's text) of a byte offset."""
    line, start, pos = 1, 0, 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            part = chunk[:max(offset - pos, 0)]
            line += part.count(b"\n")
            if b"\n" in part:
                start = pos + part.rfind(b"\n") + 1
            pos += len(chunk)
            if pos >= offset:
                break
        f.seek(start)
        raw = f.readline(65536)
    source = raw.rstrip(b"\r\n").decode("utf-8", "replace")
    return line, len(raw[:offset - start].decode("utf-8", "ignore")) + 1, source
