"""A progress bar for long batches (rich, on stderr).

Shown only on a terminal and only once the batch has run PROGRESS_AFTER seconds, so short
batches and pipelines stay quiet; rich is imported only then.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

PROGRESS_AFTER = 1.0       # seconds before a progress bar appears (on a terminal only)


class ProgressBar:
    """Counts departments as they are handed back; draws once it is due (see above).
    `estimate` is called then, once: it may read every input to count lines."""

    def __init__(self, enabled: bool | None, estimate: Callable[[], int | None], lang: str, stream):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.estimate, self.lang = estimate, lang
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID                # set by _start, with the bar
        self.done = 0

    def tick(self) -> None:
        self.done += 1
        if self.bar is None:
            if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER:
                return
            self._start()
            assert self.bar is not None
        self.bar.update(self.task, completed=self.done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)
        total = self.estimate()
        if total is not None and total < self.done:
            total = None
        console = Console(file=self.stream, force_terminal=True if self.enabled else None)
        self.bar = Progress(TextColumn("评分中" if self.lang == "zh" else "evaluating"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("batch", total=total, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
