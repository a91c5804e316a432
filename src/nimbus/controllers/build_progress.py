"""The image build's progress on the server's console: a Rich bar on a terminal, one
line per stage otherwise (logs stay readable)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class ConsoleProgress:
    def __init__(self, what: str) -> None:
        self.what = what
        self._console = Console(file=sys.stderr)
        self._last_stage = ""
        self._bar: Progress | None = None
        self._task = None
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn(f"[bold]{what}[/] {{task.description}}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=1.0)

    def __call__(self, stage: str, fraction: float) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=stage, completed=fraction)
        elif stage != self._last_stage:
            print(f"{self.what}: {stage} ({fraction:.0%})", file=sys.stderr, flush=True)
        self._last_stage = stage

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
