"""The four rules Google gives every project's ``default`` network."""

from __future__ import annotations

from nimbus.services.compute.firewall_rules import ANYWHERE, FirewallRule

DEFAULT_RULE_PRIORITY = 65534
# Google's auto-mode block: every default subnet lies in it.
INTERNAL_RANGE = "10.128.0.0/9"
_NETWORK = "global/networks/default"

DEFAULT_RULES = (
    FirewallRule(
        name="default-allow-internal",
        network=_NETWORK,
        description="Allow internal traffic on the default network",
        priority=DEFAULT_RULE_PRIORITY,
        allowed=[
            {"IPProtocol": "tcp", "ports": ["0-65535"]},
            {"IPProtocol": "udp", "ports": ["0-65535"]},
            {"IPProtocol": "icmp"},
        ],
        source_ranges=[INTERNAL_RANGE],
    ),
    FirewallRule(
        name="default-allow-ssh",
        network=_NETWORK,
        description="Allow SSH from anywhere",
        priority=DEFAULT_RULE_PRIORITY,
        allowed=[{"IPProtocol": "tcp", "ports": ["22"]}],
        source_ranges=[ANYWHERE],
    ),
    FirewallRule(
        name="default-allow-rdp",
        network=_NETWORK,
        description="Allow RDP from anywhere",
        priority=DEFAULT_RULE_PRIORITY,
        allowed=[{"IPProtocol": "tcp", "ports": ["3389"]}],
        source_ranges=[ANYWHERE],
    ),
    FirewallRule(
        name="default-allow-icmp",
        network=_NETWORK,
        description="Allow ICMP from anywhere",
        priority=DEFAULT_RULE_PRIORITY,
        allowed=[{"IPProtocol": "icmp"}],
        source_ranges=[ANYWHERE],
    ),
)
