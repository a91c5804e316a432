"""Compute Engine state: project settings, images, VPC networks and instances."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class ComputeProject(Base):
    """What Compute Engine keeps per project; made on first write."""

    __tablename__ = "compute_projects"

    project_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    metadata_items: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    metadata_fingerprint: Mapped[str] = mapped_column(String(20))
    # Set once the project's ``default`` network was made: deleting it later is final.
    default_network_made: Mapped[bool] = mapped_column(Boolean, default=False)


class Image(Base):
    """A boot image: a root filesystem that instances start from (copy-on-write)."""

    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("project_number", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(63))
    family: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # PENDING while built or imported, READY, FAILED.
    status: Mapped[str] = mapped_column(String(16))
    # Where the root filesystem comes from: "builtin:debian-12" or "store".
    source: Mapped[str] = mapped_column(String(100))
    # An imported image's tarball: "BUCKET/OBJECT#GENERATION" in Cloud Storage.
    raw_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    archive_size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    disk_size_gb: Mapped[int] = mapped_column(Integer, default=10)
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    label_fingerprint: Mapped[str] = mapped_column(String(20))
    # Google's DeprecationStatus, or None while ACTIVE.
    deprecated: Mapped[dict[str, Any] | None] = mapped_column(JsonValue, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Network(Base):
    __tablename__ = "networks"
    __table_args__ = (UniqueConstraint("project_number", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    auto_create_subnetworks: Mapped[bool] = mapped_column(Boolean, default=True)
    routing_mode: Mapped[str] = mapped_column(String(16), default="REGIONAL")
    mtu: Mapped[int] = mapped_column(Integer, default=1460)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Subnetwork(Base):
    __tablename__ = "subnetworks"
    __table_args__ = (UniqueConstraint("project_number", "region", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    network_id: Mapped[int] = mapped_column(BigInteger, index=True)
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    ip_cidr_range: Mapped[str] = mapped_column(String(43))
    gateway_address: Mapped[str] = mapped_column(String(45))
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Instance(Base):
    """An instance: what the user asked for (``desired_status``) and what is
    (``status``). Controllers move the second toward the first."""

    __tablename__ = "instances"
    __table_args__ = (
        UniqueConstraint("project_number", "zone", "name"),
        # One address per subnetwork and one external address per host: the store, not
        # a lock, keeps two concurrent inserts from sharing one.
        UniqueConstraint("subnetwork_id", "network_ip"),
        UniqueConstraint("nat_ip"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    zone: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    machine_type: Mapped[str] = mapped_column(String(64))
    vcpus: Mapped[float] = mapped_column()
    memory_mb: Mapped[int] = mapped_column(Integer)
    # PROVISIONING, STAGING, RUNNING, STOPPING, TERMINATED (and SUSPENDED later).
    status: Mapped[str] = mapped_column(String(16), index=True)
    # RUNNING, TERMINATED or DELETED: where the user wants it.
    desired_status: Mapped[str] = mapped_column(String(16))
    status_message: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[int] = mapped_column(BigInteger)
    source_image: Mapped[str] = mapped_column(Text)
    boot_disk: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    metadata_items: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    metadata_fingerprint: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    label_fingerprint: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    tags_fingerprint: Mapped[str] = mapped_column(String(20))
    service_accounts: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    scheduling: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    network_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # Networks are never renamed: the name is kept here for rendering.
    network_name: Mapped[str] = mapped_column(String(63))
    subnetwork_id: Mapped[int] = mapped_column(BigInteger)
    # Nor are subnetworks (their region is the zone's).
    subnetwork_name: Mapped[str] = mapped_column(String(63), default="")
    network_ip: Mapped[str] = mapped_column(String(45))
    nat_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(20))
    # Bumped by reset: the controller power-cycles while ``reset_done`` lags behind.
    reset_requested: Mapped[int] = mapped_column(Integer, default=0)
    reset_done: Mapped[int] = mapped_column(Integer, default=0)
    # Spot and preemptible: set when Nimbus takes the instance back; the metadata server
    # says ``preempted`` TRUE from then until the next start.
    preempt_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    preempted: Mapped[bool] = mapped_column(Boolean, default=False)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_start_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_stop_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class GuestAttribute(Base):
    """A value an instance wrote about itself (``guest-attributes/NAMESPACE/KEY``)."""

    __tablename__ = "guest_attributes"

    instance_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
