"""What `perfrules validate` and `perfrules policies` find out about files, as data.

validate takes any mix of policies, fact files and case files: each is told apart by its
name and content and checked the way its kind is used, and the outcome is a FileCheck
(what it is and how big, or its problems). policies loads every shipped policy. The words
around these (通过, 个指标 …) are the reporters' (report/validate.py, report/policies.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .problems import InputError, Problem

if TYPE_CHECKING:
    from .model import Policy


@dataclass
class FileCheck:
    file: str
    kind: str = ""                  # policy | facts | cases; "" when the file could not be read
    problems: list[Problem] = field(default_factory=list)
    policy: str = ""                # the policy's id, or for facts the id of the policy they are for
    indicators: int = 0             # a policy's leaf indicators
    rules: int = 0                  # a policy's rules
    cases: int = 0                  # a case file's cases

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ShippedPolicy:
    id: str                         # the id under rules/
    file: Path
    policy: Policy | None = None    # None when it does not load: then `problem` says why
    problem: Problem | None = None


def _kind(doc, path: Path) -> str:
    if path.name.endswith(".cases.yaml") or path.parent.name.endswith(".cases"):
        return "cases"
    if isinstance(doc.data, dict) and "indicators" in doc.data:
        return "policy"
    return "facts"


def check_file(path: Path, policy_ref: str | None = None, items: Path | None = None) -> FileCheck:
    """A file checked as what it is; facts against `policy_ref` or their own `policy:` (a CSV's
    list facts from `items`)."""
    from .readers import fact_documents, finish
    from .service import policy_for, read_department
    from .validate import policy_from_document
    try:
        docs = fact_documents(path, items)
        doc = docs[0]
        kind = _kind(doc, path)
        if kind == "policy":
            p = policy_from_document(doc)
            return FileCheck(str(path), kind, policy=p.id, indicators=len(p.leaves()), rules=len(p.rules))
        if kind == "cases":
            from .cases import load_cases
            return FileCheck(str(path), kind, cases=len(load_cases(path).cases))
        for doc in docs:       # a CSV: every row; any other fact file: its one document
            policy = policy_for(doc, policy_ref)
            finish(doc, policy)
            dept = read_department(doc, policy)
            if dept.overrides:     # a 认定's bounds that need the rules' score are checked in scoring
                from .service import evaluate_department
                evaluate_department(policy, dept)
        return FileCheck(str(path), kind, policy=policy.id)
    except InputError as exc:
        return FileCheck(str(path), problems=exc.problems)


def shipped_policies() -> list[ShippedPolicy]:
    from . import resources
    from .validate import load_policy
    out = []
    for pid, path in resources.policy_ids().items():
        try:
            out.append(ShippedPolicy(pid, path, load_policy(path)))
        except InputError as exc:
            out.append(ShippedPolicy(pid, path, problem=exc.problems[0]))
    return out
