"""Instances (compute/v1 ``instances``): the user's side of an instance's life.

This service checks permissions and writes desired state with a zone Operation; the
instance controller boots, stops and deletes, and finishes the Operation. Metadata,
labels and tags change at once (their Operation is born DONE), as the metadata server
reads them from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NimbusError,
    NotFound,
    RequiredField,
)
from nimbus.core.fingerprints import fingerprint_of, new_etag
from nimbus.core.ids import new_numeric_id
from nimbus.core.labels import validate_labels
from nimbus.runtime.driver import ConsoleChunk, Driver, DriverError
from nimbus.services.billing.accounts import require_billing
from nimbus.services.caller import Caller
from nimbus.services.compute import capacity, disk_rows, instance_disks, quotas
from nimbus.services.compute import instance_states as st
from nimbus.services.compute.addresses import allocate_external
from nimbus.services.compute.default_account import instance_account
from nimbus.services.compute.done_operations import Target, record, repeated
from nimbus.services.compute.fingerprints import relabel, require_fingerprint
from nimbus.services.compute.images import Images
from nimbus.services.compute.instance_requests import InstanceRequest
from nimbus.services.compute.instance_requests import machine_type_named as parse_machine_type
from nimbus.services.compute.interfaces import choose_interface
from nimbus.services.compute.metadata import metadata_fingerprint, validate_items
from nimbus.services.compute.names import check_name
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.services.locations import catalog
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import (
    Disk,
    DiskAttachment,
    GuestAttribute,
    Instance,
    Operation,
    Project,
)


class _NoRoom(Exception):
    def __init__(self, project: Project, error: NimbusError) -> None:
        super().__init__(error.message)
        # The project's row goes with the rolled-back session; its number stays.
        self.project_number = project.number
        self.error = error


@dataclass(frozen=True)
class InstanceRef:
    project: str
    zone: str
    name: str


class Instances:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        operations: Operations,
        images: Images,
        accounts: ServiceAccounts,
        clock: Clock,
        *,
        external_pool: Callable[[], Iterable[str]],
        driver: Driver,
        capacity: capacity.HostCapacity,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.images = images
        self.accounts = accounts
        self.clock = clock
        self.external_pool = external_pool
        self.driver = driver
        self.capacity = capacity
        self.wake = wake

    # -- reads -----------------------------------------------------------------------------

    def get(self, caller: Caller, ref: InstanceRef) -> tuple[Project, Instance]:
        with self.db.read() as session:
            return self._resolve(session, caller, ref, "compute.instances.get")

    def list_in_zone(
        self, caller: Caller, project_ref: str, zone: str
    ) -> tuple[Project, list[Instance]]:
        catalog.zone(zone)
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "compute.instances.list")
            rows = session.scalars(
                select(Instance)
                .where(Instance.project_number == project.number, Instance.zone == zone)
                .order_by(Instance.name)
            ).all()
            return project, list(rows)

    def list_all(self, caller: Caller, project_ref: str) -> tuple[Project, list[Instance]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "compute.instances.list")
            rows = session.scalars(
                select(Instance)
                .where(Instance.project_number == project.number)
                .order_by(Instance.zone, Instance.name)
            ).all()
            return project, list(rows)

    def serial_output(self, caller: Caller, ref: InstanceRef, start: int) -> ConsoleChunk:
        with self.db.read() as session:
            _, instance = self._resolve(
                session, caller, ref, "compute.instances.getSerialPortOutput"
            )
            instance_id = str(instance.id)
        try:
            return self.driver.console_output(instance_id, max(start, 0))
        except DriverError:
            return ConsoleChunk(b"", max(start, 0), max(start, 0))

    def guest_attributes(
        self, caller: Caller, ref: InstanceRef, namespace: str | None
    ) -> list[GuestAttribute]:
        with self.db.read() as session:
            _, instance = self._resolve(
                session, caller, ref, "compute.instances.getGuestAttributes"
            )
            query = select(GuestAttribute).where(GuestAttribute.instance_id == instance.id)
            if namespace:
                query = query.where(GuestAttribute.namespace == namespace)
            return list(
                session.scalars(query.order_by(GuestAttribute.namespace, GuestAttribute.key))
            )

    # -- insert ----------------------------------------------------------------------------

    def insert(
        self,
        caller: Caller,
        project_ref: str,
        zone: str,
        request: InstanceRequest,
        project_link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        zone_info = catalog.zone(zone)
        link = f"{project_link}/zones/{zone}/instances/{request.name}"
        try:
            with self.db.write() as session:
                project = self._project(session, caller, project_ref, "compute.instances.create")
                # Inserts in one project take turns from here (PostgreSQL; SQLite runs one
                # writer at a time): each picks its addresses and is counted against the
                # quotas with the others' instances already there.
                hierarchy.lock_project(session, project.number)
                earlier = repeated(session, project.number, request_id)
                if earlier is not None:
                    return project, earlier
                require_billing(session, project.number, "compute")
                if self._find(session, project, zone, request.name) is not None:
                    raise AlreadyExists(
                        f"The resource 'projects/{project.project_id}/zones/{zone}/instances/"
                        f"{request.name}' already exists"
                    )
                kind = request.machine_type
                now = self.clock.now()
                boot_disk, image = instance_disks.boot_disk_for(
                    self.images, session, caller, project, zone, request, now
                )
                nic = choose_interface(
                    session, project, zone_info.region, request.interface, self.clock
                )
                accounts = [
                    {
                        "email": instance_account(
                            session, self.accounts, project, sa["email"], self.clock
                        ).email,
                        "scopes": sa["scopes"],
                    }
                    for sa in request.service_accounts
                ]
                instance = Instance(
                    id=new_numeric_id(),
                    project_number=project.number,
                    zone=zone,
                    name=request.name,
                    description=request.description,
                    machine_type=kind.name,
                    vcpus=kind.guest_cpus,
                    memory_mb=kind.memory_mb,
                    status=st.PROVISIONING,
                    desired_status=st.WANT_RUNNING,
                    image_id=image.id,
                    source_image=boot_disk.source_image or image.name,
                    boot_disk={
                        "deviceName": request.boot_disk.device_name,
                        "diskSizeGb": boot_disk.size_gb,
                        "diskType": boot_disk.disk_type,
                        "autoDelete": request.boot_disk.auto_delete,
                    },
                    metadata_items=request.metadata,
                    metadata_fingerprint=metadata_fingerprint(request.metadata),
                    labels=request.labels,
                    label_fingerprint=fingerprint_of(request.labels),
                    tags=request.tags,
                    tags_fingerprint=fingerprint_of(request.tags),
                    service_accounts=accounts,
                    scheduling=request.scheduling,
                    network_id=nic.network.id,
                    network_name=nic.network.name,
                    subnetwork_id=nic.subnet.id,
                    subnetwork_name=nic.subnet.name,
                    network_ip=nic.network_ip,
                    nat_ip=allocate_external(session, self.external_pool())
                    if request.external_ip
                    else None,
                    fingerprint=new_etag()[:12],
                    creation_time=now,
                )
                session.add(instance)
                session.flush()
                instance_disks.attach_requested(
                    self.images, session, caller, project, instance, boot_disk, request, now
                )
                # Quota first (Google's 403, nothing made), then room on the host.
                quotas.enforce(
                    session, project.number, zone_info.region, quotas.grown_by_insert(request)
                )
                self._admit(
                    session,
                    project,
                    zone,
                    capacity.Demand.of(kind.name, kind.guest_cpus, kind.memory_mb),
                    spot=capacity.reclaimable(request.scheduling),
                    exclude=instance.id,
                )
                operation = self._record(
                    session, caller, project, instance, "insert", link, request_id
                )
        except _NoRoom as no_room:
            return self._failed(
                caller, no_room.project_number, zone, "insert", link, no_room.error, request_id
            )
        self.wake()
        return project, operation

    def _admit(
        self,
        session: Session,
        project: Project,
        zone: str,
        demand: capacity.Demand,
        *,
        spot: bool,
        exclude: int | None = None,
    ) -> None:
        """Make room for ``demand`` (preempting Spot instances if needed) or raise
        _NoRoom, which rolls the transaction back: nothing is half-created."""
        try:
            victims = capacity.admit(
                session,
                self.capacity,
                demand,
                spot=spot,
                zone=zone,
                project_id=project.project_id,
                exclude=exclude,
            )
        except NimbusError as error:
            raise _NoRoom(project, error) from error
        for victim in victims:
            victim.preempt_requested = True

    def _failed(
        self,
        caller: Caller,
        project_number: int,
        zone: str,
        verb: str,
        link: str,
        error: NimbusError,
        request_id: str | None,
    ) -> tuple[Project, Operation]:
        """An Operation that failed before anything changed (Google reports capacity
        errors this way)."""
        with self.db.write() as session:
            project = session.get(Project, project_number)
            assert project is not None
            operation = self.operations.record_for_number(
                session,
                project_number,
                scope=states.ZONE,
                location=zone,
                operation_type=verb,
                target_link=link,
                target_id="",  # nothing was made, or changed
                user=caller.email,
                done=True,
                request_id=request_id,
            )
            self.operations.finish(session, operation, error)
            return project, operation

    def attached(self, instance_ids: list[int]) -> dict[int, list[tuple[DiskAttachment, Disk]]]:
        with self.db.read() as session:
            return disk_rows.attachments_of(session, instance_ids)

    # -- power -----------------------------------------------------------------------------

    def start(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        return self._power(caller, ref, link, "start", st.WANT_RUNNING, st.ALLOW_START, request_id)

    def stop(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        return self._power(caller, ref, link, "stop", st.WANT_TERMINATED, st.ALLOW_STOP, request_id)

    def reset(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        return self._power(caller, ref, link, "reset", st.WANT_RUNNING, st.ALLOW_RESET, request_id)

    def delete(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, instance = self._resolve(session, caller, ref, "compute.instances.delete")
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            instance.desired_status = st.WANT_DELETED
            operation = self._record(session, caller, project, instance, "delete", link, request_id)
        self.wake()
        return project, operation

    def _power(
        self,
        caller: Caller,
        ref: InstanceRef,
        link: str,
        verb: str,
        desired: str,
        allowed: tuple[str, ...],
        request_id: str | None,
    ) -> tuple[Project, Operation]:
        try:
            with self.db.write() as session:
                project, instance = self._resolve(session, caller, ref, f"compute.instances.{verb}")
                earlier = repeated(session, project.number, request_id)
                if earlier is not None:
                    return project, earlier
                if instance.desired_status == st.WANT_DELETED:
                    raise NotFound(self._missing(project, ref))
                if instance.status not in allowed:
                    raise FailedPrecondition(
                        f"The resource 'projects/{project.project_id}/zones/{ref.zone}/"
                        f"instances/{ref.name}' is not ready: it is {instance.status}.",
                        reason="resourceNotReady",
                    )
                if desired == st.WANT_RUNNING and instance.status in (st.TERMINATED, st.SUSPENDED):
                    require_billing(session, project.number, "compute", verb=verb)
                    if instance.desired_status != st.WANT_RUNNING:
                        # Counted from here on: its CPUs must fit the quota.
                        instance.desired_status = desired
                        quotas.enforce(
                            session,
                            project.number,
                            catalog.zone(instance.zone).region,
                            [quotas.cpu_metric(capacity.is_spot(instance))],
                        )
                        demand = capacity.Demand.of(
                            instance.machine_type, instance.vcpus, instance.memory_mb
                        )
                        self._admit(
                            session,
                            project,
                            instance.zone,
                            demand,
                            spot=capacity.is_spot(instance),
                            exclude=instance.id,
                        )
                    # Taken back earlier; a new start is a new life.
                    instance.preempted = False
                    instance.preempt_requested = False
                instance.desired_status = desired
                if verb == "reset":
                    instance.reset_requested += 1
                operation = self._record(session, caller, project, instance, verb, link, request_id)
        except _NoRoom as no_room:
            return self._failed(
                caller, no_room.project_number, ref.zone, verb, link, no_room.error, request_id
            )
        self.wake()
        return project, operation

    def suspend(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        return self._power(
            caller, ref, link, "suspend", st.WANT_SUSPENDED, st.ALLOW_SUSPEND, request_id
        )

    def resume(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        return self._power(
            caller, ref, link, "resume", st.WANT_RUNNING, st.ALLOW_RESUME, request_id
        )

    def simulate_maintenance_event(
        self, caller: Caller, ref: InstanceRef, link: str, request_id: str | None = None
    ) -> tuple[Project, Operation]:
        """Spot and preemptible instances are taken back, as Google does; others are
        live-migrated, which on one host changes nothing."""
        with self.db.write() as session:
            project, instance = self._resolve(
                session, caller, ref, "compute.instances.simulateMaintenanceEvent"
            )
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            done = True
            if capacity.is_spot(instance) and instance.status == st.RUNNING:
                instance.preempt_requested = True
                done = False
            operation = self._record(
                session,
                caller,
                project,
                instance,
                "simulateMaintenanceEvent",
                link,
                request_id,
                done=done,
            )
        self.wake()
        return project, operation

    def set_machine_type(
        self, caller: Caller, ref: InstanceRef, machine_type: str, link: str
    ) -> tuple[Project, Operation]:
        kind = parse_machine_type(machine_type, ref.zone)

        def apply(instance: Instance) -> None:
            if instance.status != st.TERMINATED:
                raise InvalidArgument(
                    f"Instance '{instance.name}' must be stopped (TERMINATED) to change its "
                    f"machine type; it is {instance.status}.",
                    reason="resourceNotReady",
                )
            instance.machine_type = kind.name
            instance.vcpus = kind.guest_cpus
            instance.memory_mb = kind.memory_mb
            quotas.enforce_machine_type(instance)

        return self._change_now(caller, ref, "setMachineType", link, apply)

    # -- disks -----------------------------------------------------------------------------

    def attach_disk(
        self,
        caller: Caller,
        ref: InstanceRef,
        body: dict[str, Any],
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        if body.get("boot"):
            raise InvalidArgument("A boot disk cannot be attached to an existing instance.")
        source = body.get("source")
        if not isinstance(source, str) or not source:
            raise RequiredField("Required field 'resource.source' not specified")
        mode = str(body.get("mode") or disk_rows.READ_WRITE)
        device_name = body.get("deviceName")
        with self.db.write() as session:
            project, instance = self._resolve(session, caller, ref, "compute.instances.attachDisk")
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            disk = instance_disks.existing_disk(
                session, project, ref.zone, source, "resource.source"
            )
            disk_rows.attach(
                session,
                project,
                instance,
                disk,
                device_name=None if device_name is None else str(device_name),
                mode=mode,
                boot=False,
                auto_delete=bool(body.get("autoDelete", False)),
                now=self.clock.now(),
            )
            operation = self._record(
                session, caller, project, instance, "attachDisk", link, request_id
            )
        self.wake()
        return project, operation

    def detach_disk(
        self,
        caller: Caller,
        ref: InstanceRef,
        device_name: str,
        link: str,
        request_id: str | None = None,
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, instance = self._resolve(session, caller, ref, "compute.instances.detachDisk")
            earlier = repeated(session, project.number, request_id)
            if earlier is not None:
                return project, earlier
            attachment = instance_disks.attachment_named(session, project, instance, device_name)
            if attachment.boot and instance.status != st.TERMINATED:
                raise InvalidArgument(
                    f"The boot disk of '{instance.name}' can only be detached while the "
                    "instance is stopped.",
                    reason="resourceNotReady",
                )
            attachment.state = disk_rows.DETACHING
            operation = self._record(
                session, caller, project, instance, "detachDisk", link, request_id
            )
        self.wake()
        return project, operation

    def set_disk_auto_delete(
        self, caller: Caller, ref: InstanceRef, device_name: str, auto_delete: bool, link: str
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, instance = self._resolve(
                session, caller, ref, "compute.instances.setDiskAutoDelete"
            )
            attachment = instance_disks.attachment_named(session, project, instance, device_name)
            attachment.auto_delete = auto_delete
            if attachment.boot:
                instance.boot_disk = {**instance.boot_disk, "autoDelete": auto_delete}
            return project, self._record(
                session, caller, project, instance, "setDiskAutoDelete", link, None, done=True
            )

    # -- settings that apply at once -------------------------------------------------------

    def set_metadata(
        self,
        caller: Caller,
        ref: InstanceRef,
        items: list[dict[str, Any]],
        fingerprint: str | None,
        link: str,
    ) -> tuple[Project, Operation]:
        clean = validate_items(items)

        def apply(instance: Instance) -> None:
            require_fingerprint(fingerprint, instance.metadata_fingerprint, "metadata")
            instance.metadata_items = clean
            instance.metadata_fingerprint = metadata_fingerprint(clean)

        return self._change_now(caller, ref, "setMetadata", link, apply)

    def set_labels(
        self,
        caller: Caller,
        ref: InstanceRef,
        labels: dict[str, str],
        fingerprint: str | None,
        link: str,
    ) -> tuple[Project, Operation]:
        clean = validate_labels(labels)

        def apply(instance: Instance) -> None:
            relabel(instance, clean, fingerprint)

        return self._change_now(caller, ref, "setLabels", link, apply)

    def set_tags(
        self,
        caller: Caller,
        ref: InstanceRef,
        tags: list[str],
        fingerprint: str | None,
        link: str,
    ) -> tuple[Project, Operation]:
        for tag in tags:
            check_name(tag, "tags.items")
        clean = sorted(set(tags))

        def apply(instance: Instance) -> None:
            require_fingerprint(fingerprint, instance.tags_fingerprint, "tags")
            instance.tags = clean
            instance.tags_fingerprint = fingerprint_of(clean)

        changed = self._change_now(caller, ref, "setTags", link, apply)
        self.wake()  # tags select firewall rules: the firewall controller looks again
        return changed

    def _change_now(
        self,
        caller: Caller,
        ref: InstanceRef,
        verb: str,
        link: str,
        apply: Callable[[Instance], None],
    ) -> tuple[Project, Operation]:
        """A change that takes effect in the store at once: its Operation is born DONE."""
        with self.db.write() as session:
            project, instance = self._resolve(session, caller, ref, f"compute.instances.{verb}")
            apply(instance)
            return project, self._record(
                session, caller, project, instance, verb, link, None, done=True
            )

    # -- helpers ---------------------------------------------------------------------------

    def _record(
        self,
        session: Session,
        caller: Caller,
        project: Project,
        instance: Instance,
        verb: str,
        link: str,
        request_id: str | None,
        *,
        done: bool = False,
    ) -> Operation:
        target = Target(states.ZONE, instance.zone, link, request_id)
        return record(
            self.operations, session, project.number, caller, target, verb, instance.id, done=done
        )

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)

    @staticmethod
    def _find(session: Session, project: Project, zone: str, name: str) -> Instance | None:
        return session.scalars(
            select(Instance).where(
                Instance.project_number == project.number,
                Instance.zone == zone,
                Instance.name == name,
            )
        ).first()

    @staticmethod
    def _missing(project: Project, ref: InstanceRef) -> str:
        return (
            f"The resource 'projects/{project.project_id}/zones/{ref.zone}/instances/"
            f"{ref.name}' was not found"
        )

    def _resolve(
        self, session: Session, caller: Caller, ref: InstanceRef, permission: str
    ) -> tuple[Project, Instance]:
        catalog.zone(ref.zone)
        project = self._project(session, caller, ref.project, permission)
        instance = self._find(session, project, ref.zone, ref.name)
        if instance is None:
            raise NotFound(self._missing(project, ref))
        return project, instance
