"""Google's VPC firewall as one instance sees it: the entries that apply to it, already
resolved by the control plane (target tags and service accounts, source tags turned
into address ranges). ``Fabric.set_firewall`` enforces them inside the instance's own
namespace; see ``instance_filter`` for what is always allowed besides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Network

INGRESS = "INGRESS"
EGRESS = "EGRESS"
DIRECTIONS = (INGRESS, EGRESS)
LOWEST_PRIORITY = 65535

# The names Google accepts for IPProtocol; any other protocol is given by its number.
PROTOCOL_NUMBERS = {"icmp": 1, "ipip": 4, "tcp": 6, "udp": 17, "esp": 50, "ah": 51, "sctp": 132}
# Google's "all": any protocol, as if no match were given.
ANY_PROTOCOL = "all"
_PORTED = frozenset({6, 17, 132})
_MAX_PORT = 65535
# Entry names end up in nft comments: nothing that could end the quoted string.
_NAME = re.compile(r"[A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class PortMatch:
    """A protocol and, for tcp, udp and sctp, its destination ports."""

    protocol: str  # a name of PROTOCOL_NUMBERS, "all", or an IP protocol number as text
    ports: tuple[tuple[int, int], ...] = ()  # inclusive ranges; () = every port

    def __post_init__(self) -> None:
        number = self.number
        if self.ports and number not in _PORTED:
            raise ValueError(f"protocol {self.protocol!r} has no ports")
        for low, high in self.ports:
            if not all(_is_port(value) for value in (low, high)) or low > high:
                raise ValueError(f"not a port range: {low}-{high}")

    @property
    def number(self) -> int | None:
        """The IP protocol number, or None for any protocol."""
        name = self.protocol.lower()
        if name == ANY_PROTOCOL:
            return None
        if name in PROTOCOL_NUMBERS:
            return PROTOCOL_NUMBERS[name]
        if name.isascii() and name.isdigit() and int(name) <= 255:
            return int(name)
        raise ValueError(f"not a protocol: {self.protocol!r}")


@dataclass(frozen=True)
class FirewallEntry:
    """One VPC firewall rule that applies to the instance."""

    direction: str  # INGRESS or EGRESS
    priority: int  # 0..65535, lower wins
    allow: bool  # allow or deny
    matches: tuple[PortMatch, ...] = ()  # () = every protocol
    peers: tuple[IPv4Network, ...] = ()  # INGRESS: sources; EGRESS: destinations. () = none
    local: tuple[IPv4Network, ...] = ()  # INGRESS destinations / EGRESS sources; () = any
    name: str = ""  # the rule's name, for the nft comment (diagnostics)

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"not a direction: {self.direction!r}")
        if isinstance(self.priority, bool) or not 0 <= self.priority <= LOWEST_PRIORITY:
            raise ValueError(f"not a priority: {self.priority!r}")
        # Addresses are written into nft scripts: only real networks get there.
        for network in (*self.peers, *self.local):
            if not isinstance(network, IPv4Network):
                raise TypeError(f"not an IPv4Network: {network!r}")
        for match in self.matches:
            if not isinstance(match, PortMatch):
                raise TypeError(f"not a PortMatch: {match!r}")
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"not a usable rule name: {self.name!r}")


@dataclass(frozen=True)
class InstanceFirewall:
    """Every entry that applies to one instance. The default is the implied rules only:
    ingress denied, egress allowed."""

    entries: tuple[FirewallEntry, ...] = ()

    def ordered(self, direction: str) -> list[FirewallEntry]:
        """The entries of one direction in evaluation order: by priority, and at equal
        priority deny before allow (Google: a deny wins a tie). Entries alike in both are
        sorted too, so the same entries in any order make the same rule set."""
        chosen = [entry for entry in self.entries if entry.direction == direction]
        return sorted(chosen, key=lambda entry: (entry.priority, entry.allow, repr(entry)))


def _is_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_PORT
