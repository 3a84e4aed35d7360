"""Engine work in a forked child process, so that a crash of durable_rules' C core costs the
child, never the command.

durable_rules is a C extension: on some inputs it dies by a signal (SIGSEGV, SIGABRT, a
"double free"), which no `except` can catch. So the commands that evaluate (evaluate, audit,
test, and every batch worker) run that work in a child forked from the already-imported
parent (a fork costs a millisecond; a fresh interpreter re-imports everything), and read its
answer back through a pipe; a child that dies is an `EngineCrash` naming the signal.

A child
- dies with its parent (PR_SET_PDEATHSIG on Linux), so a `kill -9` of the command leaves no
  process behind;
- ignores Ctrl-C (the parent handles it and kills its children) and takes SIGTERM's default;
- starts with nothing of the parent's buffered (the parent flushes stdout and stderr before
  forking) and leaves by os._exit, so no atexit handler or file object of the parent runs
  twice; a batch worker never touches stdout or stderr at all (the parent may have a
  progress-bar thread writing there when it forks a replacement worker).
Where os.fork does not exist (Windows), `call` runs the work in-process.
"""
from __future__ import annotations

import functools
import os
import pickle
import select
import signal
import struct
import sys
import traceback
from typing import Any, Callable, Iterable, TypeVar

from . import codecache
from .problems import InputError

T = TypeVar("T")
_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1          # linux/prctl.h
_FAILED = 70                   # a child's exit status when its own code raised (EX_SOFTWARE)


class EngineCrash(Exception):
    """The child doing engine work died (by a signal, or with an unexpected exit status)."""


def available() -> bool:
    return hasattr(os, "fork")


class Channel:
    """Length-prefixed pickles over a pair of pipe ends (one per direction)."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd

    def fileno(self) -> int:
        return self.read_fd

    def send(self, obj: object) -> None:
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self.write_fd, view):]

    def recv(self) -> Any:
        """The next object; EOFError when the other side is gone."""
        return pickle.loads(self.recv_bytes())

    def recv_bytes(self) -> bytes:
        """The next object still pickled; EOFError when the other side is gone."""
        (size,) = _HEADER.unpack(self._read(_HEADER.size))
        return self._read(size)

    def _read(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            part = os.read(self.read_fd, min(left, 1 << 20))
            if not part:
                raise EOFError("the other process is gone")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class Child:
    """A forked child and the channel to it."""

    def __init__(self, pid: int, channel: Channel):
        self.pid, self.channel = pid, channel
        self.alive = True             # until reaped

    def reap(self) -> str:
        """Wait for the child to end; how it ended ("" for a clean exit, else e.g. "SIGSEGV")."""
        self.alive = False
        self.channel.close()
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "lost"
        if os.WIFSIGNALED(status):
            return _signal_name(os.WTERMSIG(status))
        code = os.waitstatus_to_exitcode(status)
        return "" if code == 0 else f"exit status {code}"

    def kill(self) -> None:
        if not self.alive:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.reap()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def fork(serve: Callable[[Channel], None]) -> Child:
    """Fork a child running serve(channel); the parent gets the Child."""
    down_r, down_w = os.pipe()        # parent -> child
    up_r, up_w = os.pipe()            # child -> parent
    parent, prctl = os.getpid(), _prctl()
    _flush()
    pid = os.fork()
    if pid == 0:                      # the child: never returns
        status = _FAILED
        try:
            os.close(down_w)
            os.close(up_r)
            _become_child(parent, prctl)
            serve(Channel(down_r, up_w))
            codecache.save()          # the classes first made here (os._exit runs no atexit)
            status = 0
        finally:
            os._exit(status)
    os.close(down_r)
    os.close(up_w)
    return Child(pid, Channel(up_r, down_w))


def _become_child(parent: int, prctl: Callable[..., int] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent, prctl)


def _die_with(parent: int, prctl: Callable[..., int] | None) -> None:
    """PR_SET_PDEATHSIG: the kernel sends SIGKILL when the parent dies (Linux only)."""
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:        # the parent died before prctl took effect
        os._exit(_FAILED)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once in the parent (ctypes costs milliseconds to import)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    return ctypes.CDLL(None, use_errno=True).prctl


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def ready(children: Iterable[Child], timeout: float | None = None) -> list[Child]:
    """The children with something to read (an answer, or the end of the pipe when one died)."""
    by_fd = {c.channel.fileno(): c for c in children}
    readable, _, _ = select.select(list(by_fd), [], [], timeout)
    return [by_fd[fd] for fd in readable]


def call(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a forked child: its value (which must pickle) or its exception, raised
    here; EngineCrash if the child died without answering."""
    if not available():
        return fn(*args)
    child = fork(lambda channel: _reply(channel, fn, args))
    try:
        kind, value = child.channel.recv()
    except EOFError:
        how = child.reap()
        raise EngineCrash(f"the engine process died ({how or 'without answering'})") from None
    except BaseException:
        child.kill()
        raise
    child.reap()
    if kind == "ok":
        return value
    if kind == "input":
        raise InputError(value)
    raise value


def _reply(channel: Channel, fn: Callable[..., Any], args: tuple) -> None:
    channel.send(_answer(fn, args))
    _flush()                          # what the work wrote (warnings): the parent has no thread writing


def _answer(fn: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """What the child sends back: ("ok", value), ("input", problems) or ("error", exception),
    the exception carrying the child's traceback as a note (for cli's log file)."""
    try:
        return "ok", fn(*args)
    except InputError as exc:
        return "input", exc.problems
    except Exception as exc:  # noqa: BLE001 — sent to the parent, which reports it
        note = "in the engine process:\n" + "".join(traceback.format_exception(exc))
        try:
            pickle.loads(pickle.dumps(exc))
            sent = exc
        except Exception:  # noqa: BLE001 — an exception that does not pickle travels as text
            sent = RuntimeError(f"{type(exc).__name__}: {exc}")
        sent.add_note(note)
        return "error", sent
