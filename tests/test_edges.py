"""Every band, limit and condition decision is the exact Decimal comparison, at the edges.

For generated policies (bands covering the line, a per_unit limit, a proportional full_at,
deduction conditions against constants and against another fact, per_item bands over list
records) and facts placed at each edge and a millionth, a ten-millionth, 1e-12 and 1e-20
either side of it, both matchers (durable_rules and the plain-Python reference) fire exactly
what a comparison of exact Decimals says, computed here from the generated edges without
perfrules: the band that fires is the one `Interval.contains` picks, and the one this file's
own comparison picks. The facts go in through fact-file text (percents as `89.99999%`), so the
reading is under test too. Issue 9: 8,999,999 ÷ 10,000,000 used to become 90% and land in the
≥ 90% band.
"""
from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, note
from hypothesis import strategies as st

from conftest import dump
from perfrules import service
from perfrules.facts import read_department
from perfrules.load import load_text
from perfrules.matcher.reference import ReferenceMatcher
from perfrules.validate import policy_from_document

D = Decimal
STEPS = (D("1e-6"), D("1e-7"), D("1e-12"), D("1e-20"))
_R = "扣{扣分}分"


def text(x: Decimal) -> str:
    return "0" if x == 0 else format(x.normalize(), "f")


def shown(x: Decimal, percent: bool) -> str:
    """x as a fact file or an interval writes it: a percent as 89.99999%."""
    if not percent:
        return text(x)
    sign, digits, exp = x.as_tuple()
    return text(D((sign, digits, exp + 2))) + "%"


EDGE = st.builds(lambda m, k: D(m).scaleb(-k), st.integers(-10**9, 10**9), st.integers(0, 9))


@st.composite
def layouts(draw):
    """Edges, closedness of each band's ends, and the other constants, as data."""
    cuts = sorted(set(draw(st.lists(EDGE, min_size=1, max_size=4))))
    closed = draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts)))
    return {"percent": draw(st.booleans()), "cuts": cuts, "closed": closed,
            "limit": draw(EDGE), "direction": draw(st.sampled_from(["above", "below"])),
            "full_at": draw(st.builds(lambda m: D(m).scaleb(-4), st.integers(1, 30000))),
            "consts": draw(st.lists(EDGE, min_size=2, max_size=2)),
            "y_step": draw(st.sampled_from((D(0),) + STEPS + tuple(-s for s in STEPS)))}


def bands_of(lay) -> list[tuple]:
    """(lo, lo_closed, hi, hi_closed) covering the whole line; `closed[i]`: cut i belongs below."""
    out, lo, lo_c = [], None, False
    for c, below in zip(lay["cuts"], lay["closed"]):
        out.append((lo, lo_c, c, below))
        lo, lo_c = c, not below
    return out + [(lo, lo_c, None, False)]


def contains(band, x: Decimal) -> bool:
    lo, lc, hi, hc = band
    return (lo is None or x > lo or (lc and x == lo)) and (hi is None or x < hi or (hc and x == hi))


def interval_text(band, percent: bool) -> str:
    lo, lc, hi, hc = band
    return (("[" if lc else "(") + ("-inf" if lo is None else shown(lo, percent)) + ", "
            + ("+inf" if hi is None else shown(hi, percent)) + ("]" if hc else ")"))


def conditions(lay) -> list[tuple[str, object]]:
    """(condition text, its truth as a function of (x, y)) for the deductions leaf."""
    a, b = sorted(lay["consts"])
    p = lay["percent"]
    A, B = shown(a, p), shown(b, p)
    return [(f"x >= {A}", lambda x, y: x >= a), (f"x < {A}", lambda x, y: x < a),
            (f"x == {B}", lambda x, y: x == b), (f"x != {B}", lambda x, y: x != b),
            (f"{A} <= x < {B}", lambda x, y: a <= x < b), (f"x > {B} or x <= {A}", lambda x, y: x > b or x <= a),
            ("x < z", lambda x, y: x < y), ("x == z", lambda x, y: x == y), ("not x > z", lambda x, y: not x > y)]


def policy_of(lay):
    p = lay["percent"]
    t = "percent" if p else "number"
    bands = bands_of(lay)
    facts = [{"key": "x", "type": t, "required": True}, {"key": "z", "type": t, "required": True},
             {"key": "表", "type": "list", "fields": [{"key": "名称", "type": "text", "required": True},
                                                      {"key": "m", "type": t, "required": True}]}]
    leaf = lambda i, method: {"id": f"L{i}", "name": f"指标{i}", "points": 10, "method": method}
    band_list = [{"when": interval_text(b, p), "score": 9 - i % 9, "reason": _R} for i, b in enumerate(bands)]
    item_bands = [{"when": interval_text(b, p), "deduct": D(i + 1) / 10, "reason": _R} for i, b in enumerate(bands)]
    indicators = [
        leaf(1, {"kind": "bands", "value": "x", "bands": band_list}),
        leaf(2, {"kind": "per_unit", "value": "x", "limit": shown(lay["limit"], p), "unit": "1%" if p else 1, "deduct": D("0.01"),
                 "direction": lay["direction"], "reason": _R}),
        leaf(3, {"kind": "deductions", "rules": [{"when": c, "deduct": 1, "reason": _R} for c, _ in conditions(lay)]}),
        leaf(4, {"kind": "per_item", "items": "表", "measure": "m", "item_label": "名称", "bands": item_bands}),
        leaf(5, {"kind": "proportional", "rate": "x", "full_at": shown(lay["full_at"], True), "reason": _R})]
    data = {"id": "test/edges", "title": "边界", "year": 2023, "version": "1", "full_score": 50,
            "grades": [{"grade": "优", "min": 45}, {"grade": "差", "min": 0}], "facts": facts, "indicators": indicators}
    return policy_from_document(load_text(dump(data), "<policy>")), bands


def near(edges) -> list[Decimal]:
    """Each edge, and each step either side of it."""
    return sorted({e + s for e in edges for s in (D(0),) + STEPS + tuple(-s for s in STEPS)})


def expected(lay, bands, pol, x: Decimal, y: Decimal, records: list[Decimal]) -> set:
    """The firings an exact Decimal comparison gives, rule by rule."""
    rules = {r.leaf: [] for r in pol.rules}
    for r in pol.rules:
        rules[r.leaf].append(r.index)
    out = set()
    (band,) = [i for i, b in enumerate(bands) if contains(b, x)]
    out.add((rules["L1"][band], None))
    limit = lay["limit"]
    if (x > limit) if lay["direction"] == "above" else (x < limit):
        out.add((rules["L2"][0], None))
    for index, (_, truth) in zip(rules["L3"], conditions(lay)):
        if truth(x, y):
            out.add((index, None))
    for n, m in enumerate(records):
        out |= {(rules["L4"][i], n) for i, b in enumerate(bands) if contains(b, m)}
    if x < lay["full_at"]:
        out.add((rules["L5"][0], None))
    if x > lay["full_at"]:                     # above full_at: counted as full_at, and stated
        out.add((rules["L5"][1], None))
    return out


@given(lay=layouts(), data=st.data())
@example(lay={"percent": True, "cuts": [D("0.8"), D("0.9")], "closed": [False, False], "limit": D("0.9"),
              "direction": "above", "full_at": D("0.9"), "consts": [D("0.9"), D("0.8")], "y_step": D("1e-7")},
         data=None)
def test_every_decision_is_the_exact_comparison(lay, data):
    pol, bands = policy_of(lay)
    edges = [*lay["cuts"], lay["limit"], lay["full_at"], *lay["consts"]]
    values = near(edges)
    if data is not None:        # a sample of them, so an example stays quick; the explicit example takes all
        values = data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=12, unique=True), label="x values")
    svc, reference = service.default(), ReferenceMatcher()
    prepared = svc.prepared(pol)
    p = lay["percent"]
    for x in values:
        y = x + lay["y_step"]
        records = values[:8]
        facts = {"x": shown(x, p), "z": shown(y, p), "表": [{"名称": f"第{n}项", "m": shown(m, p)} for n, m in enumerate(records)]}
        dept = read_department(load_text(dump({"department": "测试部门", "facts": facts}), "<facts>"), pol)
        assert dept.values["x"] == x and dept.values["z"] == y          # read exactly as written
        want = expected(lay, bands, pol, x, y, records)
        note(f"x = {x}, z = {y}")
        durable, ref = svc.matcher.fired(prepared, dept), reference.fired(pol, dept)
        assert set(durable) == want, (sorted(set(durable) - want), sorted(want - set(durable)))
        assert ref == durable
        band_rules = [r for r in pol.rules if r.leaf == "L1"]
        assert [r.index for r in band_rules if r.interval is not None and r.interval.contains(x)] == \
            [i for i, _ in durable if pol.rules[i].leaf == "L1"]
