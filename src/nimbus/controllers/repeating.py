"""A controller's background thread: one pass now and then, every ``period`` seconds or
at once when woken. A failed pass is logged and the next one runs anyway: controllers
converge, so the next pass picks up what this one could not do."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class RepeatingPass:
    def __init__(
        self, name: str, run: Callable[[], object], period: float, log: logging.Logger
    ) -> None:
        self.name = name
        self.run = run
        self.period = period
        self.log = log
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def wake(self) -> None:
        """Run a pass as soon as the current one (if any) ends."""
        self._wakeup.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self.run()
            except Exception:
                self.log.exception("%s pass failed", self.name)
            self._wakeup.wait(self.period)
