"""The worker side of a batch: read, evaluate and explain chunks of departments (in the
worker processes batch.pool forks).

Processes, not threads: durable_rules is neither thread-safe nor releases the GIL
(measured on durable_rules 2.0.28). init_worker runs once in the parent, before any worker
is forked, so every worker starts with the settings and the --policy already loaded; each
prepares a policy for durable once and keeps it. A worker returns plain data (Outcome); the
one thing it renders is a JSON Lines row (batch.rows: writers.jsonl_line's bytes), so that the
parent (one process for all workers) only writes those bytes (measured: serialising rows there
made the parent the bottleneck of --jobs 2). This module is the batch's only
contact with the engine: through service, like every front end, and audit for the claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import readers
from ..load import Document
from ..problems import InputError
from .plan import Outcome
from .rows import jsonl_row

from .. import audit, service
from ..facts import read_department
from ..model import Policy
from ..overrides import sentence
from ..report.present import money, name, reason_text

if TYPE_CHECKING:
    from ..score import Result


@dataclass(frozen=True)
class _Settings:
    """What init_worker remembers, per process."""
    policy: str | None = None       # the --policy reference, if one was given
    lang: str = "zh"
    json: bool = False              # send back each row as its JSON Lines text (batch.rows)
    claims: bool = False            # send back the claimed score and audit's findings (the workbook)
    facts: bool = False             # send back the facts as read (the web service stores them)


_SETTINGS = _Settings()
_POLICIES: dict[tuple[str, str], Policy] = {}       # (policy reference, folder) -> Policy, per process


def load_ref(policy_ref: str) -> Policy:
    """The --policy; raises its located InputError."""
    return service.policy(policy_ref)


def init_worker(policy_ref: str | None, lang: str, want_json: bool, want_claims: bool = False,
                want_facts: bool = False) -> None:
    """Remember the settings and compile the --policy once (the workers inherit both)."""
    global _SETTINGS
    _SETTINGS = _Settings(policy=policy_ref, lang=lang, json=want_json, claims=want_claims, facts=want_facts)
    if policy_ref is not None:
        try:
            _POLICIES[("--policy", policy_ref)] = load_ref(policy_ref)
        except InputError:
            pass    # the parent checked it; each department will report it if it is gone


def warm(tasks: list[readers.Task]) -> None:
    """Import here what evaluating imports on first use (durable's C extension, jsonschema)
    and load the tasks' policies, so that the children forked after this need not each do it
    again: a retry forks one child per department. Nothing of durable's state is made here:
    the matcher only imports its extension, and policies are read and checked, not prepared."""
    service.default().matcher
    import jsonschema.exceptions  # noqa: F401
    for task in tasks:
        try:
            _policy_for(readers.read(task))
        except Exception:  # noqa: BLE001 — its evaluation will report why
            pass


def run_chunk(tasks: list[readers.Task]) -> list[Outcome]:
    return [_evaluate(t) for t in tasks]


def _evaluate(task: readers.Task) -> Outcome:
    doc: Document | None = None
    try:
        doc = readers.read(task)
        policy = _policy_for(doc)
        readers.finish(doc, policy)
        result = service.evaluate_department(policy, read_department(doc, policy))
        return _outcome(task.source, result, doc)
    except InputError as exc:
        return Outcome(task.source, _department_name(doc), problems=tuple(exc.problems))
    except Exception as exc:  # noqa: BLE001 — one department's surprise must not stop the batch
        return Outcome(task.source, _department_name(doc), internal=f"{type(exc).__name__}: {exc}")


def department_of(task: readers.Task) -> str:
    """The department a task names, "" if it cannot be read (for a retry's report)."""
    try:
        return _department_name(readers.read(task))
    except Exception:  # noqa: BLE001 — its evaluation will report why
        return ""


def _department_name(doc: Document | None) -> str:
    data = getattr(doc, "data", None)
    dept = data.get("department") if isinstance(data, dict) else None
    return dept if isinstance(dept, str) else ""


def _policy_for(doc: Document) -> Policy:
    """service.policy_for, remembered per (reference, folder) so that 10,000 rows naming the
    same policy resolve and stat it once."""
    ref = _SETTINGS.policy
    if ref is not None:
        key = ("--policy", ref)
    else:
        own = doc.data.get("policy") if isinstance(doc.data, dict) else None
        if not isinstance(own, str):
            return service.policy_for(doc, None)        # raises the located problem
        key = (own, str(Path(doc.file).parent))
    policy = _POLICIES.get(key)
    if policy is None:
        policy = _POLICIES[key] = service.policy_for(doc, ref)
    return policy


def _outcome(source: str, result: Result, doc: Document) -> Outcome:
    lang = _SETTINGS.lang
    p = result.policy
    deductions = result.deductions
    return Outcome(
        source=source, department=result.department.name, ok=True, policy=p.id,
        score=money(result.score), grade=result.grade(lang),
        grades=_grades(p, lang),
        tops=tuple((t.id, name(t, lang), money(lost)) for t, lost in result.top_losses()),
        deductions=tuple((d.indicator.id, name(d.indicator, lang), money(d.deduction)) for d in deductions),
        reasons=("；" if lang == "zh" else "; ").join(reason_text(d, lang) for d in deductions),
        rules_score=money(result.rules_total) if result.overridden else "",
        overrides=_overrides(result, lang),
        line=jsonl_row(source, result, lang) if _SETTINGS.json else b"", warnings=len(result.warnings),
        code=result.department.code, year=result.department.year or p.year,
        facts=doc.data if _SETTINGS.facts and isinstance(doc.data, dict) else None,
        leaves=_leaves(p, lang),
        **(_claim(result, doc, lang) if _SETTINGS.claims else {}))


@lru_cache(maxsize=64)
def _grades(policy: Policy, lang: str) -> tuple[str, ...]:
    """The policy's grade names, best first (the same for every row of a policy)."""
    return tuple(((g.name_en or g.name) if lang == "en" else g.name) for g in policy.grades)


@lru_cache(maxsize=64)
def _leaves(policy: Policy, lang: str) -> tuple[tuple[str, str], ...]:
    """(id, name) of every leaf indicator of the policy, in order."""
    return tuple((leaf.id, name(leaf, lang)) for leaf in policy.leaves())


def _claim(result: Result, doc: Document, lang: str) -> dict:
    """The claimed score and what `perfrules audit` finds in the claim (its discrepancies,
    then its 认定), nothing for a department that claims nothing. Only the workbook asks:
    an audit builds the whole indicator tree, which a CSV row never needs."""
    claimed = result.department.claimed
    if not claimed:
        return {}
    found = audit.audit(result, doc) + audit.judged(result)
    plain = lambda x: "" if x is None else money(x)  # noqa: E731
    return {"claimed": money(Decimal(str(claimed["score"]))),
            "findings": tuple((d.kind, d.indicator, plain(d.claimed), plain(d.due), d.text(lang)) for d in found)}


def _overrides(result: Result, lang: str) -> tuple:
    """(id, name, the 认定 sentence) for each leaf whose score is a 认定."""
    return tuple((n.indicator.id, name(n.indicator, lang), sentence(n.override, n.rules_score, n.score, lang))
                 for n in result.overridden if n.override is not None and n.rules_score is not None)
