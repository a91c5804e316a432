"""The values of ``nimbus billing budgets create``'s flags, as gcloud reads them:
``--budget-amount 100.75USD``, ``--threshold-rule percent=0.9,basis=forecasted-spend``,
``--start-date 2026-01-01``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from nimbus.cli.dict_args import dict_arg
from nimbus.cli.failures import CliError

_AMOUNT = re.compile(r"^(?P<units>\d+)(?:\.(?P<fraction>\d{1,9}))?(?P<currency>[A-Za-z]{3})?$")
_BASES = {"current-spend": "CURRENT_SPEND", "forecasted-spend": "FORECASTED_SPEND"}
PERIODS = ("month", "quarter", "year")


def money(text: str) -> dict[str, Any]:
    """``100``, ``100.75`` or ``100.75USD`` as Google's Money (the account's currency
    when none is given)."""
    match = _AMOUNT.match(text.strip())
    if match is None:
        raise CliError(
            f"argument --budget-amount: invalid amount [{text}]: expected a number and an "
            "optional currency, e.g. 100.75USD."
        )
    value: dict[str, Any] = {"units": match["units"]}
    if match["fraction"]:
        value["nanos"] = int(match["fraction"].ljust(9, "0"))
    if match["currency"]:
        value["currencyCode"] = match["currency"].upper()
    return value


def threshold_rule(text: str) -> dict[str, Any]:
    """``percent=0.5[,basis=current-spend|forecasted-spend]``."""
    pairs = dict_arg(text, "--threshold-rule", ("percent", "basis"))
    try:
        percent = float(pairs["percent"])
    except (KeyError, ValueError) as exc:
        raise CliError(
            f"argument --threshold-rule: [{text}] needs percent=NUMBER (0.5 is 50%)."
        ) from exc
    basis = pairs.get("basis", "current-spend").lower()
    if basis not in _BASES:
        raise CliError(
            f"argument --threshold-rule: basis must be one of [{', '.join(_BASES)}], not [{basis}]."
        )
    return {"thresholdPercent": percent, "spendBasis": _BASES[basis]}


def date(text: str, flag: str) -> dict[str, int]:
    """``YYYY-MM-DD`` as Google's Date."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise CliError(f"argument {flag}: [{text}] is not a date of the form YYYY-MM-DD.") from exc
    return {"year": day.year, "month": day.month, "day": day.day}


def calendar_period(text: str) -> str:
    if text.lower() not in PERIODS:
        raise CliError(
            f"argument --calendar-period: must be one of [{', '.join(PERIODS)}], not [{text}]."
        )
    return text.upper()
