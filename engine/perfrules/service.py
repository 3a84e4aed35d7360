"""The one composition of the pipeline, and the registry of policies it scores with.

    document --policy_for--> Policy --read_department--> Department
             --matcher.fired--> firings --score--> Result

`cli`, `batch`, `cases`, `audit` (and any other front end) call this; none composes the steps
itself. Policies are named by id (the shipped set and any folder a bureau adds); a path is
accepted only where the caller allows it, and only if it is a policy file (.yaml with
`indicators`), so a fact file's `policy:` cannot make the tool read and echo another file.
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

from . import resources
from .facts import read_department
from .load import Document, load_file, load_text, read_text
from .matcher.base import Matcher
from .matcher.durable import DurableMatcher
from .model import Department, Policy
from .problems import InputError, Problem, did_you_mean
from .score import Result, score
from .validate import policy_from_document

_POLICY_SUFFIXES = (".yaml", ".yml")


class PolicyRegistry:
    """Policies by id: the shipped rules/ and, first, any folders given (a bureau's own).
    Loaded policies are cached by their text's sha256 (an edited file is read afresh).
    `paths=False` (the web service) refuses every path, whatever a caller allows: a request
    names policies by id only, so it cannot make the service read a file of its choosing."""

    def __init__(self, folders: Sequence[Path] = (), cache_size: int = 32, paths: bool = True):
        self.folders = [Path(f) for f in folders]
        self.paths = paths
        self._ids: dict[str, Path] | None = None
        self._files: set[Path] | None = None
        self._cache: OrderedDict[tuple[str, str], Policy] = OrderedDict()
        self._cache_size = cache_size

    def ids(self) -> dict[str, Path]:
        if self._ids is None:
            found = dict(resources.policy_ids())
            for folder in self.folders:
                inside = dict(resources.policy_ids(folder))
                if not self.paths:      # ids only: a symlink out of the folder is no policy of it
                    root = folder.resolve()
                    inside = {k: p for k, p in inside.items() if p.resolve().is_relative_to(root)}
                found.update(inside)
            self._ids = found
        return self._ids

    def resolve(self, ref: str, *, allow_paths: bool, near: Path | None = None, file: str = "") -> Path:
        """An id (always the registered policy, never a file that happens to share its name),
        or, where allowed, the path of a policy file."""
        ref = str(ref).strip()
        ids = self.ids()
        if ref in ids:
            return ids[ref]
        return self._path(ref, allow_paths and self.paths, near, file, ids)

    def _path(self, ref: str, allow_paths: bool, near: Path | None, file: str, ids: dict[str, Path]) -> Path:
        if allow_paths:
            candidates = [Path(ref)]
            if near is not None and not Path(ref).is_absolute():
                candidates.insert(0, near / ref)
            for c in candidates:
                if _is_file(c):
                    if c.suffix.lower() not in _POLICY_SUFFIXES:
                        raise InputError([Problem(
                            "E406", f"“{ref}”不是评分办法文件：评分办法是 .yaml 文件。",
                            f"'{ref}' is not a policy file: policies are .yaml files", file)])
                    return c.resolve()
        if not self.paths:          # the service: ids only, and a path is not echoed as one
            raise InputError([Problem(
                "E406", f"没有编号为“{ref}”的评分办法（只能按编号选择评分办法）。{did_you_mean(ref, ids)}",
                f"no policy with the id '{ref}' (policies are chosen by id only)", file)])
        raise InputError([Problem(
            "E406", f"找不到评分办法“{ref}”：既不是已有的办法编号，也不是存在的文件。{did_you_mean(ref, ids)}",
            f"no policy '{ref}': neither a shipped id nor a file", file)])

    def load(self, path: Path) -> Policy:
        """The policy in a file. One that is not a registered policy file keeps its path as its
        id (reports add its sha256), so that it is never shown under an official id."""
        text = read_text(path)
        key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), str(path))
        policy = self._cache.get(key)
        if policy is None:
            doc = load_text(text, str(path))
            if isinstance(doc.data, dict) and "indicators" not in doc.data:
                # a mapping that is no policy (a fact file?): say so without quoting what it holds
                raise InputError([Problem("E406", f"{path} 不是评分办法文件（没有 indicators）。",
                                          f"{path} is not a policy file (no indicators)", str(path))])
            policy = policy_from_document(doc)
            if Path(path).resolve() not in self._registered():
                policy = dataclasses.replace(policy, id=str(path), official=False)
            self._cache[key] = policy
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return policy

    def is_policy_file(self, file: str) -> bool:
        """Whether `file` (a problem's location) is one of the registered policy files."""
        try:
            return bool(file) and Path(file).resolve() in self._registered()
        except (OSError, ValueError):
            return False

    def _registered(self) -> set[Path]:
        if self._files is None:
            self._files = {p.resolve() for p in self.ids().values()}
        return self._files


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):   # a name too long for the file system (ENAMETOOLONG): not a file
        return False


class Service:
    """Scores departments: resolves policies, prepares them once for the matcher (releasing
    the least recently used beyond `keep`), reads fact documents and scores them."""

    def __init__(self, matcher: Matcher[Any] | None = None, registry: PolicyRegistry | None = None, keep: int = 32):
        self._matcher = matcher
        self.registry = registry or PolicyRegistry()
        self._prepared: OrderedDict[str, Any] = OrderedDict()
        self._keep = keep

    @property
    def matcher(self) -> Matcher[Any]:
        if self._matcher is None:          # durable's C extension loads on first use
            self._matcher = DurableMatcher()
        return self._matcher

    def policy(self, ref: str, *, allow_paths: bool = True, near: Path | None = None, file: str = "") -> Policy:
        return self.registry.load(self.registry.resolve(ref, allow_paths=allow_paths, near=near, file=file))

    def policy_for(self, doc: Document, policy_ref: str | None = None, *, allow_paths: bool = True) -> Policy:
        """The policy a fact document is scored with: `policy_ref` (--policy) or its own `policy:`."""
        if policy_ref is not None:
            return self.policy(policy_ref, allow_paths=allow_paths, file=doc.file)
        if not isinstance(doc.data, dict):
            raise InputError([doc.problem("E106", (), "文件最外层应是“字段: 值”的映射。", "The top level must be a mapping.")])
        ref = doc.data.get("policy")
        if ref is None:
            raise InputError([doc.problem("E406", (), "没有指定评分办法：请用 --policy 指定，或在事实文件中写 policy: 编号。",
                                          "no policy: pass --policy or write `policy:` in the fact file")])
        if not isinstance(ref, str):
            raise InputError([doc.problem("E202", ("policy",), "policy 应为评分办法编号或文件路径（文字）。",
                                          "policy must be an id or a path")])
        try:
            path = self.registry.resolve(ref, allow_paths=allow_paths, near=Path(doc.file).parent, file=doc.file)
        except InputError as exc:
            p = exc.problems[0]
            raise InputError([doc.problem("E406", ("policy",), p.message, p.message_en)]) from None
        return self.registry.load(path)      # the policy's own problems keep their own file:line

    def prepared(self, policy: Policy) -> Any:
        """The matcher's form of a policy, by content: the same text prepares once."""
        prepared = self._prepared.get(policy.sha256)
        if prepared is not None:
            self._prepared.move_to_end(policy.sha256)
            return prepared
        prepared = self._prepared[policy.sha256] = self.matcher.prepare(policy)
        if len(self._prepared) > self._keep:
            _, old = self._prepared.popitem(last=False)
            self.matcher.release(old)
        return prepared

    def evaluate_department(self, policy: Policy, dept: Department) -> Result:
        return score(policy, dept, self.matcher.fired(self.prepared(policy), dept))

    def evaluate_document(self, doc: Document, policy_ref: str | None = None) -> Result:
        return self.evaluate_with(doc, self.policy_for(doc, policy_ref))

    def evaluate_with(self, doc: Document, policy: Policy) -> Result:
        """A fact document scored with a policy already chosen (policy_for)."""
        from .readers import finish
        finish(doc, policy)
        return self.evaluate_department(policy, read_department(doc, policy))

    def evaluate_file(self, path: Any, policy_ref: str | None = None) -> Result:
        return self.evaluate_document(load_file(path), policy_ref)


_DEFAULT: Service | None = None


def default() -> Service:
    """The process's service on the shipped policies and durable_rules (one per process:
    durable's rulesets are per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Service()
    return _DEFAULT


def use(service: Service) -> Service:
    """Make `service` the process's own (the web service's workers: a registry of ids only)."""
    global _DEFAULT
    _DEFAULT = service
    return service


def evaluate_file(path: Any, policy_ref: str | None = None) -> Result:
    return default().evaluate_file(path, policy_ref)


def evaluate_document(doc: Document, policy_ref: str | None = None) -> Result:
    return default().evaluate_document(doc, policy_ref)


def evaluate_department(policy: Policy, dept: Department) -> Result:
    return default().evaluate_department(policy, dept)


def policy_for(doc: Document, policy_ref: str | None = None) -> Policy:
    return default().policy_for(doc, policy_ref)


def policy(ref: str, *, allow_paths: bool = True, near: Path | None = None, file: str = "") -> Policy:
    return default().policy(ref, allow_paths=allow_paths, near=near, file=file)


__all__ = ["PolicyRegistry", "Service", "default", "use", "evaluate_department", "evaluate_document", "evaluate_file",
           "policy", "policy_for", "read_department"]
