"""What a YAML node tree must not hold, found in one walk over it, and the data of a tree that
holds none of it.

load.load_text composes a file's nodes (libyaml), then asks plain_data for its data: one pass
that builds the data and notes the YAML 1.1 yes/no words, for a tree of plain nodes only. On
anything it is unsure of it answers UNSURE, and load_text runs check_size_and_duplicates (alias
bombs, nesting, duplicate keys, ambiguous numbers, each a located problem) and PyYAML's
constructor on the same nodes, as it did before plain_data existed. A file that needs no
problem so costs one walk instead of two.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Protocol

import yaml

from .problems import InputError, Problem


class Document(Protocol):
    """What the full check needs of load.Document (which imports this module)."""
    root: yaml.Node | None
    yaml11_bools: set

    def problem_at(self, code: str, line: int, col: int, path: str = "$", message: str = "",
                   message_en: str = "") -> Problem: ...

MAX_NODES = 200_000                   # nodes after expanding aliases
MAX_DEPTH = 64                        # nesting depth of collections

YAML11_WORDS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())   # YAML 1.1 yes/no words
# Plain numbers YAML 1.1 and 1.2 read differently (or one of them as text): 0100 (octal 64 /
# 100), 0o17, 0x1F, 0b11, base 60 (1:35 = 95), 1_000, 1e5 and 1.5e3 (text / a number).
# Refused wherever they appear (E108), keys included.
_AMBIGUOUS_NUMBER = re.compile(r"""^[-+]?(?:0[0-9_]+|0[bBoOxX][0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
                                   |(?=[0-9_.]*_)(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
                                   |[0-9]+[eE][-+]?[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+)[eE][0-9]+)$""", re.X)


def json_path(path) -> str:
    out = "$"
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def check_size_and_duplicates(doc: Document) -> None:
    """Count nodes with aliases expanded (alias bombs) and find duplicate keys."""
    problems: list[Problem] = []
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def visit(node, path) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError([doc.problem_at("E105", node.start_mark.line + 1, node.start_mark.column + 1,
                                             "$", "别名（*）引用了自身，形成无限结构。", "An alias refers to itself.")])
        if len(path) > MAX_DEPTH:   # block-style nesting (flow style is caught by _check_depth)
            raise InputError([doc.problem_at("E105", node.start_mark.line + 1, node.start_mark.column + 1, "$",
                                             f"嵌套超过 {MAX_DEPTH} 层。", f"Nesting deeper than {MAX_DEPTH} levels.")])
        active.add(key)
        total = 1
        if isinstance(node, yaml.ScalarNode) and not node.style and _AMBIGUOUS_NUMBER.match(node.value):  # libyaml: ''
            problems.append(_ambiguous_number(doc, node, path))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen and k.value != "<<":
                        first = seen[k.value].start_mark.line + 1
                        problems.append(doc.problem_at(
                            "E104", k.start_mark.line + 1, k.start_mark.column + 1,
                            json_path(path + [k.value]),
                            f"字段“{k.value}”重复出现（第一次在第 {first} 行）；YAML 只会保留最后一个值。",
                            f"key '{k.value}' appears twice (first on line {first}).",
                        ))
                    seen.setdefault(k.value, k)
                    if isinstance(v, yaml.ScalarNode) and not v.style and v.value in YAML11_WORDS:  # libyaml: ''
                        doc.yaml11_bools.add(json_path(path + [k.value]))
                total += visit(k, path + [k.value]) + visit(v, path + [k.value])
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                if isinstance(v, yaml.ScalarNode) and not v.style and v.value in YAML11_WORDS:  # libyaml: ''
                    doc.yaml11_bools.add(json_path(path + [i]))
                total += visit(v, path + [i])
        active.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            raise InputError([doc.problem_at(
                "E105", node.start_mark.line + 1, node.start_mark.column + 1, "$",
                f"文件过大：展开别名（*）后超过 {MAX_NODES:,} 个值（内容太多，或是“别名炸弹”）。",
                f"Too large: over {MAX_NODES:,} values once aliases are expanded (too much content, or an alias bomb).")])
        return total

    visit(doc.root, [])
    if problems:
        raise InputError(problems)



def _ambiguous_number(doc: Document, node: yaml.ScalarNode, path: list) -> Problem:
    try:
        old = yaml.safe_load(node.value)       # how YAML 1.1 (PyYAML) reads it
    except yaml.YAMLError:
        old = node.value
    zh_old, en_old = (f"数 {old}", f"the number {old}") if isinstance(old, (int, float)) else ("文字", "text")
    return doc.problem_at(
        "E108", node.start_mark.line + 1, node.start_mark.column + 1, json_path(path),
        f"{node.value} 是含义不明的数字写法：旧版 YAML（1.1）读作{zh_old}，新版（1.2）读法不同。",
        f"{node.value} is an ambiguous number form: YAML 1.1 reads it as {en_old}, YAML 1.2 differently")


# ---- the one pass a plainly valid file takes ------------------------------------------------

UNSURE = object()
_TAG = "tag:yaml.org,2002:"
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,999})")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_BOOLS = {"true": True, "false": False}


class _Unsure(Exception):
    pass


_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_NUMBER_START = frozenset("+-.0123456789")     # how every _AMBIGUOUS_NUMBER begins


def _scalar(node: yaml.ScalarNode) -> object:
    value = node.value
    if not node.style and value[:1] in _NUMBER_START and _AMBIGUOUS_NUMBER.match(value):
        raise _Unsure
    tag = node.tag
    if tag == _STR:
        return value
    if tag == _INT and _PLAIN_INT.fullmatch(value):
        return int(value)
    if tag == _FLOAT and _PLAIN_FLOAT.fullmatch(value):
        return Decimal(value)
    if tag == _BOOL and value.lower() in _BOOLS:
        return _BOOLS[value.lower()]
    if tag == _NULL:
        return None
    raise _Unsure


def plain_data(root: yaml.Node, yaml11_bools: set, aliases: bool = True) -> object:
    """The data of a file in one pass over its nodes, with its yes/no words noted, when nothing
    in it needs a located problem and every node is plain: str, int, float, bool and null
    scalars written the one way both YAML versions read alike, maps with distinct plain keys,
    lists, no alias, no merge key, not too deep or large. Otherwise _UNSURE, and load_text runs
    check_size_and_duplicates and PyYAML's constructor from the same nodes, exactly as before this pass
    existed. Every value is what that constructor gives (_Loader's constructors). `aliases`
    False: the text has no "*", so no node can be met twice and none is remembered."""
    count = 0
    seen: set[int] = set()
    Scalar = yaml.ScalarNode

    def build(node: yaml.Node, path: tuple, depth: int) -> object:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            raise _Unsure
        if aliases:
            if id(node) in seen:     # an alias: the full check counts it
                raise _Unsure
            seen.add(id(node))
        kind = type(node)
        if kind is Scalar:
            return _scalar(node)     # type: ignore[arg-type]
        children = node.value
        if children and depth + 1 > MAX_DEPTH:
            raise _Unsure
        if kind is yaml.MappingNode and node.tag == _MAP:
            out: dict = {}
            keys: set[str] = set()
            for k, v in children:
                if type(k) is not Scalar or k.value in keys or k.value == "<<":
                    raise _Unsure          # a key that is no scalar, twice the same key (E104), a merge
                keys.add(k.value)
                if type(v) is Scalar and not aliases:
                    count += 2
                    if not v.style and v.value in YAML11_WORDS:
                        yaml11_bools.add(json_path(path + (k.value,)))
                    out[_scalar(k)] = _scalar(v)
                    continue
                where = path + (k.value,)
                if type(v) is Scalar and not v.style and v.value in YAML11_WORDS:
                    yaml11_bools.add(json_path(where))
                key = build(k, where, depth + 1)
                out[key] = build(v, where, depth + 1)
            if count > MAX_NODES:
                raise _Unsure
            return out
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            items = []
            for i, v in enumerate(children):
                if type(v) is Scalar and not v.style and v.value in YAML11_WORDS:
                    yaml11_bools.add(json_path(path + (i,)))
                items.append(build(v, path + (i,), depth + 1))
            return items
        raise _Unsure

    try:
        return build(root, (), 0)
    except _Unsure:
        return UNSURE
