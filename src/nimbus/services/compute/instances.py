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
from nimbus.core.errors import AlreadyExists, FailedPrecondition, NotFound
from nimbus.core.fingerprints import fingerprint_of, new_etag
from nimbus.core.ids import new_numeric_id
from nimbus.core.labels import validate_labels
from nimbus.runtime.driver import ConsoleChunk, Driver, DriverError
from nimbus.services.caller import Caller
from nimbus.services.compute import instance_states as st
from nimbus.services.compute.addresses import allocate_external, allocate_internal
from nimbus.services.compute.default_account import instance_account
from nimbus.services.compute.fingerprints import require_fingerprint
from nimbus.services.compute.images import FAILED, Images
from nimbus.services.compute.instance_requests import InstanceRequest
from nimbus.services.compute.metadata import metadata_fingerprint, validate_items
from nimbus.services.compute.names import check_name
from nimbus.services.compute.networks import ensure_default_network, find_network, subnet_in
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.services.locations import catalog
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import GuestAttribute, Instance, Operation, Project


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
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.instances.create")
            repeated = self._repeated(session, project, request_id)
            if repeated is not None:
                return project, repeated
            link = f"{project_link}/zones/{zone}/instances/{request.name}"
            if self._find(session, project, zone, request.name) is not None:
                raise AlreadyExists(
                    f"The resource 'projects/{project.project_id}/zones/{zone}/instances/"
                    f"{request.name}' already exists"
                )
            image = self.images.resolve(
                session, caller, project.project_id, request.boot_disk.source_image
            )
            if image.status == FAILED:
                raise FailedPrecondition(f"The image '{image.name}' failed to build.")
            if request.network == "default":
                network = ensure_default_network(session, project.number, self.clock)
            else:
                network = find_network(session, project.number, project.project_id, request.network)
            subnet = subnet_in(session, network, zone_info.region)
            accounts = [
                {
                    "email": instance_account(
                        session, self.accounts, project, sa["email"], self.clock
                    ).email,
                    "scopes": sa["scopes"],
                }
                for sa in request.service_accounts
            ]
            now = self.clock.now()
            instance = Instance(
                id=new_numeric_id(),
                project_number=project.number,
                zone=zone,
                name=request.name,
                description=request.description,
                machine_type=request.machine_type.name,
                vcpus=request.machine_type.guest_cpus,
                memory_mb=request.machine_type.memory_mb,
                status=st.PROVISIONING,
                desired_status=st.WANT_RUNNING,
                image_id=image.id,
                source_image=request.boot_disk.source_image,
                boot_disk={
                    "deviceName": request.boot_disk.device_name,
                    "diskSizeGb": request.boot_disk.size_gb,
                    "diskType": request.boot_disk.disk_type,
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
                network_id=network.id,
                network_name=network.name,
                subnetwork_id=subnet.id,
                network_ip=allocate_internal(session, subnet),
                nat_ip=allocate_external(session, self.external_pool())
                if request.external_ip
                else None,
                fingerprint=new_etag()[:12],
                creation_time=now,
            )
            session.add(instance)
            operation = self._record(session, caller, project, instance, "insert", link, request_id)
        self.wake()
        return project, operation

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
            repeated = self._repeated(session, project, request_id)
            if repeated is not None:
                return project, repeated
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
        with self.db.write() as session:
            project, instance = self._resolve(session, caller, ref, f"compute.instances.{verb}")
            repeated = self._repeated(session, project, request_id)
            if repeated is not None:
                return project, repeated
            if instance.desired_status == st.WANT_DELETED:
                raise NotFound(self._missing(project, ref))
            if instance.status not in allowed:
                raise FailedPrecondition(
                    f"The resource 'projects/{project.project_id}/zones/{ref.zone}/instances/"
                    f"{ref.name}' is not ready: it is {instance.status}.",
                    reason="resourceNotReady",
                )
            instance.desired_status = desired
            if verb == "reset":
                instance.reset_requested += 1
            operation = self._record(session, caller, project, instance, verb, link, request_id)
        self.wake()
        return project, operation

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
            require_fingerprint(fingerprint, instance.label_fingerprint, "labels")
            instance.labels = clean
            instance.label_fingerprint = fingerprint_of(clean)

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

        return self._change_now(caller, ref, "setTags", link, apply)

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
        return self.operations.record_for_number(
            session,
            project.number,
            scope=states.ZONE,
            location=instance.zone,
            operation_type=verb,
            target_link=link,
            target_id=str(instance.id),
            user=caller.email,
            done=done,
            request_id=request_id,
        )

    @staticmethod
    def _repeated(session: Session, project: Project, request_id: str | None) -> Operation | None:
        if not request_id:
            return None
        return session.scalars(
            select(Operation).where(
                Operation.project_number == project.number, Operation.request_id == request_id
            )
        ).first()

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
