"""Persistent disks, their attachments to instances, and snapshots.

A disk's bytes live on its host (``nimbus.runtime.disks``); a row here is what the user
asked for and what the disk controller has made of it so far.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class Disk(Base):
    __tablename__ = "disks"
    __table_args__ = (UniqueConstraint("project_number", "zone", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    zone: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    size_gb: Mapped[int] = mapped_column(Integer)
    # The size the file has now; below ``size_gb`` while a resize is pending.
    provisioned_gb: Mapped[int] = mapped_column(Integer, default=0)
    disk_type: Mapped[str] = mapped_column(String(32))
    # CREATING, RESTORING, READY, FAILED, DELETING (Google's values).
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The image under the disk's own layer (copy-on-write), also for disks restored from
    # a snapshot of such a disk.
    image_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_image: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_snapshot_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_snapshot: Mapped[str | None] = mapped_column(Text, nullable=True)
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    label_fingerprint: Mapped[str] = mapped_column(String(20))
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_attach_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_detach_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DiskAttachment(Base):
    """A disk as one instance sees it. ``state`` is ATTACHING until the instance's
    runtime has it, ATTACHED, then DETACHING until the runtime has let it go."""

    __tablename__ = "disk_attachments"
    __table_args__ = (UniqueConstraint("instance_id", "device_name"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(BigInteger, index=True)
    disk_id: Mapped[int] = mapped_column(BigInteger, index=True)
    device_name: Mapped[str] = mapped_column(String(63))
    # READ_WRITE or READ_ONLY.
    mode: Mapped[str] = mapped_column(String(16))
    boot: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("project_number", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    # CREATING, UPLOADING, READY, FAILED, DELETING.
    status: Mapped[str] = mapped_column(String(16), index=True)
    source_disk_id: Mapped[int] = mapped_column(BigInteger)
    source_disk: Mapped[str] = mapped_column(Text)
    disk_size_gb: Mapped[int] = mapped_column(Integer)
    disk_type: Mapped[str] = mapped_column(String(32))
    image_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    storage_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    storage_location: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    label_fingerprint: Mapped[str] = mapped_column(String(20))
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
