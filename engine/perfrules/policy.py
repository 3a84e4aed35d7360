"""The policy model: what a validated rule file means, as plain data.

validate.py builds these from YAML; compile.py turns the rules into a durable_rules ruleset;
score.py computes points from the rules that fired. Nothing here reads files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from .expr import Formula, Interval

NUMERIC_TYPES = ("number", "percent", "money", "count")


@dataclass
class FactDecl:
    key: str
    type: str
    label: str = ""
    label_en: str = ""
    description: str = ""
    required: bool = False
    default: object = None
    has_default: bool = False
    formula: Formula | None = None
    options: tuple[str, ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None
    fields: dict[str, "FactDecl"] = field(default_factory=dict)   # list records
    path: tuple = ()

    @property
    def derived(self) -> bool:
        return self.formula is not None

    @cached_property
    def inputs(self) -> list[tuple[str, "FactDecl"]]:
        """A list fact's record fields that the fact file gives (not computed)."""
        return [(k, f) for k, f in self.fields.items() if not f.derived]

    @cached_property
    def input_keys(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.inputs)

    @cached_property
    def derived_order(self) -> list["FactDecl"]:
        """A list fact's computed fields, each after the fields its formula reads."""
        return derived_order(self.fields)

    @property
    def expr_type(self) -> str | None:
        """The type a formula or condition sees: number, boolean, text (None: not usable)."""
        if self.type in NUMERIC_TYPES:
            return "number"
        if self.type == "boolean":
            return "boolean"
        if self.type in ("text", "choice"):
            return "text"
        return None


def derived_order(decls: dict[str, FactDecl]) -> list[FactDecl]:
    """Derived facts in dependency order (validate.py has already refused loops)."""
    order: list[FactDecl] = []
    seen: set[str] = set()

    def visit(key):
        if key in seen:
            return
        seen.add(key)
        for name in decls[key].formula.names:
            if name in decls and decls[name].derived:
                visit(name)
        order.append(decls[key])
    for key, f in decls.items():
        if f.derived:
            visit(key)
    return order


@dataclass
class Rule:
    """One thing that can fire: it compiles to exactly one durable_rules rule."""

    index: int                     # position in the policy, also the durable rule name
    indicator: "Indicator"
    on_items: bool = False         # matches item facts (per_item) instead of the department fact
    interval: Interval | None = None
    condition: Formula | None = None
    fact: str | None = None        # checklist item fact / tiered choice fact / compared fact
    value: object = None           # tiered: option value
    deduct: Decimal | None = None
    score: Decimal | None = None
    label: str = ""
    label_en: str = ""
    reason: str = ""
    reason_en: str = ""
    path: tuple = ()


@dataclass
class Method:
    kind: str
    rules: list[Rule] = field(default_factory=list)
    params: dict = field(default_factory=dict)   # rate, full_at, value, limit, unit, items, measure, …
    reason: str = ""
    reason_en: str = ""

    @cached_property
    def facts_used(self) -> list[str]:
        """Top-level facts this method reads (for the explanation)."""
        keys = [self.params[k] for k in ("rate", "value", "choice", "score", "note", "items") if k in self.params]
        keys += [r.fact for r in self.rules if r.fact]
        for r in self.rules:
            if r.condition is not None:
                keys += list(r.condition.names)
        return list(dict.fromkeys(keys))


@dataclass
class Indicator:
    id: str
    name: str
    points: Decimal
    name_en: str = ""
    confidence: str = ""
    basis: str = ""
    criteria: str = ""
    children: list["Indicator"] = field(default_factory=list)
    method: Method | None = None
    path: tuple = ()
    ancestors: tuple[str, ...] = ()

    @cached_property
    def points2(self) -> Decimal:
        """The points to the cent, as scores are shown."""
        return self.points.quantize(Decimal("0.01"))

    def leaves(self):
        if not self.children:
            yield self
        for c in self.children:
            yield from c.leaves()


@dataclass
class Grade:
    name: str
    min: Decimal
    name_en: str = ""


@dataclass
class Policy:
    id: str
    title: str
    year: int
    version: str
    full_score: Decimal
    grades: list[Grade]
    facts: dict[str, FactDecl]
    indicators: list[Indicator]
    title_en: str = ""
    region: str = ""
    subject: str = "部门整体支出绩效"          # what the 自评结论 says was evaluated
    subject_en: str = "overall expenditure performance"
    file: str = ""
    sha256: str = ""
    rules: list[Rule] = field(default_factory=list)

    def leaves(self) -> list[Indicator]:
        return self._leaves

    @cached_property
    def _leaves(self) -> list[Indicator]:
        return [leaf for top in self.indicators for leaf in top.leaves()]

    @cached_property
    def inputs(self) -> list[tuple[str, FactDecl]]:
        """Facts a fact file gives (not computed), in declaration order."""
        return [(k, f) for k, f in self.facts.items() if not f.derived]

    @cached_property
    def derived_order(self) -> list[FactDecl]:
        return derived_order(self.facts)

    @cached_property
    def indicator_index(self) -> dict[str, Indicator]:
        """Every indicator, top to leaf, by id."""
        out, stack = {}, list(self.indicators)
        while stack:
            ind = stack.pop()
            out[ind.id] = ind
            stack.extend(ind.children)
        return out

    @cached_property
    def leaf_index(self) -> dict[str, Indicator]:
        return {leaf.id: leaf for leaf in self.leaves()}

    @cached_property
    def always_fire(self) -> list[Indicator]:
        """Leaves where exactly one band or tier must fire for every department."""
        return [leaf for leaf in self.leaves() if leaf.method is not None and leaf.method.kind in ("bands", "tiered")]

    @cached_property
    def manual_scores(self) -> list[tuple[Indicator, str]]:
        """(leaf, score fact) for every manually scored leaf."""
        return [(leaf, leaf.method.params["score"]) for leaf in self.leaves()
                if leaf.method is not None and leaf.method.kind == "manual"]

    def grade(self, score: Decimal, lang: str = "zh") -> str:
        for g in self.grades:
            if score >= g.min:
                return (g.name_en or g.name) if lang == "en" else g.name
        last = self.grades[-1]
        return (last.name_en or last.name) if lang == "en" else last.name
