"""load.load_text's one-pass reading of plainly valid YAML (load._plain_data) gives exactly what
the full check and PyYAML's constructor give: the same data, of the same types, and the same
yes/no words noted; and anything it is unsure of goes the full way, so every problem is
located as before (the bad-input corpus and the fuzz tests check those)."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from conftest import EXAMPLES, ROOT, RULES
from perfrules import load
from perfrules.problems import InputError


def _both(text: str, monkeypatch):
    """(fast, full): each a (data, yaml11_bools) or the InputError's problems."""
    def run():
        try:
            doc = load.load_text(text, "x.yaml")
            return doc.data, set(doc.yaml11_bools)
        except InputError as exc:
            return [(p.code, p.line, p.col, p.path, p.message) for p in exc.problems]
    fast = run()
    with monkeypatch.context() as m:
        m.setattr(load, "_plain_data", lambda root, bools, aliases=True: load._UNSURE)
        full = run()
    return fast, full


def _typed(x):
    """Data with every value's type beside it (1 == True == Decimal(1) must not hide a change)."""
    if isinstance(x, dict):
        return [(_typed(k), _typed(v)) for k, v in x.items()]
    if isinstance(x, list):
        return [_typed(v) for v in x]
    return (type(x).__name__, str(x))


def _same(fast, full):
    if isinstance(full, tuple) and isinstance(fast, tuple):
        assert _typed(fast[0]) == _typed(full[0]) and fast[1] == full[1]
    else:
        assert fast == full


FILES = sorted([*EXAMPLES.rglob("*.yaml"), *RULES.rglob("*.yaml"), *(ROOT / "tests" / "bad_inputs").rglob("*.yaml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_and_bad_file_reads_alike(path, monkeypatch):
    text = path.read_bytes().decode("utf-8", errors="replace")
    _same(*_both(text, monkeypatch))


CASES = [
    "a: 1\nb: -0\nc: +5\nd: 1.50\ne: .5\nf: 1.\ng: true\nh: False\ni: ~\nj: null\nk:\nl: '1'\nm: \"x\"\n",
    "a: yes\nb: [on, 'off', n]\nc: {d: Y}\n",          # YAML 1.1 words: text, noted
    "a: 0100\n", "a: 1_000\n", "a: 1e5\n", "a: 0x1F\n", "a: 1:35\n",   # ambiguous numbers (E108)
    "a: 1\na: 2\n", "a: &x {b: 1}\nc: *x\n", "<<: {a: 1}\nb: 2\n", "? [a]\n: 1\n",
    "a: !!bool yes\n", "a: !!str 1\n", "a: !!int '3'\n", "a: !!float 1\n", "a: 2023-01-01\n", "a: !!timestamp 2023-01-01\n",
    "a: .inf\nb: -.Inf\nc: .nan\n", "1: a\ntrue: b\n1.5: c\n~: d\n", "a: =\n", "- 1\n- [2, {b: 3}]\n", "plain text\n",
    "year: 2023.0\n", "a: 2023.0e0\n", "a: !foo x\n", "a: !!binary aGk=\n",
    "a: &x 5\nb: *x\n", "a: &x [1]\nb: [*x, *x]\n", "a: '*x'\nb: 'R&D'\n",   # aliases of scalars and lists; a "*" in text
    "a:\n  b: {c: {d: [yes, {e: on}]}}\nf: [[n], {g: Off}]\n",   # yes/no words deep in maps and lists: their paths
]


@pytest.mark.parametrize("text", CASES)
def test_edge_cases_read_alike(text, monkeypatch):
    _same(*_both(text, monkeypatch))


_scalar = st.one_of(st.integers(-10**6, 10**6).map(str), st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
                    st.sampled_from(["true", "no", "Y", "~", "", "0o7", "1_0", "0012", "'x'", "\"1\"", "1:2", ".5", "3.", "-0"]),
                    st.text("ab中1.:-_ ", min_size=1, max_size=6))


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "1", "true", "<<", "d e"]), _scalar), max_size=6))
def test_generated_mappings_read_alike(pairs):
    text = "".join(f"{k}: {v}\n" for k, v in pairs)
    mp = pytest.MonkeyPatch()
    try:
        _same(*_both(text, mp))
    finally:
        mp.undo()


def test_a_valid_fact_file_takes_the_one_pass(monkeypatch):
    calls = []
    monkeypatch.setattr(load, "_check_size_and_duplicates", lambda doc: calls.append(doc))
    doc = load.load_file(EXAMPLES / "panyu-jiguan-gongwei-2023.yaml")
    assert calls == [] and isinstance(doc.data, dict) and isinstance(doc.data["claimed"]["score"], Decimal)


@given(st.one_of(_scalar, st.text(max_size=8)))
def test_a_remembered_tag_is_the_resolvers_tag(value):
    import yaml
    loader = load._Loader("")
    try:
        for _ in range(2):      # the second answer comes from the memo
            assert loader.resolve(yaml.ScalarNode, value, (True, False)) == \
                yaml.resolver.BaseResolver.resolve(loader, yaml.ScalarNode, value, (True, False))
        assert loader.resolve(yaml.MappingNode, None, (False, False)) == "tag:yaml.org,2002:map"
    finally:
        loader.dispose()
