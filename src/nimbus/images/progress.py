"""Build progress for a person: a stage and a fraction, read from mmdebstrap's output.

mmdebstrap installs in two rounds, the essential packages and then the rest; each
round downloads, unpacks and configures. Lines from apt and dpkg move the fraction
within the current span; ``I:`` lines move to the next span.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

ProgressFn = Callable[[str, float], None]

RESOLVING = "resolving"
DOWNLOADING = "downloading"
UNPACKING = "unpacking"
CONFIGURING = "configuring"
CUSTOMIZING = "customizing"
DONE = "done"

_PLANNED = re.compile(r"^(\d+) upgraded, (\d+) newly installed")


@dataclass(frozen=True)
class Span:
    stage: str
    start: float
    end: float
    # Lines starting with one of these each move the fraction by one package's share.
    counted: tuple[str, ...] = ()


# mmdebstrap's status line -> the span it opens.
_MARKERS = {
    "I: running apt-get update": Span(RESOLVING, 0.00, 0.05),
    "I: downloading packages with apt": Span(DOWNLOADING, 0.05, 0.12, ("Get:",)),
    "I: extracting archives": Span(UNPACKING, 0.12, 0.30),
    "I: installing essential packages": Span(
        CONFIGURING, 0.30, 0.50, ("Unpacking ", "Setting up ")
    ),
    "I: installing remaining packages": Span(DOWNLOADING, 0.50, 0.58, ("Get:",)),
    "I: cleaning package lists": Span(CONFIGURING, 0.89, 0.90),
}
_SECOND_ROUND = "I: installing remaining packages"
# In the second round apt alternates unpacking and configuring batches: one span for
# both, named after what apt does now.
_INSTALLING = Span(UNPACKING, 0.58, 0.89, ("Unpacking ", "Setting up "))
CUSTOMIZING_START = 0.90


class BuildProgress:
    """Turns build output lines into calls of a ProgressFn, never moving backwards."""

    def __init__(self, report: ProgressFn | None) -> None:
        self._report = report
        self._span = Span(RESOLVING, 0.0, 0.0)
        self._planned = 0
        self._seen = 0
        self._in_second_round = False
        self._last: tuple[str, float] | None = None

    def feed(self, line: str) -> None:
        line = line.strip()
        for marker, span in _MARKERS.items():
            if line.startswith(marker):
                self._in_second_round = marker == _SECOND_ROUND
                self._enter(span)
                return
        if self._in_second_round and line.startswith(_INSTALLING.counted):
            if self._span.stage == DOWNLOADING:
                self._enter(_INSTALLING)
            if line.startswith("Setting up ") and self._span.stage == UNPACKING:
                self._span = dataclasses.replace(self._span, stage=CONFIGURING)
        if planned := _PLANNED.match(line):
            self._planned = int(planned.group(1)) + int(planned.group(2))
        if self._span.counted and line.startswith(self._span.counted):
            self._seen += 1
            self._emit()

    def stage(self, stage: str, fraction: float) -> None:
        """Report a step outside mmdebstrap (customizing, done)."""
        self._span = Span(stage, fraction, fraction)
        self._emit()

    def _enter(self, span: Span) -> None:
        self._span = span
        self._seen = 0
        self._emit()

    def _emit(self) -> None:
        span = self._span
        share = len(span.counted) * self._planned
        done = min(1.0, self._seen / share) if share else 0.0
        fraction = span.start + (span.end - span.start) * done
        if self._last is not None:
            last_stage, last_fraction = self._last
            fraction = max(fraction, last_fraction)
            # Many packages: one report per percent is plenty.
            if last_stage == span.stage and fraction - last_fraction < 0.01:
                return
        self._last = (span.stage, fraction)
        if self._report is not None:
            self._report(span.stage, round(fraction, 3))
