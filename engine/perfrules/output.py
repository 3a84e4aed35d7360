"""Writing results: atomically (temp file + rename), so a failure never leaves half a file."""
from __future__ import annotations

import os
import tempfile
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
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError([Problem("E601", f"无法写入输出文件：{exc.strerror}", f"cannot write: {exc.strerror}", str(target))])
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)     # mkstemp makes 0600; give the file the usual mode
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
