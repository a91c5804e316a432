"""Hooking in-network serving (metadata server, API relay) onto this host's networks."""

from __future__ import annotations

from starlette.types import ASGIApp

from nimbus.api.metadata.serving import NetworkServices
from nimbus.controllers.fabric_networks import FabricNetworks
from nimbus.services.cloud import Cloud
from nimbus.services.compute.internal_dns import InternalDns


def serve_in_networks(cloud: Cloud, app: ASGIApp) -> None:
    """In the lead process: serve every network there is, and each new one at once."""
    networks = cloud.host.networks
    if not isinstance(networks, FabricNetworks):
        return  # the fake runtime: instances have no network to serve
    fabric = networks.fabric
    services = NetworkServices(fabric.listen, cloud.metadata, InternalDns(cloud.db), app)
    networks.listeners.append(services.serve)
    services.serve_existing(fabric.network_ids())
    cloud.on_close.append(services.close)
