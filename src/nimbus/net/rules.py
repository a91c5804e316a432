"""nftables rule sets, applied with ``nft -f -`` in the calling thread's namespace.

Every commit waits for the kernel to quiesce (about 10-20 ms here), so callers read a
table first and commit only what differs: each rule set carries its own digest in a
rule comment, and the NAT map is compared element by element.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from nimbus.net.errors import NetError
from nimbus.net.names import ROUTER_BRIDGE, ROUTER_TABLE, ROUTER_UPLINK

METADATA_ADDRESS = IPv4Address("169.254.169.254")
# The services the control plane serves inside every network (metadata, API relay, DNS).
SERVICE_TCP_PORTS = (53, 80, 8080)
SERVICE_UDP_PORTS = (53,)

NAT_MAP = "natmap"

_MARK = "nimbus-rules "
# Where a template wants its digest (a rule comment); see ``sealed``.
MARKER = "{marker}"


@dataclass(frozen=True)
class TableState:
    """What a table holds, as far as the fabric cares."""

    digest: str | None = None
    nat: dict[IPv4Address, IPv4Address] = field(default_factory=dict)


def _nft(args: list[str], script: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nft", *args], input=script, capture_output=True, text=True)


def apply(script: str) -> None:
    """Run one nft transaction: all of it applies, or none."""
    done = _nft(["-f", "-"], script)
    if done.returncode != 0:
        raise NetError(f"nft failed: {done.stderr.strip()}")


def read(table: str) -> TableState | None:
    """The ``inet`` table's digest and NAT map, or None if there is no such table."""
    done = _nft(["-j", "list", "table", "inet", table])
    if done.returncode != 0:
        return None
    digest, nat = None, {}
    for item in json.loads(done.stdout)["nftables"]:
        comment = item.get("rule", {}).get("comment", "")
        if comment.startswith(_MARK):
            digest = comment.removeprefix(_MARK)
        if item.get("map", {}).get("name") == NAT_MAP:
            for external, internal in item["map"].get("elem", []):
                nat[IPv4Address(external)] = IPv4Address(internal)
    return TableState(digest, nat)


def sealed(template: str) -> tuple[str, str]:
    """The script with its digest written into the rule marked ``MARKER``."""
    digest = hashlib.sha256(template.encode()).hexdigest()[:16]
    return template.replace(MARKER, f'comment "{_MARK}{digest}"'), digest


def _ports(ports: tuple[int, ...]) -> str:
    return "{ " + ", ".join(str(port) for port in ports) + " }"


def router_ruleset() -> tuple[str, str]:
    """The router's table and its digest. Base chains are rewritten; the NAT map keeps
    its contents (``nat_map`` owns them). The VPC firewall is not here: each instance's
    namespace enforces its own (``instance_filter``), as same-subnet traffic never
    crosses the router's forward hook."""
    t = f"inet {ROUTER_TABLE}"
    br, up = f'"{ROUTER_BRIDGE}"', f'"{ROUTER_UPLINK}"'
    meta = str(METADATA_ADDRESS)
    return sealed(f"""
add table {t}
add map {t} {NAT_MAP} {{ type ipv4_addr : ipv4_addr; }}
add chain {t} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}
add chain {t} input {{ type filter hook input priority filter; policy drop; }}
add chain {t} forward {{ type filter hook forward priority filter; policy drop; }}
flush chain {t} prerouting
flush chain {t} input
flush chain {t} forward
add rule {t} prerouting iifname {up} dnat ip to ip daddr map @{NAT_MAP}
add rule {t} input ct state established,related accept {MARKER}
add rule {t} input ct state invalid drop
add rule {t} input iifname "lo" accept
add rule {t} input iifname {br} meta l4proto icmp accept
add rule {t} input iifname {br} ip daddr {meta} tcp dport {_ports(SERVICE_TCP_PORTS)} accept
add rule {t} input iifname {br} ip daddr {meta} udp dport {_ports(SERVICE_UDP_PORTS)} accept
add rule {t} forward ct state established,related accept
add rule {t} forward ct state invalid drop
add rule {t} forward iifname {br} oifname {br} accept
add rule {t} forward iifname {up} oifname {br} ct status dnat accept
""")


def nat_map(entries: Mapping[IPv4Address, IPv4Address]) -> str:
    """Replace the router's one-to-one NAT map (external -> internal) in one step."""
    script = f"flush map inet {ROUTER_TABLE} {NAT_MAP}\n"
    if entries:
        pairs = ", ".join(f"{external} : {internal}" for external, internal in entries.items())
        script += f"add element inet {ROUTER_TABLE} {NAT_MAP} {{ {pairs} }}\n"
    return script


def host_ruleset(table: str, bridge: str) -> tuple[str, str]:
    """Should the host forward packets (another tool may turn it on), never between our
    bridge and anything: the fabric must not route anywhere."""
    return sealed(f"""
add table inet {table}
delete table inet {table}
table inet {table} {{
    chain forward {{
        type filter hook forward priority filter - 10; policy accept;
        iifname "{bridge}" drop {MARKER}
        oifname "{bridge}" drop
    }}
}}
""")


def delete_table(table: str) -> str:
    # nft 1.0.6 has no "destroy": adding first makes the delete succeed either way.
    return f"add table inet {table}\ndelete table inet {table}\n"
