"""Moments as people type them: a date, an RFC 3339 time, or a span back from now."""

from __future__ import annotations

import datetime as dt

_SPANS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_moment(text: str, now: dt.datetime) -> dt.datetime:
    """``2026-11-01``, ``2026-11-01T12:00:00Z``, or ``7d`` / ``12h`` / ``30m`` before ``now``.
    Raises ValueError with a message fit for a person."""
    unit = text[-1:].lower()
    if unit in _SPANS and text[:-1].isdigit():
        return now - dt.timedelta(**{_SPANS[unit]: int(text[:-1])})
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a date (2026-11-01), a time, or a span (7d, 12h, 30m)"
        ) from exc


def parse_timestamp(text: str) -> dt.datetime:
    """An RFC 3339 time or a date, timezone-aware (UTC where it names no zone).
    Raises ValueError."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
