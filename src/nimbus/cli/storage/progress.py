"""Transfer progress on stderr: one bar for the whole command, with bytes, rate and ETA.

It shows only on a terminal and never with ``--quiet``; messages still go to stderr,
above the bar when there is one.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

from nimbus.cli.failures import CliError

_LOCK = threading.Lock()


def say(message: str) -> None:
    """One whole line on stderr, even with several threads talking."""
    with _LOCK:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


class Progress:
    def __init__(self, files: int, total_bytes: int | None, *, visible: bool) -> None:
        self.files = files
        self._done = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._bar: Any = None
        self._task: Any = None
        if visible and sys.stderr.isatty():
            self._start(total_bytes)

    def _start(self, total_bytes: int | None) -> None:
        from rich import progress
        from rich.console import Console

        self._bar = progress.Progress(
            progress.TextColumn("[progress.description]{task.description}"),
            progress.BarColumn(),
            progress.DownloadColumn(binary_units=True),
            progress.TransferSpeedColumn(),
            progress.TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._bar.add_task(self._description(), total=total_bytes)
        self._bar.start()

    def _description(self) -> str:
        return f"Completed files {self._done}/{self.files}"

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def note(self, message: str) -> None:
        """A line for the person at the terminal (``Copying ... to ...``)."""
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            say(message)

    def stop(self) -> None:
        """Make every transfer under way end at its next step (Ctrl-C)."""
        self._stopping.set()

    def advance(self, count: int) -> None:
        """Count bytes moved; each step of every transfer passes here, so it is also
        where a stopped command's transfers end."""
        if self._stopping.is_set():
            raise CliError("Interrupted.")
        if self._bar is not None and count:
            self._bar.advance(self._task, count)

    def grow(self, count: int) -> None:
        """More bytes to move than announced (a stream of unknown size)."""
        if self._bar is not None and count:
            with self._lock:
                total = self._bar.tasks[0].total or 0
                self._bar.update(self._task, total=total + count)

    def file_done(self) -> None:
        with self._lock:
            self._done += 1
            if self._bar is not None:
                self._bar.update(self._task, description=self._description())
