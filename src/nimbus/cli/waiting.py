"""Waiting on Compute Engine operations, with a spinner on the terminal."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError


def wait_zone_operation(
    api: Api, base: str, zone: str, operation: dict[str, Any], what: str
) -> dict[str, Any]:
    return wait_operation(api, f"{base}/zones/{zone}", operation, what)


def wait_global_operation(
    api: Api, base: str, operation: dict[str, Any], what: str
) -> dict[str, Any]:
    return wait_operation(api, f"{base}/global", operation, what)


def wait_operation(api: Api, scope: str, operation: dict[str, Any], what: str) -> dict[str, Any]:
    """Wait until DONE (each ``wait`` call blocks up to two minutes); raise its error.
    ``scope`` is the operation's collection without ``/operations``."""
    path = f"{scope}/operations/{operation['name']}/wait"
    console = Console(file=sys.stderr)
    current = operation
    with console.status(what, spinner="dots"):
        while current.get("status") != "DONE":
            current = api.post(path)
    errors = (current.get("error") or {}).get("errors") or []
    if errors:
        raise CliError("; ".join(e.get("message", e.get("code", "")) for e in errors))
    return current
