"""A budget's writable fields as the Budget API v1 takes them, checked and normalized.

The stored form is the wire form, normalized: enums by name (the official clients send
numbers), projects by number (``projects/{id}`` is accepted and resolved), a calendar
period of MONTH when no period is given, Google's 50/90/100% threshold rules when a new
budget has none. ``notificationsRule.webhookUrl`` is a Nimbus field: an http(s) URL that
receives each alert as Google's Pub/Sub budget notification.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.services.resourcemanager import hierarchy

CURRENT_SPEND = "CURRENT_SPEND"
FORECASTED_SPEND = "FORECASTED_SPEND"
WRITABLE = ("displayName", "budgetFilter", "amount", "thresholdRules", "notificationsRule")
# Output-only fields a client may echo back; they are ignored on write.
ECHOED = ("name", "etag", "alerts", "ownershipScope")
DEFAULT_THRESHOLDS = (0.5, 0.9, 1.0)
MAX_DISPLAY_NAME = 60
MAX_CHANNELS = 5

_CALENDAR_PERIODS = {1: "MONTH", 2: "QUARTER", 3: "YEAR"}
_BASES = {1: CURRENT_SPEND, 2: FORECASTED_SPEND}
_CREDIT_TREATMENTS = {
    1: "INCLUDE_ALL_CREDITS",
    2: "EXCLUDE_ALL_CREDITS",
    3: "INCLUDE_SPECIFIED_CREDITS",
}
_SERVICE = re.compile(r"^services/[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")
_TOPIC = re.compile(r"^projects/[^/]+/topics/[^/]+$")
_CHANNEL = re.compile(r"^projects/[^/]+/notificationChannels/[^/]+$")
_FILTER_KEYS = {
    "projects",
    "services",
    "creditTypes",
    "creditTypesTreatment",
    "calendarPeriod",
    "customPeriod",
    "labels",
    "subaccounts",
    "resourceAncestors",
}
_RULE_KEYS = {
    "pubsubTopic",
    "schemaVersion",
    "monitoringNotificationChannels",
    "disableDefaultIamRecipients",
    "enableProjectLevelRecipients",
    "webhookUrl",
}


@dataclass(frozen=True)
class BudgetFields:
    display_name: str
    budget_filter: dict[str, Any]
    amount: dict[str, Any]
    threshold_rules: list[dict[str, Any]]
    notifications_rule: dict[str, Any]


def normalize(
    session: Session, body: Mapping[str, Any], currency: str, *, new: bool
) -> BudgetFields:
    """Every writable field of ``body`` checked; ``new`` gives a budget without threshold
    rules Google's default ones."""
    unknown = set(body) - set(WRITABLE) - set(ECHOED)
    if unknown:
        raise InvalidArgument(
            f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}" at '
            "'budget': Cannot find field."
        )
    display_name = _text(body.get("displayName"), "budget.displayName")
    if len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidArgument(
            f"budget.displayName has at most {MAX_DISPLAY_NAME} characters; it has "
            f"{len(display_name)}."
        )
    budget_filter = _filter(session, _object(body.get("budgetFilter"), "budget.budgetFilter"))
    custom = "customPeriod" in budget_filter
    rules = body.get("thresholdRules")
    if rules is None and new:
        rules = [{"thresholdPercent": t} for t in DEFAULT_THRESHOLDS]
    return BudgetFields(
        display_name=display_name,
        budget_filter=budget_filter,
        amount=_amount(body.get("amount"), currency, custom=custom),
        threshold_rules=_threshold_rules(rules, custom=custom),
        notifications_rule=_notifications_rule(
            _object(body.get("notificationsRule"), "budget.notificationsRule")
        ),
    )


def amount_value(amount: Mapping[str, Any]) -> Decimal | None:
    """A specified amount as a Decimal; None for ``lastPeriodAmount``."""
    money = amount.get("specifiedAmount")
    if money is None:
        return None
    return Decimal(int(money.get("units", "0"))) + Decimal(int(money.get("nanos", 0))) / 10**9


def project_numbers(budget_filter: Mapping[str, Any]) -> list[int]:
    return [int(p.removeprefix("projects/")) for p in budget_filter.get("projects", [])]


def service_ids(budget_filter: Mapping[str, Any]) -> list[str]:
    return [s.removeprefix("services/") for s in budget_filter.get("services", [])]


# -- budgetFilter ----------------------------------------------------------------------------


def _filter(session: Session, raw: dict[str, Any]) -> dict[str, Any]:
    unknown = set(raw) - _FILTER_KEYS
    if unknown:
        raise InvalidArgument(
            f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}" at '
            "'budget.budget_filter': Cannot find field."
        )
    for unsupported in ("labels", "subaccounts", "resourceAncestors"):
        if raw.get(unsupported):
            raise InvalidArgument(
                f"budget.budgetFilter.{unsupported} is not supported by Nimbus; scope a "
                "budget by projects and services."
            )
    clean: dict[str, Any] = {}
    projects = [_project(session, ref) for ref in _strings(raw.get("projects"), "projects")]
    if projects:
        clean["projects"] = list(dict.fromkeys(projects))
    services = _strings(raw.get("services"), "services")
    for service in services:
        if not _SERVICE.match(service):
            raise InvalidArgument(
                f"Invalid service '{service}' in budget.budgetFilter.services: expected "
                "'services/{serviceId}', e.g. 'services/6F81-5844-456A'."
            )
    if services:
        clean["services"] = list(dict.fromkeys(services))
    treatment = _enum(
        raw.get("creditTypesTreatment"),
        _CREDIT_TREATMENTS,
        "budget.budgetFilter.creditTypesTreatment",
    )
    clean["creditTypesTreatment"] = treatment or "INCLUDE_ALL_CREDITS"
    credit_types = _strings(raw.get("creditTypes"), "creditTypes")
    if credit_types:
        if clean["creditTypesTreatment"] != "INCLUDE_SPECIFIED_CREDITS":
            raise InvalidArgument(
                "budget.budgetFilter.creditTypes may only be set with creditTypesTreatment "
                "INCLUDE_SPECIFIED_CREDITS."
            )
        clean["creditTypes"] = credit_types
    calendar = _enum(
        raw.get("calendarPeriod"), _CALENDAR_PERIODS, "budget.budgetFilter.calendarPeriod"
    )
    custom = raw.get("customPeriod")
    if calendar and custom:
        raise InvalidArgument(
            "A budget has either budgetFilter.calendarPeriod or budgetFilter.customPeriod, "
            "not both."
        )
    if custom:
        clean["customPeriod"] = _custom_period(_object(custom, "budget.budgetFilter.customPeriod"))
    else:
        clean["calendarPeriod"] = calendar or "MONTH"
    return clean


def _project(session: Session, ref: str) -> str:
    if not ref.startswith("projects/"):
        raise InvalidArgument(
            f"Invalid project '{ref}' in budget.budgetFilter.projects: expected "
            "'projects/{projectNumber}'."
        )
    project = hierarchy.find_project(session, ref.removeprefix("projects/"))
    if project is None:
        raise InvalidArgument(f"Project '{ref}' in budget.budgetFilter.projects was not found.")
    return f"projects/{project.number}"


def _custom_period(raw: dict[str, Any]) -> dict[str, Any]:
    start = _date(raw.get("startDate"), "startDate")
    if start is None:
        raise RequiredField("budget.budgetFilter.customPeriod.startDate is required.")
    clean = {"startDate": _date_json(start)}
    end = _date(raw.get("endDate"), "endDate")
    if end is not None:
        if end < start:
            raise InvalidArgument(
                "budget.budgetFilter.customPeriod.endDate must not come before its startDate."
            )
        clean["endDate"] = _date_json(end)
    return clean


def _date(raw: object, field: str) -> dt.date | None:
    if raw is None:
        return None
    where = f"budget.budgetFilter.customPeriod.{field}"
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{where} must be a date: {{year, month, day}}.")
    try:
        return dt.date(int(raw.get("year", 0)), int(raw.get("month", 0)), int(raw.get("day", 0)))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{where} is not a valid date: {raw}.") from exc


def _date_json(day: dt.date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


# -- amount and rules ------------------------------------------------------------------------


def _amount(raw: object, currency: str, *, custom: bool) -> dict[str, Any]:
    amount = _object(raw, "budget.amount")
    specified = amount.get("specifiedAmount")
    last_period = amount.get("lastPeriodAmount")
    if (specified is None) == (last_period is None):
        raise InvalidArgument(
            "budget.amount needs exactly one of specifiedAmount and lastPeriodAmount."
        )
    if last_period is not None:
        if custom:
            raise InvalidArgument(
                "budget.amount.lastPeriodAmount can only be used with a calendarPeriod."
            )
        return {"lastPeriodAmount": {}}
    return {"specifiedAmount": _money(_object(specified, "specifiedAmount"), currency)}


def _money(raw: dict[str, Any], currency: str) -> dict[str, Any]:
    code = raw.get("currencyCode") or currency
    if code != currency:
        raise InvalidArgument(
            f"The budget's currency '{code}' is not its billing account's currency '{currency}'."
        )
    try:
        units = int(raw.get("units", 0))
        nanos = int(raw.get("nanos", 0))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"Invalid budget.amount.specifiedAmount: {raw}.") from exc
    if units < 0 or not 0 <= nanos < 10**9:
        raise InvalidArgument(
            "budget.amount.specifiedAmount must be positive: units >= 0 and nanos in "
            "[0, 999999999]."
        )
    money: dict[str, Any] = {"currencyCode": code, "units": str(units)}
    if nanos:
        money["nanos"] = nanos
    return money


def _threshold_rules(raw: object, *, custom: bool) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidArgument("budget.thresholdRules must be a list.")
    rules: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        rule = _object(item, f"budget.thresholdRules[{index}]")
        percent = rule.get("thresholdPercent")
        if isinstance(percent, bool) or not isinstance(percent, int | float) or percent < 0:
            raise InvalidArgument(
                f"budget.thresholdRules[{index}].thresholdPercent must be a number, 0 or more "
                "(1.0 is 100%)."
            )
        basis = _enum(rule.get("spendBasis"), _BASES, f"budget.thresholdRules[{index}].spendBasis")
        basis = basis or CURRENT_SPEND
        if basis == FORECASTED_SPEND and custom:
            raise InvalidArgument(
                "FORECASTED_SPEND threshold rules can only be used with a calendarPeriod."
            )
        clean = {"thresholdPercent": float(percent), "spendBasis": basis}
        if clean not in rules:
            rules.append(clean)
    return rules


def _notifications_rule(raw: dict[str, Any]) -> dict[str, Any]:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise InvalidArgument(
            f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}" at '
            "'budget.notifications_rule': Cannot find field."
        )
    clean: dict[str, Any] = {}
    topic = raw.get("pubsubTopic")
    if topic:
        if not isinstance(topic, str) or not _TOPIC.match(topic):
            raise InvalidArgument(
                f"Invalid pubsubTopic '{topic}': expected 'projects/{{project}}/topics/{{topic}}'."
            )
        clean["pubsubTopic"] = topic
    schema = raw.get("schemaVersion") or ("1.0" if topic else None)
    if schema is not None:
        if schema != "1.0":
            raise InvalidArgument(f"Invalid schemaVersion '{schema}': only '1.0' is accepted.")
        clean["schemaVersion"] = schema
    channels = _strings(raw.get("monitoringNotificationChannels"), "channels")
    if len(channels) > MAX_CHANNELS or any(not _CHANNEL.match(c) for c in channels):
        raise InvalidArgument(
            f"monitoringNotificationChannels takes at most {MAX_CHANNELS} names of the form "
            "'projects/{project}/notificationChannels/{channel}'."
        )
    if channels:
        clean["monitoringNotificationChannels"] = channels
    for flag in ("disableDefaultIamRecipients", "enableProjectLevelRecipients"):
        value = raw.get(flag)
        if value is not None and not isinstance(value, bool):
            raise InvalidArgument(f"budget.notificationsRule.{flag} must be true or false.")
        if value:
            clean[flag] = True
    url = raw.get("webhookUrl")
    if url:
        clean["webhookUrl"] = _webhook_url(url)
    return clean


def _webhook_url(url: object) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(
            f"Invalid budget.notificationsRule.webhookUrl '{url}': expected an http:// or "
            "https:// URL."
        )
    return str(url)


# -- shapes ----------------------------------------------------------------------------------


def _object(raw: object, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidArgument(f"Invalid value at '{where}': expected an object.")
    return raw


def _strings(raw: object, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidArgument(f"Invalid value at 'budget.budgetFilter.{where}': expected strings.")
    return list(raw)


def _text(raw: object, where: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidArgument(f"Invalid value at '{where}': expected a string.")
    return raw


def _enum(raw: object, values: Mapping[int, str], where: str) -> str | None:
    """An enum by name or number (the official clients send numbers); None if unset."""
    if raw is None or raw == 0 or (isinstance(raw, str) and raw.endswith("_UNSPECIFIED")):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in values:
        return values[raw]
    if isinstance(raw, str) and raw in values.values():
        return raw
    raise InvalidArgument(f"Invalid value at '{where}': {raw!r}.")
