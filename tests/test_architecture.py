"""The shape of the engine: no import cycles, one module per scoring method registered by the
schema's kinds, the two matchers behind one seam, and the defects the reshaping fixed."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import PANYU_FACTS, ROOT

ENGINE = ROOT / "engine" / "perfrules"


def _modules() -> dict[str, Path]:
    out = {}
    for p in ENGINE.rglob("*.py"):
        name = ".".join(("perfrules",) + p.relative_to(ENGINE).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The engine modules `name` imports (a package import counts as its __init__)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names]
            # `from . import workers` needs the module workers; `from .x import y` needs x
            targets = subs if all(t in modules for t in subs) else [target] + subs
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        found.update(t for t in targets if t in modules and t != name)
    return found


def test_no_import_cycle_among_engine_modules():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    done: set[str] = set()

    def visit(m: str, trail: list[str]) -> None:
        if m in trail:
            raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(m):] + [m]))
        if m in done:
            return
        for n in sorted(graph[m]):
            visit(n, trail + [m])
        done.add(m)
    for m in sorted(graph):
        visit(m, [])


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    """The check above can fail: two modules importing each other are reported."""
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("from .a import x\n")
    modules = {"perfrules.a": tmp_path / "a.py", "perfrules.b": tmp_path / "b.py"}
    assert _imports("perfrules.a", modules["perfrules.a"], modules) == {"perfrules.b"}
    assert _imports("perfrules.b", modules["perfrules.b"], modules) == {"perfrules.a"}


def test_every_schema_kind_has_exactly_one_method_module():
    from perfrules.methods import METHODS
    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text("utf-8"))
    kinds = set()
    for node in _walk_json(schema):
        if isinstance(node, dict) and "kind" in node.get("properties", {}):
            kind = node["properties"]["kind"]
            kinds.update(kind.get("enum", []) or ([kind["const"]] if "const" in kind else []))
    assert kinds and set(METHODS) == kinds
    for kind, method in METHODS.items():
        assert method.kind == kind
        assert (ENGINE / "methods" / f"{kind}.py").is_file()


def _walk_json(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk_json(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_json(v)


def test_the_model_is_frozen_and_rules_compare_as_values():
    import dataclasses
    from perfrules.service import evaluate_file
    result = evaluate_file(PANYU_FACTS)
    policy = result.policy
    rule = policy.rules[0]
    assert rule == dataclasses.replace(rule)          # no pointer back to its indicator: no recursion
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.rules[0].deduct = None               # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.leaves()[0].points = 0               # type: ignore[misc]
    assert all(not hasattr(g, "method") for g in policy.indicators)   # groups have no method


def test_both_matchers_fire_the_same_rules_on_the_shipped_examples():
    from perfrules import service
    from perfrules.matcher.reference import ReferenceMatcher
    for facts in (PANYU_FACTS, ROOT / "examples" / "national-project-2024.yaml"):
        result = service.evaluate_file(facts)
        svc = service.default()
        durable = svc.matcher.fired(svc.prepared(result.policy), result.department)
        assert durable and durable == ReferenceMatcher().fired(result.policy, result.department)


def test_a_released_ruleset_is_prepared_again():
    from perfrules.matcher.durable import DurableMatcher
    from perfrules.service import evaluate_file
    result = evaluate_file(PANYU_FACTS)
    m = DurableMatcher()
    prepared = m.prepare(result.policy)
    first = m.fired(prepared, result.department)
    m.release(prepared)
    assert m.fired(m.prepare(result.policy), result.department) == first


def test_the_service_releases_rulesets_beyond_what_it_keeps():
    from perfrules.service import Service, evaluate_file
    policy = evaluate_file(PANYU_FACTS).policy

    class Counting:
        def __init__(self):
            self.prepared, self.released = 0, 0

        def prepare(self, p):
            self.prepared += 1
            return p

        def release(self, p):
            self.released += 1

        def fired(self, p, d):
            return []

    import dataclasses
    counting = Counting()
    svc = Service(matcher=counting, keep=2)
    for i in range(5):
        svc.prepared(dataclasses.replace(policy, sha256=f"{i:064d}"))
    assert (counting.prepared, counting.released) == (5, 3)


def test_per_unit_excess_never_goes_below_zero():
    """Scoring enforces its own range: a value on the right side of the limit deducts nothing,
    whatever a matcher reported."""
    from decimal import Decimal
    from perfrules.methods.per_unit import METHOD, PerUnitParams
    from perfrules.model import Compare, Leaf, Rule
    params = PerUnitParams("per_unit", "x", Decimal(1), Decimal("0.01"), "above", "exact", Decimal("0.5"))
    rule = Rule(0, "P", Compare("x", ">", Decimal(1)), fact="x", deduct=Decimal("0.5"))
    leaf = Leaf("P", "p", Decimal(10), params, rules=(rule,))
    out = METHOD.score(leaf, [(0, None)], [rule], {"x": Decimal("0.5")}, {})
    assert out.deduction == 0
