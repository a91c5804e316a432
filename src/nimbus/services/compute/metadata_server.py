"""What the metadata server knows about the instance asking: its tree, in Google's
dash-case keys, its guest attributes, and tokens for its service account.

The instance is identified by where the request comes from: the network it arrives
on and its source address, as on Google Cloud, where nothing else is trusted.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.compute.addresses import instance_mac
from nimbus.services.compute.disk_rows import attachments_of
from nimbus.services.iam.id_tokens import IdTokens
from nimbus.services.iam.tokens import Tokens
from nimbus.services.locations import catalog
from nimbus.store.db import Database
from nimbus.store.models import (
    ComputeProject,
    GuestAttribute,
    Image,
    Instance,
    Project,
    ServiceAccount,
    Subnetwork,
)

# Where an instance reaches Nimbus, as on Google Cloud: the metadata server's address,
# with the API relayed on a port of its own.
METADATA_ADDRESS = "169.254.169.254"
API_RELAY_PORT = 8080
# Keys under these hold user data: they keep their spelling in recursive JSON.
VERBATIM = frozenset({"attributes", "guest-attributes", "service-accounts"})
_TOKEN_REUSE_MARGIN = 300.0


@dataclass(frozen=True)
class Caller:
    """An instance, found by (network, source address)."""

    instance_id: int


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: float

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_in": max(0, int(self.expires_at - time.time())),
            "token_type": "Bearer",
        }


class MetadataService:
    def __init__(self, db: Database, tokens: Tokens, id_tokens: IdTokens, clock: Clock) -> None:
        self.db = db
        self.tokens = tokens
        self.id_tokens = id_tokens
        self.clock = clock
        self._tokens: dict[tuple[int, str], Token] = {}
        self._lock = threading.Lock()

    def identify(self, network_id: int, address: str) -> Caller | None:
        with self.db.read() as session:
            found = session.scalars(
                select(Instance.id).where(
                    Instance.network_id == network_id, Instance.network_ip == address
                )
            ).first()
            return None if found is None else Caller(found)

    def tree(self, caller: Caller, *, guest_attributes: bool = False) -> dict[str, Any]:
        """The instance's tree; guest attributes only when asked for, so that an agent
        watching the tree is not woken by its own writes."""
        with self.db.read() as session:
            instance = session.get(Instance, caller.instance_id)
            if instance is None:
                raise NotFound("The instance is gone.")
            tree = {
                "instance": _instance_tree(session, instance),
                "project": _project_tree(session, instance),
            }
            if not guest_attributes:
                del tree["instance"]["guest-attributes"]
            return tree

    def stamp(self, caller: Caller) -> tuple[object, ...]:
        """What changes whenever the tree may: one cheap read, for long polls to watch
        between renders of the whole tree."""
        with self.db.read() as session:
            row = session.execute(
                select(
                    Instance.metadata_fingerprint,
                    Instance.tags_fingerprint,
                    Instance.label_fingerprint,
                    Instance.status,
                    Instance.preempted,
                    ComputeProject.metadata_fingerprint,
                )
                .outerjoin(ComputeProject, ComputeProject.project_number == Instance.project_number)
                .where(Instance.id == caller.instance_id)
            ).first()
            guest = session.scalars(
                select(GuestAttribute.value).where(GuestAttribute.instance_id == caller.instance_id)
            ).all()
            return (*(row or ()), len(guest), hash(tuple(guest)))

    def put_guest_attribute(self, caller: Caller, namespace: str, key: str, value: str) -> None:
        if not (namespace and key) or len(value) > 256 * 1024:
            raise InvalidArgument("Guest attributes are guest-attributes/NAMESPACE/KEY.")
        with self.db.write() as session:
            row = session.get(GuestAttribute, (caller.instance_id, namespace, key))
            if row is None:
                session.add(GuestAttribute(
                    instance_id=caller.instance_id, namespace=namespace, key=key, value=value
                ))  # fmt: skip
            else:
                row.value = value

    def delete_guest_attribute(self, caller: Caller, namespace: str, key: str) -> None:
        with self.db.write() as session:
            row = session.get(GuestAttribute, (caller.instance_id, namespace, key))
            if row is not None:
                session.delete(row)

    def identity(self, caller: Caller, account: str, audience: str, full: bool) -> str:
        """An ID token for the instance's account (no scope needed, as on Google)."""
        if not audience:
            raise InvalidArgument("non-empty audience parameter required")
        with self.db.read() as session:
            row = _account_row(session, session.get(Instance, caller.instance_id), account)
            return self.id_tokens.issue(row, audience, full)

    def token(self, caller: Caller, account: str) -> Token:
        """An access token for the instance's account, limited to the instance's scopes;
        the same one while it has more than five minutes left, as Google's server does."""
        with self._lock:
            cached = self._tokens.get((caller.instance_id, account))
            if cached is not None and cached.expires_at - time.time() > _TOKEN_REUSE_MARGIN:
                return cached
        with self.db.write() as session:
            instance = session.get(Instance, caller.instance_id)
            row = _account_row(session, instance, account)
            scopes = (_account_entry(instance, account) or {}).get("scopes") if instance else None
            if not scopes:
                # No scopes is no token: an empty scope list would mean "unrestricted".
                raise NotFound(f"The service account '{account}' has no scopes here.")
            issued = self.tokens.issue_for_account(session, row, " ".join(scopes))
        token = Token(issued.access_token, time.time() + issued.expires_in)
        with self._lock:
            self._tokens[(caller.instance_id, account)] = token
        return token


def _account_row(session: Session, instance: Instance | None, account: str) -> ServiceAccount:
    granted = _account_entry(instance, account) if instance else None
    row = (
        session.scalars(
            select(ServiceAccount).where(ServiceAccount.email == granted["email"])
        ).first()
        if granted
        else None
    )
    if row is None or row.disabled:
        raise NotFound(f"The service account '{account}' is not usable on this instance.")
    return row


def _account_entry(instance: Instance, account: str) -> dict[str, Any] | None:
    for entry in instance.service_accounts:
        if account in ("default", entry["email"]):
            return entry
    return None


def _instance_tree(session: Session, instance: Instance) -> dict[str, Any]:
    project_number = instance.project_number
    subnet = session.get(Subnetwork, instance.subnetwork_id)
    image = session.get(Image, instance.image_id)
    network = ipaddress.ip_network(subnet.ip_cidr_range) if subnet else None
    accounts: dict[str, Any] = {}
    for entry in instance.service_accounts:
        described = {"aliases": ["default"], "email": entry["email"], "scopes": entry["scopes"]}
        accounts["default"] = described
        accounts[entry["email"]] = {**described, "aliases": []}
    guest: dict[str, dict[str, str]] = {}
    for row in session.scalars(
        select(GuestAttribute).where(GuestAttribute.instance_id == instance.id)
    ):
        guest.setdefault(row.namespace, {})[row.key] = row.value
    access = [{"external-ip": instance.nat_ip, "type": "ONE_TO_ONE_NAT"}] if instance.nat_ip else []
    image_project = "debian-cloud" if image and image.source.startswith("builtin:") else ""
    return {
        "attributes": {item["key"]: item["value"] for item in instance.metadata_items},
        "cpu-platform": "Intel Broadwell",
        "description": instance.description,
        "disks": _disks(session, instance),
        "guest-attributes": guest,
        "hostname": f"{instance.name}.{instance.zone}.c.{_project_id(session, instance)}.internal",
        "id": instance.id,
        "image": f"projects/{image_project or project_number}/global/images/"
        f"{image.name if image else ''}",
        "machine-type": f"projects/{project_number}/machineTypes/{instance.machine_type}",
        "maintenance-event": "NONE",
        "name": instance.name,
        "network-interfaces": [
            {
                "access-configs": access,
                "dns-servers": [METADATA_ADDRESS],
                "forwarded-ips": [],
                "gateway": subnet.gateway_address if subnet else "",
                "ip": instance.network_ip,
                "ip-aliases": [],
                "mac": instance_mac(instance.id),
                "mtu": 1460,
                "network": f"projects/{project_number}/networks/{instance.network_name}",
                "subnetmask": str(network.netmask) if network else "",
                "target-instance-ips": [],
            }
        ],
        "preempted": "TRUE" if instance.preempted else "FALSE",
        "scheduling": {
            "automatic-restart": "TRUE" if instance.scheduling.get("automaticRestart") else "FALSE",
            "on-host-maintenance": instance.scheduling.get("onHostMaintenance", "MIGRATE"),
            "preemptible": "TRUE" if instance.scheduling.get("preemptible") else "FALSE",
        },
        "service-accounts": accounts,
        "tags": instance.tags,
        "zone": f"projects/{project_number}/zones/{instance.zone}",
        "region": f"projects/{project_number}/regions/{catalog.zone(instance.zone).region}",
    }


def _disks(session: Session, instance: Instance) -> list[dict[str, Any]]:
    attached = attachments_of(session, [instance.id])[instance.id]
    if not attached:
        attached_names = [(instance.boot_disk.get("deviceName", instance.name), "READ_WRITE")]
    else:
        attached_names = [(a.device_name, a.mode) for a, _ in attached]
    return [
        {
            "device-name": name,
            "index": index,
            "interface": "SCSI",
            "mode": mode,
            "type": "PERSISTENT",
        }
        for index, (name, mode) in enumerate(attached_names)
    ]


def _project_id(session: Session, instance: Instance) -> str:
    project = session.get(Project, instance.project_number)
    return project.project_id if project else str(instance.project_number)


def _project_tree(session: Session, instance: Instance) -> dict[str, Any]:
    settings = session.get(ComputeProject, instance.project_number)
    items = settings.metadata_items if settings else []
    return {
        "attributes": {item["key"]: item["value"] for item in items},
        "numeric-project-id": instance.project_number,
        "project-id": _project_id(session, instance),
    }
