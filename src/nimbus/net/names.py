"""Every kernel name the fabric uses, derived from its tag so that two Nimbus servers on
one host never collide, and kept within Linux limits (interface names: 15 bytes)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

from nimbus.net.errors import InvalidName

# Names inside a router or instance namespace: private to it, so fixed.
ROUTER_BRIDGE = "br0"
ROUTER_UPLINK = "up0"
INSTANCE_LINK = "eth0"
# The nftables table inside every router namespace, and inside every instance's.
ROUTER_TABLE = "nimbus"
INSTANCE_TABLE = "nimbus"

_TAG_LENGTH = 6
_TAG = re.compile(r"[a-z0-9]{6}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_tag() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_TAG_LENGTH))


def check_id(value: str) -> str:
    """Ids become parts of file names under /run/netns: refuse anything else."""
    if not _ID.fullmatch(value):
        raise InvalidName(f"not a usable id: {value!r}")
    return value


def short_hash(value: str, length: int) -> str:
    """A lowercase base32 digest: ids are too long for link names."""
    digest = hashlib.blake2s(value.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:length]


@dataclass(frozen=True)
class Names:
    tag: str

    def __post_init__(self) -> None:
        if not _TAG.fullmatch(self.tag):
            raise InvalidName(f"not a fabric tag: {self.tag!r}")

    @property
    def prefix(self) -> str:
        """What every namespace of this fabric starts with."""
        return f"nimbus-{self.tag}-"

    @property
    def router_prefix(self) -> str:
        return f"{self.prefix}net-"

    @property
    def instance_prefix(self) -> str:
        return f"{self.prefix}vm-"

    def router_ns(self, network_id: str) -> str:
        return self.router_prefix + check_id(network_id)

    def instance_ns(self, instance_id: str) -> str:
        return self.instance_prefix + check_id(instance_id)

    @property
    def host_bridge(self) -> str:
        return f"nb{self.tag}"

    @property
    def uplink_prefix(self) -> str:
        return f"nu{self.tag}"

    def uplink_peer(self, network_id: str) -> str:
        """The host end of a router's uplink (15 bytes: 2 + 6 + 7)."""
        return self.uplink_prefix + short_hash(check_id(network_id), 7)

    @property
    def host_table(self) -> str:
        return f"nimbus_{self.tag}"


def instance_port(instance_id: str) -> str:
    """The router end of an instance's veth: unique within its router namespace."""
    return "vi" + short_hash(check_id(instance_id), 12)
