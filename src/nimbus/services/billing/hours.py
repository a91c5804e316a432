"""Cutting time into the clock hours that cost lines are reported by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

HOUR = dt.timedelta(hours=1)
SECONDS_PER_MONTH = 730 * 3600  # Google's month for per-month prices


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def split_hours(start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.datetime, float]]:
    """The clock hours that [start, end) touches, each with the seconds it spends there."""
    hour = hour_of(start)
    while hour < end:
        following = hour + HOUR
        seconds = (min(end, following) - max(start, hour)).total_seconds()
        if seconds > 0:
            yield hour, seconds
        hour = following


def clip(
    start: dt.datetime, end: dt.datetime | None, window: tuple[dt.datetime, dt.datetime]
) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) within the window (an open end runs to the window's end)."""
    low = max(start, window[0])
    high = min(end or window[1], window[1])
    return (low, high) if high > low else None
