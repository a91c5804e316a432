"""gcloud's firewall-rule flags: ``--allow tcp:22,icmp``, ``--action DENY --rules udp``,
``--direction IN``, and the ``ALLOW``/``DENY`` columns of its tables."""

from __future__ import annotations

from typing import Any

from nimbus.cli.failures import CliError
from nimbus.cli.flags import names

DIRECTIONS = {"INGRESS": "INGRESS", "IN": "INGRESS", "EGRESS": "EGRESS", "OUT": "EGRESS"}
ACTIONS = ("ALLOW", "DENY")


def protocol_entries(text: str, flag: str) -> list[dict[str, Any]]:
    """``tcp:22,tcp:80-90,icmp`` as Google's entries, one per protocol in order given."""
    entries: dict[str, list[str]] = {}
    for item in names(text):
        protocol, _, port = item.partition(":")
        if not protocol:
            raise CliError(f"argument {flag}: Invalid value [{item}]: give PROTOCOL[:PORT[-PORT]].")
        ports = entries.setdefault(protocol.lower(), [])
        if port:
            ports.append(port)
    if not entries:
        raise CliError(f"argument {flag}: expected one or more PROTOCOL[:PORT[-PORT]].")
    return [
        {"IPProtocol": protocol, **({"ports": ports} if ports else {})}
        for protocol, ports in entries.items()
    ]


def action_entries(
    allow: str | None, action: str | None, rules: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """``allowed`` or ``denied`` with its entries, from ``--allow`` or ``--action``/``--rules``."""
    if allow is not None and (action is not None or rules is not None):
        raise CliError("Can NOT specify --rules and --allow in the same request.")
    if allow is not None:
        return "allowed", protocol_entries(allow, "--allow")
    if action is None and rules is None:
        raise CliError("Exactly one of --action or --allow must be specified.")
    if action is None:
        raise CliError("--action is required when --rules is given.")
    if action.upper() not in ACTIONS:
        raise CliError(
            f"argument --action: Invalid choice: '{action}'. Valid choices: ALLOW, DENY."
        )
    if rules is None:
        raise CliError("Must specify --rules with --action.")
    field = "allowed" if action.upper() == "ALLOW" else "denied"
    return field, protocol_entries(rules, "--rules")


def direction(text: str) -> str:
    found = DIRECTIONS.get(text.upper())
    if found is None:
        raise CliError(
            f"argument --direction: Invalid choice: '{text}'. Valid choices are "
            "[EGRESS, INGRESS, IN, OUT]."
        )
    return found


def rule_column(entries: list[dict[str, Any]] | None) -> str:
    """``tcp:22,tcp:3389,icmp``: gcloud's ALLOW and DENY cells."""
    cells = []
    for entry in entries or []:
        protocol = entry.get("IPProtocol", "")
        ports = entry.get("ports") or []
        cells += [f"{protocol}:{port}" for port in ports] if ports else [protocol]
    return ",".join(cells)
