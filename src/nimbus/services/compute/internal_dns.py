"""Compute Engine's internal DNS: instances find each other by name inside a network.

``NAME.ZONE.c.PROJECT.internal`` (zonal) and ``NAME.c.PROJECT.internal`` (global)
name an instance of the network asking; ``metadata.google.internal`` is the metadata
server. Nothing else resolves: instance networks do not reach the outside.
"""

from __future__ import annotations

from sqlalchemy import select

from nimbus.services.compute.metadata_server import METADATA_ADDRESS
from nimbus.store.db import Database
from nimbus.store.models import Instance, Project

METADATA_NAMES = ("metadata.google.internal", "metadata")


class InternalDns:
    def __init__(self, db: Database) -> None:
        self.db = db

    def resolve(self, network_id: int, name: str) -> str | None:
        """The IPv4 address of ``name`` as seen from ``network_id``, or None."""
        labels = name.lower().rstrip(".").split(".")
        if ".".join(labels) in METADATA_NAMES:
            return METADATA_ADDRESS
        if len(labels) == 5 and labels[2] == "c" and labels[4] == "internal":
            instance, zone, project = labels[0], labels[1], labels[3]
        elif len(labels) == 4 and labels[1] == "c" and labels[3] == "internal":
            instance, zone, project = labels[0], None, labels[2]
        else:
            return None
        query = (
            select(Instance.network_ip)
            .join(Project, Project.number == Instance.project_number)
            .where(
                Instance.network_id == network_id,
                Instance.name == instance,
                Project.project_id == project,
            )
        )
        if zone is not None:
            query = query.where(Instance.zone == zone)
        with self.db.read() as session:
            return session.scalars(query).first()
