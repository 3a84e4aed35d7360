"""How a YAML syntax error is told to the people who typed it: PyYAML's message in Chinese,
JSON's messages likewise (zh_json), and the slips a Chinese input method makes (a full-width colon or space, a quote never closed)
found on or above the line the parser stopped at. Used by load.load_text.
"""
from __future__ import annotations

import re

_YAML_ZH = [
    ("could not find expected ':'", "缺少冒号“:”"),
    ("mapping values are not allowed", "这里不能出现“键: 值”，可能是缩进不对或值中的冒号需要加引号"),
    ("found character '\\t' that cannot start any token", "不能用 Tab 缩进，请改用空格"),
    ("found a tab character", "不能用 Tab 缩进，请改用空格"),
    ("found character that cannot start any token", "这里的字符（如 %、@、`）不能放在值的开头，请给整个值加引号"),
    ("',' or '}'", "花括号 { } 没有闭合，或其中的文字含有 { } : , 等符号，需要加引号"),
    ("',' or ']'", "方括号 [ ] 没有闭合，或其中的文字含有 [ ] : , 等符号，需要加引号"),
    ("did not find expected alphabetic or numeric character", "别名或锚点（* 或 &）后面应是英文字母或数字；若不是别名，请给值加引号"),
    ("second occurrence", "锚点（&）名称重复"),
    ("found unknown escape character", "双引号中的反斜杠“\\”后面是无法识别的转义，请改用单引号"),
    ("did not find expected node content", "这里缺少值"),
    ("did not find expected <document start>", "文档结束标记“...”之后还有内容"),
    ("found incompatible YAML document", "不支持的 YAML 版本声明"),
    ("found undefined tag handle", "使用了不支持的标签（!…），请删除它"),
    ("could not determine a constructor for the tag", "使用了不支持的标签（!…），请删除它；评分办法和事实文件不能含有程序对象"),
    ("block sequence entries are not allowed", "这里不能开始“- ”列表项：列表项要另起一行，并比上一级多缩进"),
    ("found unexpected end of stream", "文件意外结束，可能缺少右引号或右括号"),
    ("expected <block end>, but found", "缩进不一致"),
    ("did not find expected key", "缩进不一致或缺少“-”"),
    ("found undefined alias", "使用了未定义的别名（*）"),
    ("found unhashable key", "键不能是列表或映射"),
]


_QUOTE_START = re.compile(r"""^\s*(?:-\s+)?(?:[^\s"'#{}\[\]][^#]*?:\s+)?(["'])""")


def unclosed_quote(lines: list[str], upto: int) -> tuple[int, int] | None:
    """(line, col) of a value that opens a quote and never closes it on its line, before line upto."""
    for i, line in enumerate(lines[:max(upto - 1, 0)], 1):
        m = _QUOTE_START.match(line)
        if not m:
            continue
        rest = line[m.end():]
        closed = re.search(r'(?<!\\)"', rest) if m.group(1) == '"' else "'" in rest.replace("''", "")
        if not closed:
            return i, m.end()
    return None


_FULL_WIDTH_COLON = re.compile(r"""^\s*(?:-\s+)?[^\s:#'"{}\[\],][^:#'"]*?(：)""")
_ODD_INDENT = re.compile(r"^[ \t]*([\u00a0\u3000])")


def chinese_typing(lines: list[str], upto: int) -> tuple[int, int, str, str] | None:
    """A full-width colon after a key, or a full-width / no-break space in the indentation, on
    the error line or the two lines above it (the parser trips over the line after)."""
    for i in range(min(upto, len(lines)), max(upto - 3, 0), -1):
        m = _ODD_INDENT.match(lines[i - 1])
        if m:
            return (i, m.start(1) + 1, "这一行用全角空格或不换行空格缩进，YAML 只认半角空格",
                    "this line is indented with a full-width or no-break space")
        m = _FULL_WIDTH_COLON.match(lines[i - 1])
        if m:
            return (i, m.start(1) + 1, "这一行用了中文冒号“：”，“字段: 值”要用英文冒号加空格",
                    "this line uses a full-width colon '：'; write 'key: value'")
    return None


# json's own messages (json.JSONDecodeError.msg), for a JSON Lines line or a JSON request body
_JSON_ZH = [
    ("Expecting property name enclosed in double quotes", "键名要用英文双引号括起来（或多了一个逗号）"),
    ("Expecting value", "这里缺少值，或值的写法不对（文字要加英文双引号）"),
    ("Expecting ',' delimiter", "缺少逗号“,”"),
    ("Expecting ':' delimiter", "缺少冒号“:”"),
    ("Unterminated string starting at", "文字缺少右边的英文双引号"),
    ("Invalid control character at", "文字中有控制字符（如换行或 Tab），请删去或写作 \\n"),
    ("Invalid \\escape", "反斜杠“\\”后面是无法识别的转义"),
    ("Invalid \\uXXXX escape", "\\u 后面应是 4 位十六进制数"),
    ("Extra data", "一个 JSON 对象之后还有内容（一行只能有一个对象）"),
]


def zh_json(msg: str) -> str:
    """json's message in Chinese, the original beside it."""
    for en, zh in _JSON_ZH:
        if msg.startswith(en):
            return f"{zh}（{msg}）"
    return msg


def zh_yaml(detail: str) -> str:
    for en, zh in _YAML_ZH:
        if en in detail:
            return f"{zh}（{detail}）"
    return detail
