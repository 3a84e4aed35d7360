"""The seam between scoring and a rules engine: prepare a policy, run one department, release.

A matcher answers one question: which rules fire for this department, and for which list
records. `durable` (durable_rules' C core) is the one the tool uses; `reference` decides the
same in plain Python, for tests that require both to agree.
"""
from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from ..methods.base import Firing
from ..model import Department, Policy

P = TypeVar("P")


class Matcher(Protocol, Generic[P]):
    def prepare(self, policy: Policy) -> P:
        """Compile a policy for this engine (once per policy and process)."""
        ...

    def fired(self, prepared: P, dept: Department) -> list[Firing]:
        """(rule index, record index or None) for every rule that fires, each once, in rule order."""
        ...

    def release(self, prepared: P) -> None:
        """Free what `prepare` took from the engine."""
        ...


def in_order(fired: set[Firing]) -> list[Firing]:
    """Firings sorted by rule, then record: the order every matcher reports them in."""
    return sorted(fired, key=lambda f: (f[0], -1 if f[1] is None else f[1]))
