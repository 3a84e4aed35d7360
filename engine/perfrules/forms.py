"""Fill-in forms generated from a policy: `perfrules template POLICY -o 填报表.xlsx|.yaml`.

Department staff do not know which facts a policy reads (facts with defaults are never
asked for, yet carry points). A form lists every fact the policy reads, in the policy's
order, with its label, unit, type and whether it is required or has a default (filled in and
marked as such); the staff fill it in and hand it back as the input (readers/xlsx.py reads
the workbook form, the YAML form is an ordinary fact file).

Workbook layout (readers/xlsx.py relies on it; docs/input-formats.md shows it to users):
- 说明: the policy's title and version, how to fill the form;
- 填报: a header row (FACT_HEADER), then one row a fact: the 基本信息 rows (policy,
  department, …) first, then the policy's facts; column C is the input cell, with data
  validation; hidden columns H and I hold the value the form wrote as a default and the
  fact's type, so that a default left as it is still reads as the default;
- 自报: the claimed score and deductions, for `perfrules audit` (optional);
- one sheet per list fact, named by its key: a header row of field keys, one record a row.
"""
from __future__ import annotations

import io
from decimal import Decimal

from .expr import fmt, shift
from .model import FactDecl, Policy
from .reproducible import fixed_zip

SHEET = "填报"
FACT_HEADER = ("名称", "键名", "填写值", "单位", "类型", "必填/默认", "说明", "模板默认值", "类型键")
INPUT_COL, UNIT_COL, DEFAULT_COL, TYPE_COL = 3, 4, 8, 9
TYPE_NAMES = {"number": "数字", "percent": "百分比", "money": "金额", "count": "个数", "boolean": "是/否",
              "text": "文字", "texts": "文字列表（多项用；分隔）", "choice": "选项", "list": "记录列表"}
# 基本信息: the document's own fields, as rows above the facts (key, label, required)
BASICS = (("policy", "评分办法", True), ("department", "部门", True), ("short_name", "简称", False),
          ("code", "部门编码", False), ("year", "年度", False), ("project", "项目", False))
_PERCENT_FORMAT = "0.00%"
# 自报: what the department claims (its 自评结论), for `perfrules audit`: the score in B1, then
# one deduction a row under CLAIMS_HEADER (row 3)
CLAIMS, CLAIMS_HEADER = "自报", ("指标编号", "扣分", "扣分原因")


def inputs(policy: Policy) -> list[FactDecl]:
    """The facts a department gives (derived facts are computed, never asked for)."""
    return [d for d in policy.facts.values() if not d.derived]


def unit_of(decl: FactDecl) -> str:
    return {"money": decl.unit or "万元", "percent": "%"}.get(decl.type, "")


def need(decl: FactDecl) -> str:
    """必填 / 默认：X / 选填, as the form shows it."""
    if decl.required:
        return "必填"
    if decl.has_default:
        return f"默认：{cell_value(decl, decl.default) or '（空）'}（已填入，可修改）"
    return "选填"


def cell_value(decl: FactDecl, value: object) -> object:
    """A fact's value as a form cell holds it: 是/否, a number, a percent as a fraction
    (the cell is formatted 0.00%), a list of texts joined with ；."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return value


def _validation(ws, decl: FactDecl, ref: str) -> None:
    """A drop-down for 是/否 and choices, bounds for numbers, on the cells `ref`."""
    from openpyxl.worksheet.datavalidation import DataValidation
    if decl.type == "boolean":
        dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    elif decl.type == "choice" and decl.options:
        dv = DataValidation(type="list", formula1='"' + ",".join(decl.options) + '"', allow_blank=True)
    elif decl.type in ("number", "money", "count", "percent") and (decl.min is not None or decl.max is not None):
        low = decl.min if decl.min is not None else Decimal("-1e15")     # a percent's bounds are fractions, as its cell
        high = decl.max if decl.max is not None else Decimal("1e15")
        dv = DataValidation(type="whole" if decl.type == "count" else "decimal", operator="between",
                            formula1=str(low), formula2=str(high), allow_blank=True)
    else:
        return
    dv.error, dv.errorTitle = f"{decl.label or decl.key}：取值不在允许范围内", "perfrules"
    ws.add_data_validation(dv)
    dv.add(ref)


def workbook(policy: Policy) -> bytes:
    """The xlsx form for a policy, as bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    wb = Workbook()
    about = wb.active
    about.title = "说明"
    lists = [d for d in inputs(policy) if d.type == "list"]
    for row in ((policy.title,), (f"评分办法 {policy.id}，版本 {policy.version}，年度 {policy.year}",), (),
                ("填写方法：在“填报”表的“填写值”一列（C 列）逐项填写；带下拉的格子从下拉中选。",),
                ("金额按“单位”列的单位填写数字；百分比格子已设为百分比格式，输入 98.83 或 98.83% 均可。",),
                ("标“默认”的事实已填入默认值：不改即按默认值计分，情况不同请改写。",),
                *((f"列表“{d.label or d.key}”填在“{d.key[:31]}”表：每条记录一行。",) for d in lists),
                ("填好后运行：perfrules evaluate 本文件.xlsx",)):
        about.append(row)
    about.column_dimensions["A"].width = 100
    ws = wb.create_sheet(SHEET)
    ws.append(FACT_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    defaults = PatternFill("solid", fgColor="EEEEEE")
    for key, label, required in BASICS:
        basic: object = policy.id if key == "policy" else policy.year if key == "year" else None
        ws.append((label, key, basic, "", "文字", "必填" if required else "选填", ""))
    for decl in inputs(policy):
        row = ws.max_row + 1
        shown = decl.label or decl.key
        if decl.type == "list":
            ws.append((shown, decl.key, f"见“{decl.key[:31]}”表", "", TYPE_NAMES["list"], need(decl), decl.description,
                       None, "list"))
            continue
        value = cell_value(decl, decl.default) if decl.has_default else None
        ws.append((shown, decl.key, value, unit_of(decl), TYPE_NAMES.get(decl.type, decl.type), need(decl),
                   decl.description or ("可选：" + "、".join(decl.options) if decl.options else ""), value, decl.type))
        cell = ws.cell(row, INPUT_COL)
        if decl.type == "percent":
            cell.number_format = _PERCENT_FORMAT
        if decl.has_default:
            cell.fill = defaults
        _validation(ws, decl, cell.coordinate)
    for col, width in zip("ABCDEFG", (36, 20, 24, 8, 14, 24, 40)):
        ws.column_dimensions[col].width = width
    ws.column_dimensions["H"].hidden = ws.column_dimensions["I"].hidden = True
    ws.freeze_panes = "A2"
    _claims_sheet(wb.create_sheet(CLAIMS), policy)
    for decl in lists:
        _list_sheet(wb.create_sheet(decl.key[:31]), decl)
    buf = io.BytesIO()                      # stamped with one fixed time: the same policy, the same bytes
    wb.save(buf)
    return fixed_zip(buf.getvalue())


def _claims_sheet(ws, policy: Policy) -> None:
    """The 自报 sheet: the claimed score and deductions (optional; audit checks them)."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation
    ws.append(("自评得分", None, "（选填：部门自评结论中的得分与扣分，供 perfrules audit 核对）"))
    ws.append(())
    ws.append(CLAIMS_HEADER)
    for cell in (ws["A1"], *ws[3]):
        cell.font = Font(bold=True)
    ids = ",".join(leaf.id for leaf in policy.leaves())
    if len(ids) <= 250:          # Excel's limit on a drop-down's list written inline
        dv = DataValidation(type="list", formula1=f'"{ids}"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add("A4:A200")
    ws.column_dimensions["A"].width, ws.column_dimensions["C"].width = 14, 80


def _list_sheet(ws, decl: FactDecl) -> None:
    """A list fact's sheet: field keys as headers (each with its label as a comment), a
    drop-down or bounds on each field's column for 500 rows."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    fields = decl.inputs
    ws.append([k for k, _ in fields])
    for n, (key, f) in enumerate(fields, 1):
        cell = ws.cell(1, n)
        cell.font = Font(bold=True)
        cell.comment = Comment(f"{f.label or key}（{TYPE_NAMES.get(f.type, f.type)}）{need(f)}", "perfrules")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 30 if f.type == "text" else 14
        _validation(ws, f, f"{letter}2:{letter}501")
        if f.type == "percent":
            for r in range(2, 502):
                ws.cell(r, n).number_format = _PERCENT_FORMAT
    ws.freeze_panes = "A2"


def written_number(decl: FactDecl, value: Decimal) -> str:
    """A number as a fact file writes it for its fact: a percent with % (98.83%), money with
    its unit (690.47万元), anything else plain."""
    return f"{fmt(shift(value, 2))}%" if decl.type == "percent" else f"{fmt(value)}{unit_of(decl)}"


def _yaml_value(decl: FactDecl, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return written_number(decl, value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f'"{value}"'


_FORMS = {"number": "数字，如 3", "percent": "百分比，带 %，如 98.83%", "count": "个数，如 0",
          "money": "金额，如 690.47万元", "boolean": "true 或 false", "text": "文字", "texts": "文字列表，如 [甲, 乙]",
          "choice": "选项之一"}


def fact_file(policy: Policy) -> str:
    """The YAML form: a commented fact file, valid once the required values are filled in
    (each required value is written as a commented-out line to fill)."""
    out = [f"# {policy.title}（{policy.id}，版本 {policy.version}）的填报表。",
           "# 填写每个“必填”事实（去掉行首的 # 并填值）；标“默认”的已填入默认值，情况不同请改写。",
           "# 填好后运行：perfrules evaluate 本文件.yaml", "",
           f"policy: {policy.id}", "department: 部门全称   # 必填", f"year: {policy.year}", "facts:"]
    for decl in inputs(policy):
        about = f"{decl.label or decl.key}；{need(decl)}"
        if decl.type == "list":
            fields = "，".join(f"{k}: {_FORMS.get(f.type, f.type)}" + (f"（{'/'.join(f.options)}）" if f.options else "")
                              for k, f in decl.inputs)
            out += [f"  # {about}；每条记录一行：{{{fields}}}", f"  {decl.key}: []" if not decl.required
                    else f"  # {decl.key}:\n  #   - {{{', '.join(k + ': ' for k, _ in decl.inputs)}}}"]
            continue
        form = _FORMS.get(decl.type, decl.type) + (f"：{'、'.join(decl.options)}" if decl.options else "")
        out.append(f"  # {about}；{form}")
        if decl.has_default:
            out.append(f"  {decl.key}: {_yaml_value(decl, decl.default)}")
        else:
            out.append(f"  # {decl.key}: ")
    return "\n".join(out) + "\n"
