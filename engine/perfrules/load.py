"""Step 1 — load: read a YAML file safely and keep where every value came from.

Safe by construction: a SafeLoader subclass (never the full Loader), numbers read exactly as
Decimal, only true/false are booleans (YAML 1.1's yes/no/on/off stay text and are flagged by
the validators), dates stay strings, duplicate keys, alias bombs and huge files are refused,
and GBK/GB18030 or BOM-prefixed files are read. Every failure is a located Problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .encoding import MAX_FILE_BYTES, decode, read_text  # re-exported: how a file becomes text
from .problems import InputError, Problem
from .yaml_errors import chinese_typing, unclosed_quote, zh_yaml
from .yaml_nodes import MAX_DEPTH, MAX_NODES, YAML11_WORDS, json_path  # noqa: F401  (re-exported: the loader's limits)
from .yaml_nodes import UNSURE as _UNSURE, check_size_and_duplicates as _check_size_and_duplicates, \
    plain_data as _plain_data
from .yaml_nodes import _AMBIGUOUS_NUMBER  # noqa: F401  (re-exported: tests write ambiguous numbers quoted)

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class _Loader(_Base):
    """SafeLoader with exact numbers and YAML 1.2-style booleans."""

    yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
        for k, v in _Base.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_PLAIN_TAGS: dict[str, str] = {}      # plain scalar text -> its tag (at most _MEMO entries)
_MEMO = 20_000


def _resolve(self, kind, value, implicit):
    """BaseResolver.resolve's answer, with a plain scalar's tag remembered by its text: _Loader
    has no path resolvers, so a plain scalar's tag depends on its text alone, and the keys and
    words of fact files recur (the composer asks this for every node of every file)."""
    if kind is yaml.ScalarNode and implicit[0]:
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)
            if len(_PLAIN_TAGS) < _MEMO:
                _PLAIN_TAGS[value] = tag
        return tag
    return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)


assert not _Loader.yaml_path_resolvers    # what makes _resolve's memo sound
_Loader.resolve = _resolve
# Without path resolvers, BaseResolver's descend_resolver(node, index) and ascend_resolver()
# do nothing; libyaml's composer still calls both for every node. Builtins that take the same
# arguments and touch nothing stand in for them: C calls, not Python frames (measured: ~10%
# of loading a fact file).
_Loader.descend_resolver = staticmethod({}.get)
_Loader.ascend_resolver = staticmethod(tuple)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return float(yaml.SafeLoader.construct_yaml_float(loader, node))  # .inf / .nan
    return value if value.is_finite() else float(value)


def _construct_timestamp_as_text(loader, node):
    return loader.construct_scalar(node)


def _construct_int(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:   # over Python's 4,300-digit limit for int(str): located, not a crash
        raise yaml.constructor.ConstructorError(
            None, None, f"整数位数过多（{len(node.value)} 个字符）/ integer too long", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)

@dataclass
class Document:
    """A loaded file: its data, its node tree (for line:col) and its text lines."""

    file: str
    data: object
    root: yaml.Node | None
    lines: list[str] = field(default_factory=list)
    yaml11_bools: set = field(default_factory=set)   # paths of plain yes/no/on/off scalars
    _keys: dict = field(default_factory=dict, repr=False)   # id(mapping node) -> {key text: (key, value)}
    aliases: dict = field(default_factory=dict, repr=False)  # path as a reader names it -> path as written (Ａ率 for A率)

    def _entry(self, node: yaml.MappingNode, step):
        """(key node, value node) for a key, by an index built once per mapping (a file with
        100,000 unknown keys must not take 100,000² steps to locate them)."""
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    index.setdefault(k.value, (k, v))
            self._keys[id(node)] = index
        return index.get(str(step))

    def written(self, path) -> tuple:
        """The path as the file spells it (a reader may name a key otherwise: see aliases)."""
        path = tuple(path)
        for n in range(len(path), 0, -1) if self.aliases else ():
            if path[:n] in self.aliases:
                return tuple(self.aliases[path[:n]]) + path[n:]
        return path

    def node_at(self, path) -> yaml.Node | None:
        """Walk the node tree along a path of keys and indices; stop at the deepest found."""
        path = self.written(path)
        node = self.root
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                entry = self._entry(node, step)
                child = entry[1] if entry else None
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                child = node.value[step]
            if child is None:
                break
            node = child
        return node

    def key_node_at(self, path) -> yaml.Node | None:
        """The key node of the last step (to point at a key rather than its value)."""
        if not path:
            return self.root
        path = self.written(path)
        parent = self.node_at(path[:-1])
        if isinstance(parent, yaml.MappingNode):
            entry = self._entry(parent, path[-1])
            if entry:
                return entry[0]
        return self.node_at(path)

    def problem(self, code, path=(), message="", message_en="", hint="", hint_en="", at_key=False) -> Problem:
        node = self.key_node_at(path) if at_key else self.node_at(path)
        line = col = 0
        if node is not None:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        return self.problem_at(code, line, col, json_path(self.written(path)), message, message_en, hint, hint_en)

    def problem_at(self, code, line, col, path="$", message="", message_en="", hint="", hint_en="") -> Problem:
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Problem(code, message, message_en, self.file, line, col, path, hint, hint_en, source)


def load_file(path: str | Path) -> Document:
    return load_text(read_text(path), str(path))


def load_text(text: str, file: str = "<input>") -> Document:
    """Parse YAML text into a Document, or raise InputError with located problems."""
    doc = Document(file, None, None, text.splitlines())
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:   # a lone surrogate (only a str from a caller can hold one): PyYAML crashes on it
        line, col = text.count("\n", 0, exc.start) + 1, exc.start - text.rfind("\n", 0, exc.start)
        raise InputError([doc.problem_at("E102", line, col, "$", f"文本含有无法编码的字符 U+{ord(text[exc.start]):04X}。",
                                         f"The text holds a character that cannot be encoded: U+{ord(text[exc.start]):04X}.")])
    if size > MAX_FILE_BYTES:
        raise InputError([doc.problem_at("E105", 0, 0, "$", "文档超过大小上限。", "The document is over the size limit.")])
    if "\x00" in text:
        at = text.index("\x00")
        raise InputError([doc.problem_at("E102", text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at), "$",
                                         "文件含有空字符，不是文本文件。", "The file contains NUL characters.")])
    _check_depth(text, doc)
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            if "single document" in str(exc):  # libyaml puts it in exc.context
                mark = exc.problem_mark
                assert mark is not None
                raise InputError([doc.problem_at(
                    "E106", mark.line + 1, mark.column + 1, "$",
                    "文件中有多个 YAML 文档（---）；一个文件只能有一个。",
                    "The file holds several YAML documents (---); one is allowed.")])
            raise
        if root is None:
            raise InputError([doc.problem_at("E106", 1, 1, "$", "文件是空的。", "The file is empty.")])
        doc.root = root
        data = _plain_data(root, doc.yaml11_bools, aliases="*" in text)
        if data is _UNSURE:     # the full check and PyYAML's constructor, which locate every problem
            doc.yaml11_bools.clear()
            _check_size_and_duplicates(doc)
            data = loader.construct_document(root)
        doc.data = data
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        detail = (exc.problem or exc.context or "").strip()
        zh = zh_yaml(detail)
        if "maximum nesting depth" in detail:
            raise InputError([doc.problem_at("E105", line, col, "$", f"嵌套超过上限（{detail}）。", f"Nesting too deep ({detail}).")])
        if 0 < line <= len(doc.lines) and doc.lines[line - 1][col - 1:col] == "\t":
            zh = f"不能用 Tab 缩进或分隔，请改用空格（{detail}）"
        quote = unclosed_quote(doc.lines, line)
        typed = chinese_typing(doc.lines, line)
        if quote:   # the parser noticed only lines later: point at the quote that never closes
            line, col = quote
            zh, detail = f"这一行的引号没有配对，后面的内容都被当成了文字（{detail}）", f"this quote is never closed ({detail})"
        elif typed:   # a Chinese input method's colon or space, on this line or just above
            line, col, zh, en = typed
            zh, detail = f"{zh}（{detail}）", f"{en} ({detail})"
        raise InputError([doc.problem_at(
            "E103", line, col, "$", f"YAML 语法错误：{zh}", f"YAML syntax error: {detail}")])
    except yaml.reader.ReaderError as exc:
        ch = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        pos = text.find(chr(ch))   # libyaml's position counts bytes, not characters
        pos = pos if pos >= 0 else min(max(exc.position, 0), len(text))
        line, col = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        raise InputError([doc.problem_at(
            "E103", line, col, "$", f"YAML 语法错误：文件含有不允许的控制字符 #x{ch:04x}，请删除它。",
            f"YAML syntax error: control character #x{ch:04x} is not allowed")])
    except yaml.YAMLError as exc:
        raise InputError([doc.problem_at("E103", 0, 0, "$", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}")])
    except (RecursionError, MemoryError):
        raise InputError([doc.problem_at("E105", 0, 0, "$", "文档嵌套过深或过大。", "The document is nested too deep or too large.")])
    finally:
        loader.dispose()
    return doc


def _check_depth(text: str, doc: Document) -> None:
    """Refuse absurd nesting before the parser recurses into it."""
    if text.count("[") + text.count("{") < MAX_DEPTH:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    assert m is not None
                    raise InputError([doc.problem_at(
                        "E105", m.line + 1, m.column + 1, "$",
                        f"嵌套超过 {MAX_DEPTH} 层。", f"Nesting deeper than {MAX_DEPTH} levels.")])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return  # the real parse reports it with its location
