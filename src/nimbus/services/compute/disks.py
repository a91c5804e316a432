"""Persistent disks (compute/v1 ``disks``) and snapshots (``snapshots``): the user's
side. Rows and Operations are written here; the disk controller makes, grows, copies
and removes the files, and finishes the Operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RequiredField,
)
from nimbus.core.fingerprints import fingerprint_of
from nimbus.core.ids import new_numeric_id
from nimbus.core.labels import validate_labels
from nimbus.services.billing.accounts import require_billing
from nimbus.services.caller import Caller
from nimbus.services.compute import disk_rows, quotas, usage
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute.done_operations import Target, record, record_done, repeated
from nimbus.services.compute.fingerprints import relabel
from nimbus.services.compute.images import Images
from nimbus.services.compute.names import check_name, last_segment
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Disk, DiskAttachment, Instance, Operation, Project, Snapshot


class Disks:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        operations: Operations,
        images: Images,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.images = images
        self.clock = clock
        self.wake = wake

    # -- disks -----------------------------------------------------------------------------

    def get(self, caller: Caller, project_ref: str, zone: str, name: str) -> tuple[Project, Disk]:
        with self.db.read() as session:
            return self._resolve(session, caller, project_ref, zone, name, "compute.disks.get")

    def list_disks(
        self, caller: Caller, project_ref: str, zone: str | None
    ) -> tuple[Project, list[Disk]]:
        if zone is not None:
            catalog.zone(zone)
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "compute.disks.list")
            # A disk being deleted is gone for its user (get says 404 too).
            query = select(Disk).where(
                Disk.project_number == project.number, Disk.status != disk_rows.DELETING
            )
            if zone is not None:
                query = query.where(Disk.zone == zone)
            return project, list(session.scalars(query.order_by(Disk.zone, Disk.name)))

    def users(self, disk_ids: list[int]) -> dict[int, list[Instance]]:
        """Each disk's instances (``users`` in Google's Disk)."""
        found: dict[int, list[Instance]] = {i: [] for i in disk_ids}
        if not disk_ids:
            return found
        with self.db.read() as session:
            rows = session.execute(
                select(DiskAttachment.disk_id, Instance)
                .join(Instance, Instance.id == DiskAttachment.instance_id)
                .where(DiskAttachment.disk_id.in_(disk_ids))
                .order_by(Instance.name)
            )
            for disk_id, instance in rows:
                found[disk_id].append(instance)
        return found

    def insert(
        self,
        caller: Caller,
        project_ref: str,
        zone: str,
        body: dict[str, Any],
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        catalog.zone(zone)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise RequiredField("Required field 'resource.name' not specified")
        check_name(name)
        disk_type = disk_rows.check_type(body.get("type"), zone)
        labels = validate_labels(body.get("labels"))
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.disks.create")
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            require_billing(session, project.number, "compute")
            source = disk_rows.DiskSource()
            image_ref = body.get("sourceImage")
            snapshot_ref = body.get("sourceSnapshot")
            if image_ref and snapshot_ref:
                raise InvalidArgument("A disk has at most one of sourceImage and sourceSnapshot.")
            if image_ref:
                image = self.images.resolve(session, caller, project.project_id, str(image_ref))
                source = disk_rows.DiskSource(image=image, image_ref=str(image_ref))
            elif snapshot_ref:
                snapshot = disk_rows.find_snapshot(session, project, str(snapshot_ref))
                source = disk_rows.DiskSource(snapshot=snapshot, snapshot_ref=str(snapshot_ref))
            disk = disk_rows.new_disk(
                session,
                project,
                zone,
                name,
                disk_type=disk_type,
                size_gb=disk_rows.check_size(body.get("sizeGb"), "resource.sizeGb", source),
                source=source,
                now=self.clock.now(),
                description=str(body.get("description") or ""),
                labels=labels,
            )
            quotas.enforce(
                session, project.number, catalog.zone(zone).region, [quotas.disk_metric(disk_type)]
            )
            operation = self._record(session, caller, project, disk, "insert", link, request_id)
        self.wake()
        return project, operation

    def delete(
        self,
        caller: Caller,
        project_ref: str,
        zone: str,
        name: str,
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, disk = self._resolve(
                session, caller, project_ref, zone, name, "compute.disks.delete"
            )
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            users = disk_rows.users_of(session, disk)
            if users:
                raise InvalidArgument(
                    f"The disk resource '{disk_rows.disk_link(project.project_id, disk)}' is "
                    f"already being used by "
                    f"'{disk_rows.instance_link(project.project_id, users[0])}'",
                    reason="resourceInUseByAnotherResource",
                )
            disk.status = disk_rows.DELETING
            operation = self._record(session, caller, project, disk, "delete", link, request_id)
        self.wake()
        return project, operation

    def resize(
        self,
        caller: Caller,
        project_ref: str,
        zone: str,
        name: str,
        size: object,
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        if size is None:
            raise RequiredField("Required field 'sizeGb' not specified")
        with self.db.write() as session:
            project, disk = self._resolve(
                session, caller, project_ref, zone, name, "compute.disks.resize"
            )
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            wanted = disk_rows.check_size(size, "sizeGb", disk_rows.DiskSource())
            assert wanted is not None
            if wanted <= disk.size_gb:
                raise InvalidArgument(
                    f"Invalid value for field 'sizeGb': '{size}'. New disk size '{wanted}' GiB "
                    f"must be larger than existing size '{disk.size_gb}' GiB."
                )
            if disk.status not in (disk_rows.READY, disk_rows.CREATING, disk_rows.RESTORING):
                raise FailedPrecondition(
                    f"The disk resource '{disk_rows.disk_link(project.project_id, disk)}' is not "
                    "ready",
                    reason="resourceNotReady",
                )
            disk.size_gb = wanted
            quotas.enforce(
                session,
                project.number,
                catalog.zone(disk.zone).region,
                [quotas.disk_metric(disk.disk_type)],
            )
            usage.disk_provisioned(session, disk, self.clock.now())
            operation = self._record(session, caller, project, disk, "resize", link, request_id)
        self.wake()
        return project, operation

    def set_labels(
        self,
        caller: Caller,
        project_ref: str,
        zone: str,
        name: str,
        labels: dict[str, str],
        fingerprint: str | None,
        link: str,
    ) -> tuple[Project, Operation]:
        clean = validate_labels(labels)
        with self.db.write() as session:
            project, disk = self._resolve(
                session, caller, project_ref, zone, name, "compute.disks.setLabels"
            )
            relabel(disk, clean, fingerprint)
            return project, self._record(
                session, caller, project, disk, "setLabels", link, None, done=True
            )

    # -- snapshots -------------------------------------------------------------------------

    def create_snapshot(
        self,
        caller: Caller,
        project_ref: str,
        body: dict[str, Any],
        link_of: Callable[[str], str],
        *,
        zone: str | None = None,
        disk_name: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        """``snapshots.insert`` (``sourceDisk`` in the body, a global Operation) or
        ``disks.createSnapshot`` (the disk in the path, a zonal Operation)."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise RequiredField("Required field 'resource.name' not specified")
        check_name(name)
        labels = validate_labels(body.get("labels"))
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.snapshots.create")
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            require_billing(
                session,
                project.number,
                "compute",
                verb="insert" if disk_name is None else "createSnapshot",
            )
            if disk_name is None:
                source = body.get("sourceDisk")
                if not isinstance(source, str) or not source:
                    raise RequiredField("Required field 'resource.sourceDisk' not specified")
                parts = source.split("/compute/v1/", 1)[-1].strip("/").split("/")
                if "zones" not in parts or "disks" not in parts:
                    raise InvalidArgument(f"Invalid value for field 'sourceDisk': '{source}'.")
                zone = parts[parts.index("zones") + 1]
                disk_name = parts[parts.index("disks") + 1]
            assert zone is not None
            _, disk = self._resolve(
                session, caller, project.project_id, zone, disk_name, "compute.disks.createSnapshot"
            )
            if disk.status not in (disk_rows.READY,):
                raise FailedPrecondition(
                    f"The disk resource '{disk_rows.disk_link(project.project_id, disk)}' is not "
                    "ready",
                    reason="resourceNotReady",
                )
            taken = session.scalars(
                select(Snapshot).where(
                    Snapshot.project_number == project.number, Snapshot.name == name
                )
            ).first()
            if taken is not None:
                raise AlreadyExists(
                    f"The resource 'projects/{project.project_id}/global/snapshots/{name}' "
                    "already exists"
                )
            snapshot = Snapshot(
                id=new_numeric_id(),
                project_number=project.number,
                name=name,
                description=str(body.get("description") or ""),
                status=disk_rows.CREATING,
                source_disk_id=disk.id,
                source_disk=disk_rows.disk_link(project.project_id, disk),
                disk_size_gb=disk.size_gb,
                disk_type=disk.disk_type,
                image_id=disk.image_id,
                storage_bytes=0,
                storage_location=catalog.zone(disk.zone).region,
                labels=labels,
                label_fingerprint=fingerprint_of(labels),
                creation_time=self.clock.now(),
            )
            session.add(snapshot)
            session.flush()
            quotas.enforce(session, project.number, None, [qc.SNAPSHOTS])
            if body.get("sourceDisk") is None:  # disks.createSnapshot
                target = Target(states.ZONE, disk.zone, link_of(disk.name), request_id)
                verb = "createSnapshot"
            else:
                target = Target(states.GLOBAL, "", link_of(name), request_id)
                verb = "insert"
            operation = record(
                self.operations,
                session,
                project.number,
                caller,
                target,
                verb,
                snapshot.id,
                done=False,
            )
        self.wake()
        return project, operation

    def get_snapshot(self, caller: Caller, project_ref: str, name: str) -> tuple[Project, Snapshot]:
        with self.db.read() as session:
            return self._snapshot(session, caller, project_ref, name, "compute.snapshots.get")

    def list_snapshots(self, caller: Caller, project_ref: str) -> tuple[Project, list[Snapshot]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "compute.snapshots.list")
            rows = session.scalars(
                select(Snapshot)
                .where(
                    Snapshot.project_number == project.number,
                    Snapshot.status != disk_rows.DELETING,
                )
                .order_by(Snapshot.name)
            )
            return project, list(rows)

    def delete_snapshot(
        self,
        caller: Caller,
        project_ref: str,
        name: str,
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, snapshot = self._snapshot(
                session, caller, project_ref, name, "compute.snapshots.delete"
            )
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            snapshot.status = disk_rows.DELETING
            target = Target(states.GLOBAL, "", link, request_id)
            operation = record(
                self.operations,
                session,
                project.number,
                caller,
                target,
                "delete",
                snapshot.id,
                done=False,
            )
        self.wake()
        return project, operation

    def set_snapshot_labels(
        self,
        caller: Caller,
        project_ref: str,
        name: str,
        labels: dict[str, str],
        fingerprint: str | None,
        link: str,
    ) -> tuple[Project, Operation]:
        clean = validate_labels(labels)
        with self.db.write() as session:
            project, snapshot = self._snapshot(
                session, caller, project_ref, name, "compute.snapshots.setLabels"
            )
            relabel(snapshot, clean, fingerprint)
            target = Target(states.GLOBAL, "", link)
            return project, record_done(
                self.operations, session, project.number, caller, target, "setLabels", snapshot.id
            )

    # -- helpers ---------------------------------------------------------------------------

    def _record(
        self,
        session: Session,
        caller: Caller,
        project: Project,
        disk: Disk,
        verb: str,
        link: str,
        request_id: str | None,
        *,
        done: bool = False,
    ) -> Operation:
        target = Target(states.ZONE, disk.zone, link, request_id)
        return record(
            self.operations, session, project.number, caller, target, verb, disk.id, done=done
        )

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)

    def _resolve(
        self,
        session: Session,
        caller: Caller,
        project_ref: str,
        zone: str,
        name: str,
        permission: str,
    ) -> tuple[Project, Disk]:
        catalog.zone(zone)
        project = self._project(session, caller, project_ref, permission)
        disk = disk_rows.find_disk(session, project.number, zone, last_segment(name))
        if disk is None or disk.status == disk_rows.DELETING:
            raise NotFound(
                f"The resource 'projects/{project.project_id}/zones/{zone}/disks/{name}' was not "
                "found"
            )
        return project, disk

    def _snapshot(
        self, session: Session, caller: Caller, project_ref: str, name: str, permission: str
    ) -> tuple[Project, Snapshot]:
        project = self._project(session, caller, project_ref, permission)
        found = session.scalars(
            select(Snapshot).where(Snapshot.project_number == project.number, Snapshot.name == name)
        ).first()
        if found is None or found.status == disk_rows.DELETING:
            raise NotFound(
                f"The resource 'projects/{project.project_id}/global/snapshots/{name}' was not "
                "found"
            )
        return project, found
