"""Bucket settings Cloud Storage completes with fields of its own: autoclass (its toggle
and terminal class times), encryption enforcement (effective times) and the IP filter.

Clients send back what they read, times included; those are output only, so each
setting is rebuilt from what was stored before and what the request asks for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument

AUTOCLASS_TERMINAL_CLASSES = ("NEARLINE", "ARCHIVE")
DEFAULT_TERMINAL_CLASS = "NEARLINE"
ENFORCEMENT_CONFIGS = (
    "googleManagedEncryptionEnforcementConfig",
    "customerManagedEncryptionEnforcementConfig",
    "customerSuppliedEncryptionEnforcementConfig",
)
RESTRICTION_MODES = ("NotRestricted", "FullyRestricted")
IP_FILTER_MODES = ("Enabled", "Disabled")


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidArgument(f"Invalid value for '{name}': expected an object.")
    return value


def autoclass(given: Any, before: dict[str, Any] | None, now: dt.datetime) -> dict[str, Any]:
    """``toggleTime`` moves when ``enabled`` changes; an enabled bucket has a terminal
    class (NEARLINE unless asked), whose update time moves when it changes."""
    given = _object(given, "autoclass")
    before = before or {}
    enabled = given.get("enabled", False)
    if not isinstance(enabled, bool):
        raise InvalidArgument("Invalid value for 'autoclass.enabled': expected a boolean.")
    toggled = not before or before.get("enabled") != enabled
    config: dict[str, Any] = {
        "enabled": enabled,
        "toggleTime": rfc3339(now) if toggled else before["toggleTime"],
    }
    if not enabled:
        return config
    terminal = given.get("terminalStorageClass") or DEFAULT_TERMINAL_CLASS
    if terminal not in AUTOCLASS_TERMINAL_CLASSES:
        raise InvalidArgument(
            f"Invalid value for 'autoclass.terminalStorageClass': '{terminal}'; it must be "
            "NEARLINE or ARCHIVE."
        )
    kept = before.get("terminalStorageClass") == terminal
    config["terminalStorageClass"] = terminal
    config["terminalStorageClassUpdateTime"] = (
        before["terminalStorageClassUpdateTime"] if kept else rfc3339(now)
    )
    return config


def encryption(given: Any, before: dict[str, Any] | None, now: dt.datetime) -> dict[str, Any]:
    """An enforcement config that restricts gets the time it took effect; a null
    config is removed."""
    given = _object(given, "encryption")
    before = before or {}
    config = {key: value for key, value in given.items() if value is not None}
    for key in ENFORCEMENT_CONFIGS:
        if key in config:
            config[key] = _enforcement(config[key], before.get(key) or {}, key, now)
    return config


def _enforcement(given: Any, before: dict[str, Any], name: str, now: dt.datetime) -> dict[str, Any]:
    mode = _object(given, f"encryption.{name}").get("restrictionMode")
    if mode is not None and mode not in RESTRICTION_MODES:
        raise InvalidArgument(f"Invalid value for 'encryption.{name}.restrictionMode': '{mode}'.")
    config: dict[str, Any] = {} if mode is None else {"restrictionMode": mode}
    if mode == "FullyRestricted":
        unchanged = before.get("restrictionMode") == mode and "effectiveTime" in before
        config["effectiveTime"] = before["effectiveTime"] if unchanged else rfc3339(now)
    return config


def ip_filter(given: Any, _before: dict[str, Any] | None, _now: dt.datetime) -> dict[str, Any]:
    """Kept as given, once its mode is one Cloud Storage knows."""
    given = _object(given, "ipFilter")
    mode = given.get("mode")
    if mode not in IP_FILTER_MODES:
        raise InvalidArgument(f"Invalid value for 'ipFilter.mode': '{mode}'.")
    return {key: value for key, value in given.items() if value is not None}
