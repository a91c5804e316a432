"""The filter inside an instance's namespace: the VPC firewall of that one instance.

Neighbours on one subnet talk over the router's bridge at layer 2, out of the router's
sight, so each instance's own namespace filters what enters and leaves it (the guest
has no CAP_NET_ADMIN there, so it cannot change the filter). Besides the entries, and
before them:

- replies to allowed connections pass both ways; invalid packets are dropped;
- loopback passes;
- the metadata server (tcp 53, 80, 8080 and udp 53 on 169.254.169.254) is always
  reachable: Google never blocks it;
- IPv6 never passes but on loopback: the fabric is IPv4 only, and link-local IPv6 over
  the bridge would otherwise skip every rule; nothing is forwarded.

After the entries come the implied rules: ingress denied, egress allowed.

Connections the control plane opens from the router (``Fabric.connect``) come from the
subnet's gateway address and meet the rules like any other source, as Google's own
probes do: a guest can forge source addresses over the bridge, so exempting the gateway
would exempt anyone who claims to be it. The metadata server needs no exemption: the
instance opens every connection to it.

Rules bind the kernel's IP stack: a guest's raw packet socket can put frames past its
own egress rules, never past its peers' ingress rules.

Every function here runs in a thread that entered the instance's namespace.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, collapse_addresses

from nimbus.net import rules
from nimbus.net.firewall import EGRESS, INGRESS, FirewallEntry, InstanceFirewall, PortMatch
from nimbus.net.names import INSTANCE_TABLE

INGRESS_CHAIN = "ingress"
EGRESS_CHAIN = "egress"


def enforce(firewall: InstanceFirewall) -> bool:
    """Make the namespace's filter match ``firewall`` in one transaction, unless it
    already does; True if it committed."""
    script, digest = ruleset(firewall)
    current = rules.read(INSTANCE_TABLE)
    if current is not None and current.digest == digest:
        return False
    rules.apply(script)
    return True


def ensure_closed() -> None:
    """A namespace without a filter gets the implied rules only; one that has a filter
    keeps it."""
    if rules.read(INSTANCE_TABLE) is None:
        rules.apply(ruleset(InstanceFirewall())[0])


def ruleset(firewall: InstanceFirewall) -> tuple[str, str]:
    """The whole table and its digest. It replaces any previous table in the same
    transaction, so there is never a moment with half a rule set."""
    t = f"inet {INSTANCE_TABLE}"
    meta = str(rules.METADATA_ADDRESS)
    ingress = _chain_body(firewall, INGRESS, implied="drop")
    egress = _chain_body(firewall, EGRESS, implied="accept")
    return rules.sealed(f"""
add table {t}
delete table {t}
table {t} {{
    chain input {{
        type filter hook input priority filter; policy drop;
        ct state established,related accept {rules.MARKER}
        ct state invalid drop
        iifname "lo" accept
        meta nfproto ipv6 drop
        jump {INGRESS_CHAIN}
    }}
    chain output {{
        type filter hook output priority filter; policy drop;
        ct state established,related accept
        ct state invalid drop
        oifname "lo" accept
        meta nfproto ipv6 drop
        ip daddr {meta} tcp dport {_set(rules.SERVICE_TCP_PORTS)} accept
        ip daddr {meta} udp dport {_set(rules.SERVICE_UDP_PORTS)} accept
        jump {EGRESS_CHAIN}
    }}
    chain forward {{
        type filter hook forward priority filter; policy drop;
    }}
    chain {INGRESS_CHAIN} {{
{ingress}
    }}
    chain {EGRESS_CHAIN} {{
{egress}
    }}
}}
""")


def _chain_body(firewall: InstanceFirewall, direction: str, implied: str) -> str:
    lines = [line for entry in firewall.ordered(direction) for line in _entry_rules(entry)]
    lines.append(implied)
    return "\n".join(f"        {line}" for line in lines)


def _entry_rules(entry: FirewallEntry) -> list[str]:
    """One nft rule per protocol match; none for an entry without peers (it matches
    nothing, as on Google)."""
    if not entry.peers:
        return []
    peer, local = ("saddr", "daddr") if entry.direction == INGRESS else ("daddr", "saddr")
    addresses = f"ip {peer} {_networks(entry.peers)}"
    if entry.local:
        addresses += f" ip {local} {_networks(entry.local)}"
    verdict = "accept" if entry.allow else "drop"
    comment = f' comment "{entry.name}"' if entry.name else ""
    matches: Iterable[PortMatch | None] = entry.matches or (None,)
    return [f"{addresses}{_protocol(match)} {verdict}{comment}" for match in matches]


def _protocol(match: PortMatch | None) -> str:
    number = None if match is None else match.number
    if match is None or number is None:
        return ""
    text = f" meta l4proto {number}"
    if match.ports:
        text += f" th dport {_port_ranges(match.ports)}"
    return text


def _networks(networks: Iterable[IPv4Network]) -> str:
    # Overlapping elements would make nft refuse the set.
    return _set(collapse_addresses(networks))


def _port_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return _set(str(low) if low == high else f"{low}-{high}" for low, high in merged)


def _set(items: Iterable[object]) -> str:
    return "{ " + ", ".join(str(item) for item in items) + " }"
