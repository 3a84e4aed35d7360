"""The steps wired together: policy reference -> compiled policy; fact file -> Result.

Compiled policies are cached per process: durable_rules rulesets are created once and
reused for every department.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import resources
from .compile import Compiled, compile_policy
from .explain import Result, evaluate
from .facts import Department, read_department
from .load import Document, load_file
from .problems import InputError, Problem
from .validate import load_policy


def resolve_policy(ref: str, relative_to: Path | None = None, file: str = "") -> Path:
    """A policy id (guangzhou/panyu/2023) or a path to a policy file."""
    ref = str(ref).strip()
    candidates = [Path(ref)]
    if relative_to is not None and not Path(ref).is_absolute():
        candidates.insert(0, relative_to / ref)
    for c in candidates:
        try:
            found = c.is_file()
        except (OSError, ValueError):   # a name too long for the file system (ENAMETOOLONG): not a file
            found = False
        if found:
            return c.resolve()
    shipped = resources.policy_ids()
    if ref in shipped:
        return shipped[ref]
    from .problems import did_you_mean
    raise InputError([Problem(
        "E406", f"找不到评分办法“{ref}”：既不是已有的办法编号，也不是存在的文件。{did_you_mean(ref, shipped)}",
        f"no policy '{ref}': neither a shipped id nor a file", file)])


@lru_cache(maxsize=32)
def _compiled(path: Path, mtime_ns: int) -> Compiled:
    return compile_policy(load_policy(path))


def compiled_policy(path: Path) -> Compiled:
    return _compiled(path, path.stat().st_mtime_ns)


def policy_for(doc: Document, policy_ref: str | None) -> Compiled:
    ref = policy_ref
    if ref is None and isinstance(doc.data, dict):
        ref = doc.data.get("policy")
        if ref is not None and not isinstance(ref, str):
            raise InputError([doc.problem("E202", ("policy",), "policy 应为评分办法编号或文件路径（文字）。",
                                          "policy must be an id or a path")])
        if ref is not None:
            try:
                found = resolve_policy(ref, Path(doc.file).parent, doc.file)
            except InputError as exc:
                p = exc.problems[0]
                raise InputError([doc.problem("E406", ("policy",), p.message, p.message_en)]) from None
            return compiled_policy(found)   # the policy's own problems keep their own file:line
    if ref is None and not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "文件最外层应是“字段: 值”的映射。", "The top level must be a mapping.")])
    if ref is None:
        raise InputError([doc.problem("E406", (), "没有指定评分办法：请用 --policy 指定，或在事实文件中写 policy: 编号。",
                                      "no policy: pass --policy or write `policy:` in the fact file")])
    return compiled_policy(resolve_policy(ref, file=doc.file))


def department_from(doc: Document, compiled: Compiled) -> Department:
    return read_department(doc, compiled.policy)


def evaluate_document(doc: Document, policy_ref: str | None = None) -> Result:
    compiled = policy_for(doc, policy_ref)
    return evaluate(compiled, read_department(doc, compiled.policy))


def evaluate_file(path, policy_ref: str | None = None) -> Result:
    return evaluate_document(load_file(path), policy_ref)
