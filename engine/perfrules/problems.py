"""Problems in input files, as data: where, which code, what is wrong, how to fix it.

Every error a user can cause is a `Problem` (never a traceback). Codes are stable and each
has a page under docs/errors/. Messages are Chinese first, English beside them.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

# code -> (中文标题, English title, 中文提示, English hint)
CODES: dict[str, tuple[str, str, str, str]] = {
    # E1xx: reading the file
    "E101": ("文件无法读取", "file cannot be read", "检查文件路径是否正确、文件是否存在。", "Check that the path is right and the file exists."),
    "E102": ("文件编码无法识别", "unknown file encoding", "请将文件另存为 UTF-8 编码。", "Save the file as UTF-8."),
    "E103": ("YAML 语法错误", "YAML syntax error", "检查冒号、缩进和引号是否成对；冒号后要有空格。", "Check colons, indentation and quotes; put a space after each colon."),
    "E104": ("字段重复", "duplicate key", "同一层里每个字段只能写一次，删除多余的一处。", "Each key may appear once per mapping; delete the extra one."),
    "E105": ("文件或文档过大", "file or document too large", "评分办法和事实文件通常只有几百行；请检查是否误用了别名（*）或粘贴了多余内容。", "Policy and fact files are a few hundred lines; check for alias (*) expansion or pasted content."),
    "E106": ("文档结构不对", "wrong document shape", "文件最外层应是“字段: 值”的映射，且只能有一个文档。", "The top level must be one mapping of `key: value`."),
    "E107": ("含义不明的 yes/no/on/off", "ambiguous yes/no/on/off", "是非题请写 true 或 false；要写文字请加引号，如 \"no\"。", "Write true or false for yes/no; quote text such as \"no\"."),
    "E108": ("含义不明的数字写法", "ambiguous number form", "若是文字（如编号 \"0100\"）请加引号；若是数字请按十进制写，如 100、1000。", "Quote it if it is text (an id such as \"0100\"); write a number in decimal, e.g. 100 or 1000."),
    # E2xx: structure (JSON Schema)
    "E201": ("缺少必填字段", "missing required field", "按说明补上该字段。", "Add the field."),
    "E202": ("值的类型不对", "wrong type", "按说明填写正确类型的值（数字不要加引号，文字可加引号）。", "Give a value of the expected type."),
    "E203": ("未知字段", "unknown field", "检查字段名是否拼写正确；不需要的字段请删除。", "Check the spelling of the key, or delete it."),
    "E204": ("取值不在允许范围内", "value not allowed", "改为说明中列出的取值之一。", "Use one of the allowed values."),
    "E205": ("格式不符合要求", "value does not match the expected form", "按说明中的格式填写。", "Follow the documented form."),
    # E3xx: policy meaning
    "E301": ("下级指标分值之和与上级不符", "children's points do not add up", "调整下级指标分值，使其之和等于上级指标分值。", "Make the children's points add up to the parent's."),
    "E302": ("一级指标分值之和与满分不符", "top-level points do not add up to the full score", "调整一级指标分值，使其之和等于 full_score。", "Make the top-level points add up to full_score."),
    "E303": ("扣分或得分超过指标分值", "deduction or score larger than the indicator's points", "单项扣分或得分不能超过本指标分值。", "A single deduction or score cannot exceed the indicator's points."),
    "E304": ("引用了未声明的事实", "undeclared fact", "先在 facts 中声明该事实，或改正名字。", "Declare the fact under facts, or fix the name."),
    "E305": ("编号重复", "duplicate id", "每个指标编号、事实名称只能使用一次。", "Each indicator id and fact key must be unique."),
    "E306": ("分档区间重叠", "bands overlap", "调整区间端点，使每个值只落入一个档次；用 [ ] 表示含端点，( ) 表示不含。", "Adjust the bounds so each value falls into one band; [ ] includes an end, ( ) excludes it."),
    "E307": ("分档区间有空隙", "bands leave a gap", "补上缺少的区间，使所有可能的值都有对应档次。", "Add the missing interval so every value has a band."),
    "E308": ("公式或条件无法解析", "formula or condition does not parse", "检查括号是否成对、运算符是否完整，例如：实际支出数 / 全年预算数。", "Check brackets and operators, e.g. 实际支出数 / 全年预算数."),
    "E309": ("公式中使用了不允许的写法", "formula uses something not allowed", "公式只能使用事实名、数字、+ - * /、比较、and/or/not、if…else，以及 min、max、abs、round。", "Formulas may use fact names, numbers, + - * /, comparisons, and/or/not, if-else, min, max, abs, round."),
    "E310": ("说明模板引用了未知字段", "reason template names an unknown field", "花括号中只能写已声明的事实名或本方法提供的字段（如 {扣分}）。", "Braces may name declared facts or this method's fields (e.g. {扣分})."),
    "E311": ("事实类型与用法不符", "fact type does not fit its use", "换用类型合适的事实，或修改该事实的 type。", "Use a fact of a suitable type, or change its type."),
    "E312": ("区间写法错误", "malformed interval", "区间写成 [下限, 上限) 的形式，例如 \"(10%, 20%]\"、\"[90%, +inf)\"。", "Write intervals like \"(10%, 20%]\" or \"[90%, +inf)\"."),
    "E313": ("等级设置错误", "grade bands are wrong", "等级按 min 从高到低排列，最低一档 min 为 0。", "List grades from the highest min down; the lowest has min 0."),
    "E314": ("派生事实循环引用", "derived facts refer to each other in a loop", "检查公式，去掉循环引用。", "Break the loop between formulas."),
    "E315": ("评分办法超出引擎上限", "policy beyond the engine's limits", "规则数、条件的分支数和文字长度都有上限（见 docs/policy-language.md §17）；拆分条件或规则，或缩短文字。", "Rules, branches of a condition and texts have limits (docs/policy-language.md §17); split the condition or rules, or shorten the text."),
    "E316": ("常数与事实的类型不符", "constant written in a form its fact does not take", "与百分比事实比较的数要带 %，如 100%、1%（0 可以不带）；金额和个数不用 %。", "Write numbers compared with a percent fact with %, e.g. 100% or 1% (0 may be bare); amounts and counts take no %."),
    # E4xx: fact files
    "E401": ("缺少必填事实", "missing required fact", "在 facts 中补上该事实。", "Add the fact under facts."),
    "E402": ("事实的值无法识别", "fact value not understood", "按该事实的类型填写：数字、百分比（如 98.83%）、金额（万元）、true/false 或文字。", "Give a value of the fact's type: number, percent (98.83%), money (10k yuan), true/false or text."),
    "E403": ("未知事实", "unknown fact", "检查事实名称是否与评分办法中声明的一致。", "Check the key against the facts the policy declares."),
    "E404": ("数值含义不明确", "ambiguous number", "百分比请带上 %，例如 98.83%；金额请写明单位，例如 690.47万元。", "Write percents with %, e.g. 98.83%; write money with its unit, e.g. 690.47万元."),
    "E405": ("无法计算派生事实", "derived fact cannot be computed", "检查公式用到的事实，例如除数不能为 0。", "Check the facts the formula uses; a divisor cannot be 0."),
    "E406": ("找不到评分办法", "policy not found", "用 --policy 指定评分办法编号或文件，或在事实文件中写 policy: 编号；`perfrules policies` 列出已有的办法。", "Pass --policy ID|PATH or write `policy: ID` in the fact file; `perfrules policies` lists them."),
    "E407": ("数值超出允许范围", "value out of range", "检查数值是否填错，或单位是否正确。", "Check the number and its unit."),
    "E408": ("手工评分缺少说明或超出分值", "manual score without a reason or out of range", "手工评分须填写 0 到分值之间的分数，并写明理由。", "A manual score must lie between 0 and the points and carry a reason."),
    "E409": ("认定不被允许或超出范围", "override refused", "认定须写明理由，只能用于评分办法允许认定（override）的最下级指标，且在其允许的范围之内。", "An override needs a reason, a leaf whose policy allows it (override) and a score within its bounds."),
    "E410": ("加权指标的权重与分值不符", "weights do not carry the indicator's points", "逐项加权计分（weighted）的各项权重之和应等于指标分值；检查权重是否填错、是否漏填了指标。", "The weights of a weighted indicator must add up to its points; check the weights and look for a missing row."),
    # E5xx: policy test cases
    "E501": ("测试用例写法错误", "malformed test case", "每个用例需要 name 和 expect（可加 facts、remove）；base 应指向存在的事实文件。", "Each case needs name and expect (facts and remove are optional); base must name an existing fact file."),
    # E6xx: usage
    "E601": ("输出文件无法写入", "output file cannot be written", "检查输出目录是否存在、是否有写入权限。", "Check that the output folder exists and is writable."),
    "E602": ("用法错误", "usage error", "运行 perfrules --help 查看用法。", "Run perfrules --help."),
}


@dataclass(frozen=True)
class Problem:
    """One located problem. `line`/`col` are 1-based; 0 means 'the whole file'."""

    code: str
    message: str
    message_en: str = ""
    file: str = ""
    line: int = 0
    col: int = 0
    path: str = "$"
    hint: str = ""
    hint_en: str = ""
    source_line: str = ""

    def text(self, lang: str) -> str:
        return self.message_en or self.message if lang == "en" else self.message

    def help(self, lang: str) -> str:
        zh_title, en_title, zh_hint, en_hint = CODES[self.code]
        if lang == "en":
            return self.hint_en or en_hint
        return self.hint or zh_hint

    def as_dict(self, lang: str = "zh") -> dict:
        return {
            "code": self.code,
            "title": CODES[self.code][1 if lang == "en" else 0],
            "message": self.text(lang),
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "hint": self.help(lang),
            "doc": f"perfrules explain {self.code}",
        }


# code -> (中文标题, English title): warnings a report shows; the score stands, a person should look
NOTES: dict[str, tuple[str, str]] = {
    "W101": ("金额已换算为声明的单位", "amount converted to its declared unit"),
    "W102": ("金额与声明的单位不相称", "amount implausible for its declared unit"),
    "W103": ("必填清单没有记录", "a required list has no records"),
}


@dataclass(frozen=True)
class Note:
    """A located warning carried with a department's result and printed on its report (提示):
    never an error (the file scores), never silent (the report says it)."""

    code: str
    message: str
    message_en: str = ""
    file: str = ""
    line: int = 0
    col: int = 0
    path: str = "$"

    def text(self, lang: str) -> str:
        return self.message_en or self.message if lang == "en" else self.message

    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file

    def as_dict(self, lang: str = "zh") -> dict:
        return {"code": self.code, "title": NOTES[self.code][1 if lang == "en" else 0], "message": self.text(lang),
                "file": self.file, "line": self.line, "col": self.col, "path": self.path}


class InputError(Exception):
    """Raised with the problems that make an input unusable (exit code 2)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message if problems else "invalid input")
        self.problems = problems


def show_value(value: object, en: bool = False) -> str:
    """A value a user wrote, as a message quotes it: text in quotes (30 characters at most),
    true/false, 空值/nothing, a list or mapping by its kind."""
    if isinstance(value, str):
        return f"'{value[:30]}'" if en else f"“{value[:30]}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing" if en else "空值"
    if isinstance(value, (list, dict)):
        if en:
            return "a list" if isinstance(value, list) else "a mapping"
        return "（列表）" if isinstance(value, list) else "（映射）"
    return str(value)


def suggest(name: str, candidates) -> str | None:
    """The closest candidate to a misspelt name, for 'did you mean'."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return found[0] if found else None


def did_you_mean(name: str, candidates, lang: str = "zh") -> str:
    best = suggest(name, candidates)
    if not best:
        return ""
    return f"是否想写“{best}”？" if lang == "zh" else f"Did you mean '{best}'?"


def cell_width(text: str) -> int:
    """Terminal cells taken by text: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(problem: Problem, lang: str = "zh") -> str:
    """file:line:col: 错误 [CODE] message, then the source line, a caret, the path and a hint."""
    level = "error" if lang == "en" else "错误"
    where = problem.file or "<input>"
    if problem.line:
        where += f":{problem.line}:{problem.col}"
    out = [f"{where}: {level} [{problem.code}] {problem.text(lang)}"]
    if problem.source_line and problem.line:
        gutter = f"{problem.line:>5} | "
        src = problem.source_line.rstrip("\n").expandtabs(1)
        before = src[: max(problem.col - 1, 0)]
        if len(src) > 120:   # a very long line: show 120 characters around the column
            start = max(len(before) - 60, 0)
            before = ("..." if start else "") + before[start:]
            src = ("..." if start else "") + src[start:start + 120] + ("..." if start + 120 < len(src) else "")
        out.append(gutter + src)
        caret_at = cell_width(before)
        out.append(" " * (len(gutter) - 2) + "| " + " " * caret_at + "^")
    label = ("path", "hint", "see") if lang == "en" else ("位置", "提示", "说明")
    out.append(f"  {label[0]}: {problem.path}")
    out.append(f"  {label[1]}: {problem.help(lang)}")
    out.append(f"  {label[2]}: perfrules explain {problem.code}")
    return "\n".join(out)


def render_all(problems: list[Problem], lang: str = "zh", verbose: bool = False) -> str:
    """The most relevant problem first; the rest only with --verbose."""
    if not problems:
        return ""
    shown = problems if verbose else problems[:1]
    parts = [render(p, lang) for p in shown]
    rest = len(problems) - len(shown)
    if rest:
        parts.append(
            f"还有 {rest} 个错误，使用 --verbose 查看全部。" if lang == "zh"
            else f"{rest} more error(s); use --verbose to see all."
        )
    return "\n".join(parts)
