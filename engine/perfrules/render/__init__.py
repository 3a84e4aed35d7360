"""Step 6 — render: a Result as text (the default), JSON or Markdown, in Chinese or English."""
from __future__ import annotations

from ..score import Result


def render(result: Result, fmt: str = "text", lang: str = "zh") -> str:
    if fmt == "json":
        from .json import render_json
        return render_json(result, lang)
    if fmt == "markdown":
        from .markdown import render_markdown
        return render_markdown(result, lang)
    from .text import render_text
    return render_text(result, lang)
