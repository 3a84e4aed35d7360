"""Writing results without ever destroying anything: atomically, never over an input, and
never replacing what is not a regular file.

- A result goes to an unnamed file (O_TMPFILE) in the output's folder, given a name and
  renamed onto the output only when it is complete: a failed, interrupted or even SIGKILLed
  writer leaves no half file and no temporary file (the kernel frees an unnamed file with
  its last descriptor). Where the file system cannot make unnamed files, a named temporary
  file beside the output is used instead (removed on failure, but a SIGKILL leaves it).
- An existing output keeps its permission bits; a symlink is written through (its target is
  replaced, the link stays); a device, FIFO or socket (/dev/null, /dev/stdout, a named pipe)
  is written to as it is, never replaced by a regular file.
- refuse_inputs: an output that is one of the run's inputs (the same file, by inode) is
  refused with E601 before anything runs.
"""
from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .problems import InputError, Problem


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole result at once, through atomic_path."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise InputError([_cannot_write(exc, path)])


def _cannot_write(exc: OSError, path: str | Path) -> Problem:
    return Problem("E601", f"无法写入输出文件：{exc.strerror or exc}", f"cannot write: {exc.strerror or exc}", str(path))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path to write the result to (by name: streaming writers and openpyxl open it),
    moved onto `path` when the block ends normally. If the block raises (including
    KeyboardInterrupt or SystemExit), `path` is left as it was. A device or FIFO is
    yielded itself: what is written to it cannot be taken back."""
    target = Path(path)
    if _written_through(target):
        yield target
        return
    real = Path(os.path.realpath(target))        # through a symlink: replace its target, keep the link
    directory = real.parent
    if not directory.is_dir():
        shown = target.parent if str(target.parent) else Path(".")       # the folder as the user wrote it
        raise InputError([Problem("E601", f"输出目录不存在：{shown}", f"no such folder: {shown}", str(target))])
    mode = _permissions(real)
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666) if _unnamed_files() else -1
    except OSError:
        fd = -1                                  # not on this file system: a named temporary file
    if fd < 0:
        with _named(real, directory, mode) as tmp:
            yield tmp
        return
    try:
        yield Path(f"/proc/self/fd/{fd}")
        if mode is not None:
            os.fchmod(fd, mode)
        _move(_link_beside(fd, real, directory), real)
    finally:
        os.close(fd)


def _unnamed_files() -> bool:
    return hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _written_through(target: Path) -> bool:
    """Whether `target` is written as it is: anything that exists and is neither a regular
    file nor a folder (a device, FIFO or socket), and anything under /dev or /proc (where
    /dev/stdout may lead to a regular file that is the shell's, not ours to replace)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False                             # nothing there (or a dangling symlink): created
    if stat.S_ISDIR(mode):
        return False                             # replacing fails with EISDIR: E601
    return not stat.S_ISREG(mode) or str(target.absolute()).startswith(("/dev/", "/proc/"))


def _permissions(real: Path) -> int | None:
    """An existing regular file's permission bits, which its replacement keeps."""
    try:
        st = os.stat(real)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else None


def _link_beside(fd: int, real: Path, directory: Path) -> Path:
    """Give the unnamed file open as `fd` a free temporary name beside `real`: linkat of
    /proc/self/fd/FD with AT_SYMLINK_FOLLOW (os.link uses linkat, and so follows the magic
    link, only when given a directory descriptor)."""
    fds = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _free_name(real, directory, lambda tmp: os.link(str(fd), tmp, src_dir_fd=fds, follow_symlinks=True))
    finally:
        os.close(fds)


def _free_name(real: Path, directory: Path, claim: Callable[[Path], object]) -> Path:
    """A random temporary name beside `real` in `directory`, once `claim` has taken it (claim
    raises FileExistsError for a name already there: another is tried, 100 in all)."""
    for _ in range(100):
        tmp = directory / f".{real.name}.{os.urandom(4).hex()}.tmp"
        try:
            claim(tmp)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(directory))


def _move(tmp: Path, real: Path) -> None:
    try:
        os.replace(tmp, real)
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


@contextmanager
def _named(real: Path, directory: Path, mode: int | None) -> Iterator[Path]:
    """The fallback: a named temporary file beside `real`, removed if the block raises."""
    tmp = _create_beside(real, directory)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        _remove(tmp)
        raise


def _create_beside(target: Path, directory: Path) -> Path:
    """A new empty file with a random name in `directory`. Created with mode 0666 so the kernel
    applies the umask (and any default ACL) itself, as for any new file: reading the umask
    means setting it, which races with other threads. O_EXCL: never someone else's file."""
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return _free_name(target, directory, lambda tmp: os.close(os.open(tmp, flags, 0o666)))


def refuse_inputs(output: str | Path, inputs: Iterable[str | Path]) -> None:
    """E601 if `output` (followed through symlinks) is the same file as one of `inputs`:
    writing it would destroy what the run reads. `inputs` is consumed only if `output` exists."""
    try:
        st = os.stat(output)
    except OSError:
        return                                   # nothing there yet: no input to lose
    if not stat.S_ISREG(st.st_mode):
        return
    for path in inputs:
        try:
            other = os.stat(path)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            raise InputError([Problem(
                "E601", f"输出文件就是本次读取的输入 {path}：写入会毁掉输入。请换一个输出文件名。",
                f"the output is an input of this run ({path}): writing it would destroy the input; "
                "choose another output file", str(output))])
