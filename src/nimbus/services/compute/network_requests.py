"""``networks.insert`` and ``networks.patch`` bodies, checked with Google's messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.services.compute.names import check_name

ROUTING_MODES = ("REGIONAL", "GLOBAL")
DEFAULT_MTU = 1460
MIN_MTU, MAX_MTU = 1300, 8896


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    auto_create_subnetworks: bool
    description: str = ""
    routing_mode: str = "REGIONAL"
    mtu: int = DEFAULT_MTU


@dataclass(frozen=True)
class NetworkPatch:
    """The fields a patch may change; None leaves a field as it is."""

    description: str | None = None
    routing_mode: str | None = None
    mtu: int | None = None


def parse_network(body: dict[str, Any]) -> NetworkSpec:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RequiredField("Required field 'resource.name' not specified")
    check_name(name)
    if body.get("IPv4Range"):
        raise InvalidArgument(
            f"Invalid value for field 'resource.IPv4Range': '{body['IPv4Range']}'. Legacy "
            "networks are not supported: create an auto mode or a custom mode VPC network."
        )
    auto = body.get("autoCreateSubnetworks")
    if not isinstance(auto, bool):
        raise InvalidArgument(
            f"Invalid value for field 'resource.autoCreateSubnetworks': '{auto or ''}'. Set "
            "it to true (auto mode) or false (custom mode): legacy networks are not supported."
        )
    patch = parse_network_patch(body)
    return NetworkSpec(
        name=name,
        auto_create_subnetworks=auto,
        description=patch.description or "",
        routing_mode=patch.routing_mode or "REGIONAL",
        mtu=patch.mtu or DEFAULT_MTU,
    )


def parse_network_patch(body: dict[str, Any]) -> NetworkPatch:
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise InvalidArgument(f"Invalid value for field 'resource.description': '{description}'.")
    routing = body.get("routingConfig")
    mode = routing.get("routingMode") if isinstance(routing, dict) else None
    if mode is not None and mode not in ROUTING_MODES:
        raise InvalidArgument(
            f"Invalid value for field 'resource.routingConfig.routingMode': '{mode}'. "
            "Must be REGIONAL or GLOBAL."
        )
    return NetworkPatch(description=description, routing_mode=mode, mtu=_mtu(body.get("mtu")))


def _mtu(value: object) -> int | None:
    if value is None:
        return None
    try:
        mtu = int(str(value))
    except ValueError:
        mtu = 0
    if isinstance(value, bool) or not MIN_MTU <= mtu <= MAX_MTU:
        raise InvalidArgument(
            f"Invalid value for field 'resource.mtu': '{value}'. Must be between {MIN_MTU} "
            f"and {MAX_MTU}."
        )
    return mtu
