"""Making disk rows and attaching them, shared by ``disks.insert`` and
``instances.insert`` (whose boot disk and ``--create-disk`` disks are made with it).

Checks follow Google's messages: sizes against their image or snapshot, one writer
per disk, disks in the instance's zone, device names unique on an instance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from nimbus.core.fingerprints import fingerprint_of
from nimbus.core.ids import new_numeric_id
from nimbus.services.compute import usage
from nimbus.services.compute.names import check_name, last_segment
from nimbus.store.models import Disk, DiskAttachment, Image, Instance, Project, Snapshot

DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd")
MAX_SIZE_GB = 65536
READ_WRITE = "READ_WRITE"
READ_ONLY = "READ_ONLY"
# Disk statuses (Google's).
CREATING = "CREATING"
RESTORING = "RESTORING"
READY = "READY"
FAILED = "FAILED"
DELETING = "DELETING"
# Attachment states.
ATTACHING = "ATTACHING"
ATTACHED = "ATTACHED"
DETACHING = "DETACHING"


@dataclass(frozen=True)
class DiskSource:
    """Where a new disk's contents come from (neither: a blank disk)."""

    image: Image | None = None
    image_ref: str | None = None
    snapshot: Snapshot | None = None
    snapshot_ref: str | None = None


def default_size_gb(disk_type: str, source: DiskSource) -> int:
    if source.snapshot is not None:
        return source.snapshot.disk_size_gb
    if source.image is not None:
        return source.image.disk_size_gb
    # gcloud's defaults for blank disks.
    return 500 if disk_type == "pd-standard" else 100


def check_type(value: str | None, zone: str, field: str = "type") -> str:
    disk_type = last_segment(value or "pd-standard")
    if disk_type not in DISK_TYPES:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{value}'. Disk type '{disk_type}' does not "
            f"exist in zone '{zone}'."
        )
    return disk_type


def check_size(value: object, field: str, source: DiskSource) -> int | None:
    if value is None or value == "":
        return None
    try:
        size = int(str(value))
    except ValueError as error:
        raise InvalidArgument(f"Invalid value for field '{field}': '{value}'.") from error
    if not 1 <= size <= MAX_SIZE_GB:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{value}'. It must be between 1 and {MAX_SIZE_GB}."
        )
    if source.image is not None and size < source.image.disk_size_gb:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{value}'. Requested disk size cannot be "
            f"smaller than the image size ({source.image.disk_size_gb} GB)"
        )
    if source.snapshot is not None and size < source.snapshot.disk_size_gb:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{value}'. Requested disk size cannot be "
            f"smaller than the snapshot size ({source.snapshot.disk_size_gb} GB)"
        )
    return size


def find_disk(session: Session, project_number: int, zone: str, name: str) -> Disk | None:
    return session.scalars(
        select(Disk).where(
            Disk.project_number == project_number, Disk.zone == zone, Disk.name == name
        )
    ).first()


def find_snapshot(session: Session, project: Project, ref: str) -> Snapshot:
    name = last_segment(ref)
    found = session.scalars(
        select(Snapshot).where(Snapshot.project_number == project.number, Snapshot.name == name)
    ).first()
    if found is None or found.status == DELETING:
        raise NotFound(
            f"The resource 'projects/{project.project_id}/global/snapshots/{name}' was not found"
        )
    if found.status != READY:
        raise FailedPrecondition(
            f"The resource 'projects/{project.project_id}/global/snapshots/{name}' is not ready",
            reason="resourceNotReady",
        )
    return found


def new_disk(
    session: Session,
    project: Project,
    zone: str,
    name: str,
    *,
    disk_type: str,
    size_gb: int | None,
    source: DiskSource,
    now: dt.datetime,
    description: str = "",
    labels: dict[str, str] | None = None,
) -> Disk:
    check_name(name)
    if find_disk(session, project.number, zone, name) is not None:
        raise AlreadyExists(
            f"The resource 'projects/{project.project_id}/zones/{zone}/disks/{name}' already exists"
        )
    snapshot = source.snapshot
    image_id = source.image.id if source.image is not None else None
    if snapshot is not None:
        image_id = snapshot.image_id
    disk = Disk(
        id=new_numeric_id(),
        project_number=project.number,
        zone=zone,
        name=name,
        description=description,
        size_gb=size_gb or default_size_gb(disk_type, source),
        provisioned_gb=0,
        disk_type=disk_type,
        status=RESTORING if snapshot is not None else CREATING,
        image_id=image_id,
        source_image=source.image_ref,
        source_snapshot_id=snapshot.id if snapshot is not None else None,
        source_snapshot=source.snapshot_ref,
        labels=labels or {},
        label_fingerprint=fingerprint_of(labels or {}),
        creation_time=now,
    )
    session.add(disk)
    session.flush()
    usage.disk_provisioned(session, disk, now)
    return disk


def disk_link(project_id: str, disk: Disk) -> str:
    return f"projects/{project_id}/zones/{disk.zone}/disks/{disk.name}"


def instance_link(project_id: str, instance: Instance) -> str:
    return f"projects/{project_id}/zones/{instance.zone}/instances/{instance.name}"


def users_of(session: Session, disk: Disk) -> list[Instance]:
    ids = session.scalars(
        select(DiskAttachment.instance_id).where(DiskAttachment.disk_id == disk.id)
    )
    return list(session.scalars(select(Instance).where(Instance.id.in_(list(ids)))))


def attach(
    session: Session,
    project: Project,
    instance: Instance,
    disk: Disk,
    *,
    device_name: str | None,
    mode: str,
    boot: bool,
    auto_delete: bool,
    now: dt.datetime,
) -> DiskAttachment:
    """Record ``disk`` on ``instance`` (ATTACHING until its runtime has it)."""
    if mode not in (READ_WRITE, READ_ONLY):
        raise InvalidArgument(f"Invalid value for field 'mode': '{mode}'.")
    if disk.zone != instance.zone:
        raise InvalidArgument(
            f"Invalid value for field 'source': '{disk_link(project.project_id, disk)}'. Disk "
            f"must be in zone '{instance.zone}'."
        )
    if disk.status in (FAILED, DELETING):
        raise FailedPrecondition(
            f"The disk resource '{disk_link(project.project_id, disk)}' is not ready",
            reason="resourceNotReady",
        )
    holders = session.scalars(select(DiskAttachment).where(DiskAttachment.disk_id == disk.id)).all()
    for holder in holders:
        if holder.instance_id == instance.id:
            raise InvalidArgument(
                f"The disk resource '{disk_link(project.project_id, disk)}' is already "
                f"attached to '{instance_link(project.project_id, instance)}'",
                reason="resourceInUseByAnotherResource",
            )
        if mode == READ_WRITE or holder.mode == READ_WRITE:
            other = session.get(Instance, holder.instance_id)
            user = instance_link(project.project_id, other) if other else "another instance"
            raise InvalidArgument(
                f"The disk resource '{disk_link(project.project_id, disk)}' is already being "
                f"used by '{user}'",
                reason="resourceInUseByAnotherResource",
            )
    taken = session.scalars(
        select(DiskAttachment.device_name).where(DiskAttachment.instance_id == instance.id)
    ).all()
    # Google's default device names: persistent-disk-N, N the disk's index.
    index = 0 if boot else max(1, len(taken))
    name = device_name or f"persistent-disk-{index}"
    while name in taken and device_name is None:
        index += 1
        name = f"persistent-disk-{index}"
    check_name(name, "deviceName")
    if name in taken:
        raise InvalidArgument(
            f"Invalid value for field 'deviceName': '{name}'. Device name is already in use "
            f"on '{instance_link(project.project_id, instance)}'."
        )
    attachment = DiskAttachment(
        instance_id=instance.id,
        disk_id=disk.id,
        device_name=name,
        mode=mode,
        boot=boot,
        auto_delete=auto_delete,
        position=index,
        state=ATTACHING,
    )
    session.add(attachment)
    disk.last_attach_time = now
    session.flush()
    return attachment


def attachments_of(
    session: Session, instance_ids: list[int]
) -> dict[int, list[tuple[DiskAttachment, Disk]]]:
    """Each instance's disks, boot disk first."""
    found: dict[int, list[tuple[DiskAttachment, Disk]]] = {i: [] for i in instance_ids}
    if not instance_ids:
        return found
    rows = session.execute(
        select(DiskAttachment, Disk)
        .join(Disk, Disk.id == DiskAttachment.disk_id)
        .where(DiskAttachment.instance_id.in_(instance_ids))
        .order_by(DiskAttachment.instance_id, DiskAttachment.position, DiskAttachment.id)
    )
    for attachment, disk in rows:
        found[attachment.instance_id].append((attachment, disk))
    return found
