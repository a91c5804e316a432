"""A small typed facade over pyroute2's RTNL API, for the namespace of the thread that
opens it (the netlink socket belongs to that namespace for its whole life)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from types import TracebackType
from typing import Any

from pyroute2 import IPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

_AF_INET = socket.AF_INET


class Links:
    """Links, addresses and routes of one namespace. Every call is idempotent."""

    def __init__(self) -> None:
        # groups=0: this socket only asks; it never listens to kernel events.
        self._ipr: Any = IPRoute(groups=0)

    def __enter__(self) -> Links:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._ipr.close()

    def index(self, name: str) -> int | None:
        found = self._ipr.link_lookup(ifname=name)
        return int(found[0]) if found else None

    def require(self, name: str) -> int:
        index = self.index(name)
        if index is None:
            raise OSError(errno.ENODEV, f"no link {name}")
        return index

    def names(self) -> list[str]:
        return [str(msg.get("ifname")) for msg in self._ipr.get_links()]

    def ensure_bridge(self, name: str) -> int:
        if (index := self.index(name)) is not None:
            return index
        self._ipr.link("add", ifname=name, kind="bridge")
        return self.require(name)

    def ensure_veth(self, name: str, peer: str, peer_netns_fd: int) -> int:
        """A veth pair whose ``peer`` end is created directly in another namespace, so
        that no half of it ever appears where it does not belong."""
        if (index := self.index(name)) is not None:
            return index
        self._ipr.link(
            "add", ifname=name, kind="veth", peer={"ifname": peer, "net_ns_fd": peer_netns_fd}
        )
        return self.require(name)

    def configure(
        self,
        index: int,
        *,
        mtu: int | None = None,
        master: int | None = None,
        mac: str | None = None,
    ) -> None:
        """Set what is given, then bring the link up."""
        changes: dict[str, Any] = {}
        if mtu is not None:
            changes["mtu"] = mtu
        if master is not None:
            changes["master"] = master
        if mac is not None:
            changes["address"] = mac
        if changes:
            self._ipr.link("set", index=index, **changes)
        self._ipr.link("set", index=index, state="up")

    def isolate_port(self, index: int) -> None:
        """Bridge port isolation: isolated ports reach the bridge, never each other."""
        self._ipr.brport("set", index=index, isolated=1)

    def delete(self, name: str) -> None:
        index = self.index(name)
        if index is None:
            return
        try:
            self._ipr.link("del", index=index)
        except NetlinkError as error:
            # Its veth peer went first and took it along.
            if error.code != errno.ENODEV:
                raise

    def addresses(self, index: int) -> set[IPv4Interface]:
        return {
            IPv4Interface(f"{msg.get('address')}/{msg['prefixlen']}")
            for msg in self._ipr.get_addr(family=_AF_INET, index=index)
        }

    def all_addresses(self) -> set[IPv4Interface]:
        return {
            IPv4Interface(f"{msg.get('address')}/{msg['prefixlen']}")
            for msg in self._ipr.get_addr(family=_AF_INET)
        }

    def sync_addresses(self, index: int, wanted: Iterable[IPv4Interface]) -> None:
        """Make the link's IPv4 addresses exactly ``wanted``."""
        wanted = set(wanted)
        current = self.addresses(index)
        for extra in current - wanted:
            self._ipr.addr(
                "del", index=index, address=str(extra.ip), prefixlen=extra.network.prefixlen
            )
        for missing in wanted - current:
            self._ipr.addr(
                "add", index=index, address=str(missing.ip), prefixlen=missing.network.prefixlen
            )

    def replace_route(
        self, dst: IPv4Network, index: int, gateway: IPv4Address | None = None
    ) -> None:
        spec: dict[str, Any] = {"dst": str(dst), "oif": index}
        if gateway is not None:
            spec["gateway"] = str(gateway)
        self._ipr.route("replace", **spec)

    def route_networks(self) -> set[IPv4Network]:
        """Destinations of every IPv4 route in every table (local and broadcast too)."""
        return {
            IPv4Network(f"{msg.get('dst') or '0.0.0.0'}/{msg['dst_len']}")
            for msg in self._ipr.route("dump", family=_AF_INET)
        }
