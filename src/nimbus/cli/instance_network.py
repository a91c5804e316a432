"""The network interface ``compute instances create`` asks for, from gcloud's flags
``--network``, ``--subnet``, ``--private-network-ip`` and ``--no-address``."""

from __future__ import annotations

from typing import Any

from nimbus.cli.failures import CliError


def network_interface(
    network: str | None,
    subnet: str | None,
    private_ip: str | None,
    zone: str,
    *,
    no_address: bool,
    count: int,
) -> dict[str, Any]:
    if private_ip and count > 1:
        raise CliError("--private-network-ip can only be used when creating a single instance.")
    interface: dict[str, Any] = {}
    if network or not subnet:
        interface["network"] = f"global/networks/{network or 'default'}"
    if subnet:
        region = zone.rsplit("-", 1)[0]
        interface["subnetwork"] = (
            subnet if "/" in subnet else f"regions/{region}/subnetworks/{subnet}"
        )
    if private_ip:
        interface["networkIP"] = private_ip
    if not no_address:
        interface["accessConfigs"] = [{"name": "external-nat", "type": "ONE_TO_ONE_NAT"}]
    return interface
