"""Time, through one seam, so that billing, lifecycle and expiry can be driven by tests."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    """Google's timestamp form: ``2024-05-01T12:00:00.123Z`` (UTC, milliseconds)."""
    # isoformat truncates to the millisecond, as Google does; it is twice strftime's speed.
    return as_utc(moment).isoformat(timespec="milliseconds")[:-6] + "Z"  # less "+00:00"


def rfc3339_micros(moment: dt.datetime) -> str:
    """``rfc3339`` to the microsecond: for times a user set, which read back exactly."""
    return as_utc(moment).isoformat(timespec="microseconds")[:-6] + "Z"


def compute_timestamp(moment: dt.datetime) -> str:
    """Compute Engine's ``creationTimestamp`` form: RFC 3339 with a numeric offset."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}-00:00"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every datetime the store holds is UTC."""
    if moment.tzinfo is dt.UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class WorldClock:
    """The clock of everything a bill, a lifecycle rule or a preemption measures.

    It runs with the system clock, shifted by an offset that only moves forward: tests
    and demos advance it by days (``advance``), and every process of a server sees the
    same offset through a small file in the data dir, re-read when it changes. Security
    (token expiry, key validity, signed URLs) keeps the system clock: advancing the
    world must not expire the credentials of the clients that are watching it.
    """

    def __init__(self, offset_file: Path) -> None:
        self.offset_file = offset_file
        self._seen: tuple[int, int] | None = None
        self._offset = dt.timedelta()
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset()

    def offset(self) -> dt.timedelta:
        try:
            stat = self.offset_file.stat()
        except FileNotFoundError:
            return dt.timedelta()
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if stamp != self._seen:
            with self._lock:
                text = self.offset_file.read_text().strip()
                self._offset = dt.timedelta(seconds=float(text or 0))
                self._seen = stamp
        return self._offset

    def advance(self, seconds: float) -> dt.timedelta:
        """Move the world forward by ``seconds`` (never back); the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            total = self.offset().total_seconds() + seconds
            temporary = self.offset_file.with_suffix(".tmp")
            temporary.write_text(f"{total}\n")
            temporary.replace(self.offset_file)
        return self.offset()
