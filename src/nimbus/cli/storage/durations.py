"""Retention and soft-delete durations as ``gcloud storage`` reads them: ``30d``,
``1y1m1d5s``, ``2h`` or ISO 8601 (``P1Y1M1DT5S``), in whole seconds for the API.

A year is 365.25 days and a month 31 days, the lengths Cloud Storage's tools use."""

from __future__ import annotations

import re

from nimbus.cli.failures import CliError

_SECONDS = {
    "y": 31_557_600,
    "m": 2_678_400,
    "d": 86_400,
    "h": 3_600,
    "s": 1,
}
_SHORT = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)s)?$")
_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def seconds_of(text: str, flag: str) -> int:
    """``text`` in seconds; a plain number counts seconds."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    short = _SHORT.match(value.lower())
    if short is not None and any(short.groups()):
        units = zip(short.groups(), "ymdhs", strict=True)
        return sum(int(count) * _SECONDS[unit] for count, unit in units if count)
    iso = _ISO.match(value.upper())
    if iso is not None and any(iso.groups()):
        years, months, days, hours, minutes, seconds = (int(g or 0) for g in iso.groups())
        return (
            years * _SECONDS["y"]
            + months * _SECONDS["m"]
            + days * _SECONDS["d"]
            + hours * _SECONDS["h"]
            + minutes * 60
            + seconds
        )
    raise CliError(
        f"argument {flag}: Invalid duration [{text}]: expected e.g. 30d, 1y1m1d5s or P1Y1M1DT5S."
    )
