"""Start-up: the compiled code of our dataclasses' generated methods, kept between runs the way
Python keeps bytecode.

On Python 3.11 and 3.12, `dataclasses` writes every generated method (__init__, __repr__,
__eq__, __hash__, a frozen class's __setattr__ and __delattr__) as source text and compiles it
with exec, for every class, in every process: about 60% of importing perfrules (measured: 26
of 43 ms, more than the whole budget `perfrules evaluate` has above its dependencies' imports).
The text depends only on the class definition, so its compiled code is kept, keyed by the
exact text, in a marshal file beside this module's bytecode (its `__pycache__`, or under
PYTHONPYCACHEPREFIX), written at exit when bytecode may be written, and read at start: exec
of a code object skips the compile, and the function made is the one the text makes. Only
classes of perfrules' own modules go through it; a missing, stale or unreadable file is an
empty cache, and a text not in it is compiled as dataclasses would.
"""
from __future__ import annotations

import atexit
import dataclasses
import importlib.util
import marshal
import os
import sys
from types import CodeType
from typing import Any

_CACHE: dict[str, Any] = {}      # source text -> its code (values from the file are checked on use)
_NEW: dict[str, CodeType] = {}   # compiled in this run, not yet in the file
_LIMIT = 4096                     # entries kept; past it (old class versions pile up) only this run's


def cache_file() -> str | None:
    """Where the cache lives: this module's bytecode path, with another suffix."""
    try:
        return importlib.util.cache_from_source(__file__).removesuffix(".pyc") + ".dataclasses"
    except (NotImplementedError, ValueError):     # no cache tag: nothing is cached
        return None


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:
    """exec as dataclasses calls it, from cached code for a class of perfrules' own modules."""
    if type(source) is str and isinstance(globals, dict) and str(globals.get("__name__", "")).startswith("perfrules"):
        code = _CACHE.get(source)
        if type(code) is not CodeType:
            code = _NEW[source] = _CACHE[source] = compile(source, "<string>", "exec")
        exec(code, globals, locals)
        return
    exec(source, globals, locals)


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def save() -> None:
    """Write what this process compiled anew, merged with the file as it is now (a forked
    child, which leaves by os._exit, calls this itself: guard.fork); atomically, never an error."""
    path = _PATH[0] if _PATH else None
    if not _NEW or path is None or sys.dont_write_bytecode:
        return
    keep = {k: v for k, v in {**_load(path), **_CACHE}.items() if type(k) is str and type(v) is CodeType}
    if len(keep) > _LIMIT:
        keep = dict(_NEW)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(keep, f)
        os.replace(tmp, path)
        _NEW.clear()
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass


_PATH: list[str] = []


def install() -> None:
    """Route dataclasses' exec through the cache (Python 3.11 and 3.12, whose dataclasses call
    exec once per method; elsewhere nothing changes)."""
    path = cache_file()
    if path is None or sys.version_info[:2] not in ((3, 11), (3, 12)) or getattr(dataclasses, "exec", None) is _exec:
        return
    _PATH.append(path)
    _CACHE.update(_load(path))
    dataclasses.exec = _exec     # type: ignore[attr-defined]  # shadows the builtin for that module only
    atexit.register(save)
