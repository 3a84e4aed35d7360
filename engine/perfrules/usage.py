"""Command-line usage mistakes as E602 problems, in Chinese first (English beside).

typer/click word their own errors in English only ("No such command 'evalute'."); the people
who type perfrules read Chinese. `usage_problem` turns click's exception, which carries the
facts as data (the parameter, the option name, the choices), into a located-nowhere E602
Problem with both languages and a did-you-mean hint, so that a misspelt command or option
is reported like every other problem. What click does not give as data (a misspelt command,
unexpected extra arguments) is read from the command line itself.
"""
from __future__ import annotations

from typing import Any, Sequence

from .problems import Problem, did_you_mean


def usage_problem(exc: Any, argv: Sequence[str]) -> Problem:
    """E602 for a click UsageError raised while parsing `argv`."""
    name = type(exc).__name__
    english = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command", None)
    if name == "NoSuchOption":
        options = sorted({o for p in getattr(command, "params", ()) for o in p.opts + p.secondary_opts})
        return _problem(f"未知选项 {exc.option_name}。", english, exc.option_name, options)
    if name == "BadOptionUsage":
        return _problem(f"选项 {exc.option_name} 后面需要一个值。", english)
    if name == "MissingParameter":
        return _problem(f"缺少{_param_zh(exc.param)}。", english)
    if name == "BadParameter":
        return _problem(_bad_value_zh(exc, argv), english)
    if english.startswith("No such command"):
        typed = next((a for a in argv if not a.startswith("-")), "")
        commands = sorted(getattr(command, "commands", {}) or {})
        return _problem(f"未知命令“{typed}”。", english, typed, commands)
    if english.startswith("Got unexpected extra argument"):
        extra = english[english.rfind("(") + 1:english.rfind(")")]
        return _problem(f"多余的参数：{extra}。", english)
    return _problem(f"命令行用法不对：{english}", english)


def _problem(zh: str, en: str, typed: str = "", candidates: Sequence[str] = ()) -> Problem:
    hint = did_you_mean(typed, candidates) if typed else ""
    hint_en = did_you_mean(typed, candidates, "en") if typed else ""
    return Problem("E602", zh, en.rstrip("."), "perfrules",
                   hint=(hint + "运行 perfrules --help 查看用法。") if hint else "",
                   hint_en=(hint_en + " Run perfrules --help.") if hint_en else "")


def _param_zh(param: Any) -> str:
    """'参数 FACTS（事实文件）' / '选项 --policy（评分办法编号或文件）' from the parameter's own help."""
    if param is None:
        return "参数"
    kind = "选项" if getattr(param, "param_type_name", "") == "option" else "参数"
    shown = "/".join(param.opts) if kind == "选项" else (param.name or "").upper()
    help_text = (getattr(param, "help", "") or "").split("。")[0]
    return f"{kind} {shown}" + (f"（{help_text}）" if help_text else "")


def _bad_value_zh(exc: Any, argv: Sequence[str]) -> str:
    param = exc.param
    where = _param_zh(param)
    choices = getattr(getattr(param, "type", None), "choices", None)
    given = _value_after(argv, getattr(param, "opts", ()))
    if choices:
        allowed = "、".join(str(getattr(c, "value", c)) for c in choices)
        return f"{where}的值“{given}”不在可选范围内，可选：{allowed}。"
    low, high = getattr(param.type, "min", None), getattr(param.type, "max", None)
    if type(param.type).__name__ in ("IntRange", "IntParamType", "FloatRange", "FloatParamType"):
        kind = "整数" if "Int" in type(param.type).__name__ else "数"
        bounds = (f" {low} 到 {high} 之间的" if low is not None and high is not None else
                  f"不小于 {low} 的" if low is not None else f"不大于 {high} 的" if high is not None else "")
        return f"{where}应为{bounds}{kind}，实际是“{given}”。"
    return f"{where}的值“{given}”不对：{exc.message}"


def _value_after(argv: Sequence[str], opts: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        for opt in opts:
            if arg == opt and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1:]
    return ""


# click's own words in `--help`, as typer.core asks gettext for them
_HELP_ZH = {"Options": "选项", "Arguments": "参数", "Commands": "命令", "required": "必填",
            "default: {default}": "默认：{default}", "env var: {var}": "环境变量：{var}",
            "(dynamic)": "（动态）", "Missing command.": "缺少命令。", "Aborted!": "已中断。"}


def _help_zh(message: str) -> str:
    return _HELP_ZH.get(message, message)


def chinese_help() -> None:
    """`--help` in Chinese: the headings, the usage prefix and the help option's own text.
    typer (pinned below 0.29 in pyproject.toml) asks gettext for its headings and hard-codes
    the other two; this swaps all three in, once per process."""
    import typer.core
    from typer._click import core as click_core
    from typer._click import formatting
    if getattr(formatting.HelpFormatter, "_perfrules_zh", False):
        return
    typer.core._ = _help_zh
    write_usage = formatting.HelpFormatter.write_usage

    def write_usage_zh(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, "用法：" if prefix is None else prefix)
    get_help_option = click_core.Command.get_help_option

    def get_help_option_zh(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = "显示本帮助并退出。Show this message and exit."
        return option
    formatting.HelpFormatter.write_usage = write_usage_zh             # type: ignore[method-assign]
    click_core.Command.get_help_option = get_help_option_zh           # type: ignore[method-assign]
    formatting.HelpFormatter._perfrules_zh = True                    # type: ignore[attr-defined]
