"""Firewall rules between their checked form (``FirewallRule``) and their rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.core.ids import new_numeric_id
from nimbus.services.compute.firewall_rules import FirewallRule
from nimbus.store.models import Firewall, Network


def new_row(
    project_number: int, network: Network, rule: FirewallRule, now: dt.datetime
) -> Firewall:
    row = Firewall(
        id=new_numeric_id(),
        project_number=project_number,
        name=rule.name,
        creation_time=now,
    )
    apply(row, network, rule)
    return row


def apply(row: Firewall, network: Network, rule: FirewallRule) -> None:
    row.network_id = network.id
    row.network_name = network.name
    row.description = rule.description
    row.priority = rule.priority
    row.direction = rule.direction
    row.allowed = rule.allowed
    row.denied = rule.denied
    row.source_ranges = rule.source_ranges
    row.destination_ranges = rule.destination_ranges
    row.source_tags = rule.source_tags
    row.target_tags = rule.target_tags
    row.source_service_accounts = rule.source_service_accounts
    row.target_service_accounts = rule.target_service_accounts
    row.disabled = rule.disabled
    row.log_config = rule.log_config


def fields_of(row: Firewall) -> dict[str, Any]:
    """The rule as a body (the base a patch is merged into); empty lists are left out,
    as Google leaves them out of a resource."""
    fields: dict[str, Any] = {
        "name": row.name,
        "network": f"global/networks/{row.network_name}",
        "description": row.description,
        "priority": row.priority,
        "direction": row.direction,
        "allowed": row.allowed,
        "denied": row.denied,
        "sourceRanges": row.source_ranges,
        "destinationRanges": row.destination_ranges,
        "sourceTags": row.source_tags,
        "targetTags": row.target_tags,
        "sourceServiceAccounts": row.source_service_accounts,
        "targetServiceAccounts": row.target_service_accounts,
        "disabled": row.disabled,
        "logConfig": row.log_config,
    }
    return {key: value for key, value in fields.items() if value != []}
