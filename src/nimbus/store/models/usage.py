"""Compute usage for billing, as intervals: an instance's run from start to stop, a
disk's or snapshot's existence at one size. An open interval (no ``ended``) is still
accruing; restarts of the server do not interrupt it, as the resource went on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, UtcDateTime


class UsageInterval(Base):
    __tablename__ = "usage_intervals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    # "instance", "disk" or "snapshot".
    resource_kind: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[int] = mapped_column(BigInteger, index=True)
    resource_name: Mapped[str] = mapped_column(Text)
    # A zone, or "global" for snapshots.
    location: Mapped[str] = mapped_column(String(64))
    # Instances: the machine type; disks: the disk type; snapshots: "snapshot".
    sku: Mapped[str] = mapped_column(String(64))
    # Instances: STANDARD, SPOT or PREEMPTIBLE; "" otherwise.
    provisioning_model: Mapped[str] = mapped_column(String(16), default="")
    vcpus: Mapped[float] = mapped_column(Float, default=0.0)
    memory_mb: Mapped[int] = mapped_column(Integer, default=0)
    # Disks and snapshots: GB provisioned (disks) or stored (snapshots).
    size_gb: Mapped[float] = mapped_column(Float, default=0.0)
    started: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    ended: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
