"""The policy model: what a validated rule file means, as frozen, typed values.

`validate` builds these from a YAML document; a matcher decides which rules fire for a
department; `methods/<kind>` scores each leaf from what fired. Nothing here reads files.

Indicators are of two kinds: a `Group` adds up its children, a `Leaf` is scored by one
method. A `Rule` is one thing that can fire; its `when` says, engine-neutrally, what must
hold, and it names its leaf by id (no pointer back, so rules compare and hash as values).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Iterator, Mapping, Union

from .expr import Formula, Interval
from .problems import Note, Problem

NUMERIC_TYPES = ("number", "percent", "money", "count")


class EngineError(Exception):
    """A contract broken inside the engine (a matcher failed, or fired what cannot fire):
    never the user's input, so an internal error (exit 3)."""
Path = tuple[Union[str, int], ...]


@dataclass(frozen=True)
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
    fields: Mapping[str, "FactDecl"] = field(default_factory=dict)   # list records
    path: Path = ()
    unit: str = ""                                  # money: the unit it is held in (万元 unless declared)
    plausible: tuple[Decimal, Decimal] | None = None   # money: beyond this, in its unit, a warning

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


def derived_order(decls: Mapping[str, FactDecl]) -> list[FactDecl]:
    """Derived facts in dependency order (validate has already refused loops)."""
    order: list[FactDecl] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        formula = decls[key].formula
        for name in formula.names if formula is not None else ():
            if name in decls and decls[name].derived:
                visit(name)
        order.append(decls[key])
    for key, f in decls.items():
        if f.derived:
            visit(key)
    return order


# ---- what must hold for a rule to fire (a matcher encodes these for its engine) -----------

@dataclass(frozen=True)
class Compare:
    """fact OP constant: a number (exact Decimal), a text or a boolean."""
    fact: str
    op: str                         # < <= > >= == !=
    value: Decimal | str | bool


@dataclass(frozen=True)
class InInterval:
    fact: str
    interval: Interval


@dataclass(frozen=True)
class Holds:
    """A policy's condition (deductions): comparisons joined by and/or/not, no arithmetic."""
    condition: Formula


@dataclass(frozen=True)
class ItemInInterval:
    """Fires once for every record of a list fact whose measure lies in the interval."""
    items: str
    measure: str
    interval: Interval


@dataclass(frozen=True)
class ItemCompare:
    """Fires once for every record of a list fact where one numeric field OP another
    (实际值 < 目标值), only records whose choice field `field` is `value` when one is named."""
    items: str
    left: str
    op: str                         # < or >
    right: str
    field: str | None = None
    value: str | None = None


When = Union[Compare, InInterval, Holds, ItemInInterval, ItemCompare]


@dataclass(frozen=True)
class Rule:
    """One thing that can fire; a matcher compiles it to exactly one engine rule."""

    index: int                     # position in the policy, also the engine's rule name
    leaf: str                      # the id of the leaf it scores
    when: When
    fact: str | None = None        # the fact the rule is about (checklist item, tier choice, …)
    value: str | None = None       # tiered: the option
    deduct: Decimal | None = None
    score: Decimal | None = None
    label: str = ""
    label_en: str = ""
    reason: str = ""
    reason_en: str = ""
    path: Path = ()

    @property
    def on_items(self) -> bool:
        return isinstance(self.when, (ItemInInterval, ItemCompare))

    @property
    def interval(self) -> Interval | None:
        return self.when.interval if isinstance(self.when, (InInterval, ItemInInterval)) else None


@dataclass(frozen=True)
class Params:
    """A method's parameters; each method module defines its own frozen subclass."""
    kind: str


@dataclass(frozen=True)
class OverrideBounds:
    """A leaf's `override:` — an assessor may set its score (认定) within [min, max], and by
    at most max_change from the rules' score when that is given. No bounds: not allowed."""
    min: Decimal
    max: Decimal
    max_change: Decimal | None = None


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    points: Decimal
    children: tuple["Indicator", ...]
    name_en: str = ""
    confidence: str = ""
    basis: str = ""
    criteria: str = ""
    path: Path = ()
    ancestors: tuple[str, ...] = ()

    @cached_property
    def points2(self) -> Decimal:
        """The points to the cent, as scores are shown."""
        return self.points.quantize(Decimal("0.01"))

    def leaves(self) -> Iterator["Leaf"]:
        for c in self.children:
            yield from c.leaves()


@dataclass(frozen=True)
class Leaf:
    id: str
    name: str
    points: Decimal
    method: Params
    rules: tuple[Rule, ...] = ()
    reason: str = ""               # the method's own reason template (proportional, checklist, …)
    reason_en: str = ""
    facts_used: tuple[str, ...] = ()   # top-level facts the method reads (shown in reports)
    override: OverrideBounds | None = None   # None: no 认定 allowed
    name_en: str = ""
    confidence: str = ""
    basis: str = ""
    criteria: str = ""
    path: Path = ()
    ancestors: tuple[str, ...] = ()

    children: tuple["Indicator", ...] = field(default=(), init=False)   # a leaf has none

    @cached_property
    def points2(self) -> Decimal:
        return self.points.quantize(Decimal("0.01"))

    def leaves(self) -> Iterator["Leaf"]:
        yield self


Indicator = Union[Group, Leaf]


@dataclass(frozen=True)
class Grade:
    name: str
    min: Decimal
    name_en: str = ""


@dataclass(frozen=True)
class Spending:
    """Which facts a report's 部门整体收支情况 shows (the policy's optional `report:`)."""
    budget: str
    actual: str
    rate: str


@dataclass(frozen=True, eq=False)     # a policy is itself (its sha256 names its content)
class Policy:
    id: str
    title: str
    year: int
    version: str
    full_score: Decimal
    grades: tuple[Grade, ...]
    facts: Mapping[str, FactDecl]
    indicators: tuple[Indicator, ...]
    rules: tuple[Rule, ...]
    title_en: str = ""
    region: str = ""
    subject: str = "部门整体支出绩效"          # what the 自评结论 says was evaluated
    subject_en: str = "overall expenditure performance"
    file: str = ""
    sha256: str = ""
    official: bool = True         # chosen by its id; False: by a path, and then `id` is that path
    spending: Spending | None = None  # the facts of 部门整体收支情况 in a docx or HTML report

    def leaves(self) -> list[Leaf]:
        return self._leaves

    @cached_property
    def _leaves(self) -> list[Leaf]:
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
        out: dict[str, Indicator] = {}
        stack: list[Indicator] = list(self.indicators)
        while stack:
            ind = stack.pop()
            out[ind.id] = ind
            stack.extend(ind.children)
        return out

    @cached_property
    def leaf_index(self) -> dict[str, Leaf]:
        return {leaf.id: leaf for leaf in self.leaves()}

    @cached_property
    def always_fire(self) -> list[Leaf]:
        """Leaves where exactly one band or tier must fire for every department."""
        return [leaf for leaf in self.leaves() if leaf.method.kind in ("bands", "tiered")]

    def grade(self, score: Decimal, lang: str = "zh") -> str:
        for g in self.grades:
            if score >= g.min:
                return (g.name_en or g.name) if lang == "en" else g.name
        last = self.grades[-1]
        return (last.name_en or last.name) if lang == "en" else last.name


@dataclass(frozen=True)
class Department:
    """One department's facts, read and normalised against its policy."""

    file: str
    name: str
    values: Mapping[str, object]                 # top-level facts (declared and derived)
    items: Mapping[str, list[dict[str, object]]] = field(default_factory=dict)   # list facts
    short_name: str = ""
    code: str = ""                               # 部门编码
    year: int | None = None
    policy_ref: str | None = None
    claimed: Mapping[str, object] | None = None
    warnings: tuple[Note, ...] = ()              # what the report must point out (units converted, …)
    project: str = ""                            # a project self-evaluation names its project
    overrides: tuple["Override", ...] = ()       # assessor's judgements (认定), read and checked
    written: Mapping[str, object] = field(default_factory=dict)   # top-level facts as the file wrote them


@dataclass(frozen=True)
class Override:
    """One 认定 from a fact file: a leaf's score set (`score`) or moved (`adjust`) with a
    reason, optionally who decided and under which document. `at` locates it (a Problem
    with no message yet) so a bound only scoring can check is still reported at its line."""
    indicator: str
    reason: str
    score: Decimal | None = None
    adjust: Decimal | None = None
    by: str = ""
    document: str = ""
    at: Problem | None = None
