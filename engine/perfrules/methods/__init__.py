"""The scoring methods, one module each, looked up by `kind` (the policy schema's enum).

Adding a method: one module beside these (see base.py for what it provides) and one line here.
"""
from __future__ import annotations

from . import bands, checklist, deductions, manual, per_item, per_unit, proportional, tiered, weighted
from .base import Built, Checks, Firing, Head, Method, Scored

METHODS: dict[str, Method] = {m.kind: m for m in (
    proportional.METHOD, bands.METHOD, deductions.METHOD, per_item.METHOD,
    checklist.METHOD, tiered.METHOD, per_unit.METHOD, manual.METHOD, weighted.METHOD,
)}

__all__ = ["METHODS", "Built", "Checks", "Firing", "Head", "Method", "Scored"]
