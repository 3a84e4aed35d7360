"""Writing results: atomically (temp file + rename), so a failure never leaves half a file."""
from __future__ import annotations

import errno
import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .problems import InputError, Problem


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole result at once, through atomic_path."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise InputError([Problem("E601", f"无法写入输出文件：{exc.strerror}", f"cannot write: {exc.strerror}", str(path))])


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to, renamed onto `path` when the block ends
    normally. If the block raises (including KeyboardInterrupt or SystemExit), the temporary
    file is removed and `path` is left as it was: a failed or interrupted writer never
    leaves half a file. For writers that stream (batch) or need a file name (openpyxl)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError([Problem("E601", f"输出目录不存在：{directory}", f"no such folder: {directory}", str(target))])
    try:
        tmp = _create_beside(target, directory)
    except OSError as exc:
        raise InputError([Problem("E601", f"无法写入输出文件：{exc.strerror}", f"cannot write: {exc.strerror}", str(target))])
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _create_beside(target: Path, directory: Path) -> Path:
    """A new empty file with a random name in `directory`. Created with mode 0666 so the kernel
    applies the umask (and any default ACL) itself, as for any new file: reading the umask
    means setting it, which races with other threads. O_EXCL: never someone else's file."""
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = directory / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(directory))
