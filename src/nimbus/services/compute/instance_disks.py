"""The disks of ``instances.insert`` and of attach and detach: existing disks found,
new ones made (``initializeParams``), and both attached in the insert's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import FailedPrecondition, InvalidArgument, NotFound
from nimbus.services.caller import Caller
from nimbus.services.compute import disk_rows
from nimbus.services.compute.images import FAILED, Images
from nimbus.services.compute.instance_requests import DiskRequest, InstanceRequest
from nimbus.services.compute.names import last_segment
from nimbus.store.models import Disk, DiskAttachment, Image, Instance, Project


def boot_disk_for(
    images: Images,
    session: Session,
    caller: Caller,
    project: Project,
    zone: str,
    request: InstanceRequest,
    now: dt.datetime,
) -> tuple[Disk, Image]:
    wanted = request.boot_disk
    if wanted.source is not None:
        disk = existing_disk(session, project, zone, wanted.source, wanted.field)
        image = session.get(Image, disk.image_id) if disk.image_id is not None else None
        if image is None:
            raise InvalidArgument(
                f"Invalid value for field '{wanted.field}.source': '{wanted.source}'. The "
                "disk has no operating system to boot (it was not made from an image)."
            )
        return disk, image
    disk = new_disk_for(images, session, caller, project, zone, wanted, request.name, now)
    image = session.get(Image, disk.image_id) if disk.image_id is not None else None
    if image is None:
        raise InvalidArgument(
            f"Invalid value for field '{wanted.field}.initializeParams': a boot disk needs "
            "a sourceImage or a sourceSnapshot of a boot disk."
        )
    if image.status == FAILED:
        raise FailedPrecondition(f"The image '{image.name}' failed to build.")
    return disk, image


def new_disk_for(
    images: Images,
    session: Session,
    caller: Caller,
    project: Project,
    zone: str,
    wanted: DiskRequest,
    name: str,
    now: dt.datetime,
) -> Disk:
    source = disk_rows.DiskSource()
    if wanted.source_image is not None:
        image = images.resolve(session, caller, project.project_id, wanted.source_image)
        source = disk_rows.DiskSource(image=image, image_ref=wanted.source_image)
    elif wanted.source_snapshot is not None:
        snapshot = disk_rows.find_snapshot(session, project, wanted.source_snapshot)
        source = disk_rows.DiskSource(snapshot=snapshot, snapshot_ref=wanted.source_snapshot)
    field = f"{wanted.field}.initializeParams.diskSizeGb"
    return disk_rows.new_disk(
        session,
        project,
        zone,
        wanted.disk_name or name,
        disk_type=wanted.disk_type,
        size_gb=disk_rows.check_size(wanted.size_gb, field, source),
        source=source,
        now=now,
    )


def existing_disk(session: Session, project: Project, zone: str, ref: str, field: str) -> Disk:
    name = last_segment(ref)
    disk = disk_rows.find_disk(session, project.number, zone, name)
    if disk is None or disk.status == disk_rows.DELETING:
        raise NotFound(
            f"The resource 'projects/{project.project_id}/zones/{zone}/disks/{name}' was not found"
        )
    return disk


def attach_requested(
    images: Images,
    session: Session,
    caller: Caller,
    project: Project,
    instance: Instance,
    boot_disk: Disk,
    request: InstanceRequest,
    now: dt.datetime,
) -> None:
    boot = request.boot_disk
    disk_rows.attach(
        session,
        project,
        instance,
        boot_disk,
        device_name=boot.device_name,
        mode=boot.mode,
        boot=True,
        auto_delete=boot.auto_delete,
        now=now,
    )
    for index, wanted in enumerate(request.disks, start=1):
        if wanted.source is not None:
            disk = existing_disk(session, project, instance.zone, wanted.source, wanted.field)
        else:
            disk = new_disk_for(
                images,
                session,
                caller,
                project,
                instance.zone,
                wanted,
                f"{instance.name}-{index}",
                now,
            )
        disk_rows.attach(
            session,
            project,
            instance,
            disk,
            device_name=wanted.device_name,
            mode=wanted.mode,
            boot=False,
            auto_delete=wanted.auto_delete,
            now=now,
        )


def attachment_named(
    session: Session, project: Project, instance: Instance, device_name: str
) -> DiskAttachment:
    found = session.scalars(
        select(DiskAttachment).where(
            DiskAttachment.instance_id == instance.id,
            DiskAttachment.device_name == device_name,
            DiskAttachment.state != disk_rows.DETACHING,
        )
    ).first()
    if found is None:
        raise InvalidArgument(
            f"Invalid value for field 'deviceName': '{device_name}'. No disk with device "
            f"name '{device_name}' is attached to instance '{instance.name}'."
        )
    return found
