"""template.fill walks a template cut once into pieces (template._pieces); it must fill every
template exactly as the one-pass regex substitution it replaced, kept here as the reference,
malformed templates ([[ without ]], { without }) and empty stretches included."""
from decimal import Decimal

from hypothesis import given, strategies as st

from perfrules import template
from perfrules.template import _PART, TEMPLATE_FIELD, show


def reference_fill(text, values, lang="zh"):
    edges = values.get("_edges") or {}

    def one(name, spec):
        name = name.strip()
        return show(values.get(name, ""), (spec or "").strip(), lang, edges.get(name, ()))

    def part(m):
        if m.group(1) is None:
            return one(m.group(2), m.group(3))
        inner = m.group(1)
        if any(values.get(f.group(1).strip()) in (None, "", [], ()) for f in TEMPLATE_FIELD.finditer(inner)):
            return ""
        return TEMPLATE_FIELD.sub(lambda f: one(f.group(1), f.group(2)), inner)
    return _PART.sub(part, text)


ATOMS = ["扣", "{扣分}", "{ 扣分 :.2f}", "{率:%}", "{率:.1%}", "{项目}", "{缺:、}", "[[有{项目}，]]", "[[{空}x]]",
         "[[]]", "[[{率:%}{扣分}]]", "{", "}", "[[", "]]", "{x:y}", "a", "{空}", ":", "{无}", "\n"]
VALUES = {"扣分": Decimal("0.5"), "率": Decimal("0.98833"), "项目": ["甲", "乙"], "缺": ["a", "b", "c"], "空": "", "x": 3,
          "_edges": {"率": (Decimal("0.9"),)}}


@given(st.lists(st.sampled_from(ATOMS), max_size=10), st.sampled_from(["zh", "en"]))
def test_pieces_fill_as_the_regex_did(atoms, lang):
    text = "".join(atoms)
    assert template.fill(text, VALUES, lang) == reference_fill(text, VALUES, lang)
