"""Time, through one seam, so that billing, lifecycle and expiry can be driven by tests."""

from __future__ import annotations

import datetime as dt
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
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def compute_timestamp(moment: dt.datetime) -> str:
    """Compute Engine's ``creationTimestamp`` form: RFC 3339 with a numeric offset."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}-00:00"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every datetime the store holds is UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
