"""The instance controller: boots, stops, resets and deletes instances until what runs
matches what their users asked for, and finishes their Operations.

It keeps no state of its own: after a crash it reads the store, asks the driver what
runs, and carries on (every driver call is idempotent). Work on one instance is done by
one worker at a time; different instances proceed in parallel.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from nimbus.controllers.instance_world import DiskStore, ImageRoots, InstanceNetworks, InstanceView
from nimbus.core.clock import Clock
from nimbus.core.errors import FailedPrecondition, InvalidArgument, NimbusError, Unavailable
from nimbus.runtime.driver import (
    BuildAborted,
    DiskAttachment,
    Driver,
    DriverError,
    InstanceSpec,
    PowerState,
)
from nimbus.services.compute import disk_rows, machine_types, usage
from nimbus.services.compute import instance_states as st
from nimbus.services.compute.metadata_server import METADATA_ADDRESS
from nimbus.services.operations import states as op_states
from nimbus.services.operations.service import Operations
from nimbus.store.db import Database
from nimbus.store.models import Disk, Instance, Operation, Project, Subnetwork
from nimbus.store.models import DiskAttachment as DiskAttachmentRow

log = logging.getLogger("nimbus.controllers.instances")
POLL_SECONDS = 0.2
WATCH_SECONDS = 2.0

_DISKS_PENDING = (
    select(DiskAttachmentRow.id)
    .where(
        DiskAttachmentRow.instance_id == Instance.id,
        DiskAttachmentRow.state != disk_rows.ATTACHED,
    )
    .exists()
)
_SETTLED = and_(
    or_(
        and_(
            Instance.status == st.RUNNING,
            Instance.desired_status == st.WANT_RUNNING,
            Instance.reset_requested == Instance.reset_done,
            Instance.preempt_requested.is_(False),
        ),
        and_(Instance.status == st.TERMINATED, Instance.desired_status == st.WANT_TERMINATED),
        and_(Instance.status == st.SUSPENDED, Instance.desired_status == st.WANT_SUSPENDED),
    ),
    not_(_DISKS_PENDING),
)
_UNMADE = (disk_rows.CREATING, disk_rows.RESTORING)
# Google takes preemptible (not Spot) instances back after they ran this long.
PREEMPTIBLE_LIFETIME = dt.timedelta(hours=24)
# The budget a preempted instance's shutdown script gets, as on Google.
PREEMPTION_NOTICE_SECONDS = 30.0


class InstanceController:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        operations: Operations,
        driver: Driver,
        images: ImageRoots,
        networks: InstanceNetworks,
        *,
        disks: DiskStore | None = None,
        make_disk: Callable[[int], bool] | None = None,
        on_disks_released: Callable[[], None] = lambda: None,
        stop_timeout: float = 30.0,
        workers: int = 8,
    ) -> None:
        self.db = db
        self.clock = clock
        self.operations = operations
        self.driver = driver
        self.images = images
        self.networks = networks
        self.stop_timeout = stop_timeout
        self.disks = disks
        # Makes a new disk at once (the disk controller's work, done here so that a boot
        # does not wait for its next pass).
        self.make_disk = make_disk
        # Called when auto-deleted disks were handed to the disk controller.
        self.on_disks_released = on_disks_released
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="instance")
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="instances", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        self._wakeup.set()

    def _loop(self) -> None:
        self._guarded(self.recover)
        since_watch = 0.0
        while not self._stopping.is_set():
            self._guarded(self.dispatch)
            since_watch += POLL_SECONDS
            if since_watch >= WATCH_SECONDS:
                since_watch = 0.0
                self._guarded(self.watch)
            self._wakeup.wait(POLL_SECONDS)
            self._wakeup.clear()

    @staticmethod
    def _guarded(step: Callable[[], None]) -> None:
        try:
            step()
        except Exception:
            log.exception("instance controller step failed")

    # -- passes ----------------------------------------------------------------------------

    def recover(self) -> None:
        """After a restart: remove what the driver holds for instances that are gone, and
        boot again the instances that should run but do not (a host reboot)."""
        with self.db.read() as session:
            known = {str(i) for i in session.scalars(select(Instance.id))}
        for orphan in set(self.driver.instance_ids()) - known:
            log.info("removing orphaned instance %s", orphan)
            self.driver.delete(orphan)
        with self.db.write() as session:
            running = session.scalars(
                select(Instance).where(
                    Instance.status == st.RUNNING, Instance.desired_status == st.WANT_RUNNING
                )
            ).all()
            for instance in running:
                if self.driver.status(str(instance.id)).power != PowerState.RUNNING:
                    # Google restarts instances after a host failure (automaticRestart).
                    instance.status = st.STAGING

    def dispatch(self) -> None:
        """Hand every unsettled instance to a worker (one worker per instance)."""
        with self.db.read() as session:
            due = list(session.scalars(select(Instance.id).where(not_(_SETTLED))))
        for instance_id in due:
            with self._lock:
                if instance_id in self._busy:
                    continue
                self._busy.add(instance_id)
            self._pool.submit(self._work, instance_id)

    def run_until_settled(self, rounds: int = 50) -> None:
        """Converge every instance now, in this thread (tests and tools)."""
        for _ in range(rounds):
            with self.db.read() as session:
                due = list(session.scalars(select(Instance.id).where(not_(_SETTLED))))
            if not due:
                return
            for instance_id in due:
                self.converge(instance_id)

    def watch(self) -> None:
        """An instance whose init exited by itself (``poweroff`` inside) is TERMINATED,
        as on Google Cloud."""
        with self.db.read() as session:
            running = list(
                session.scalars(
                    select(Instance.id).where(
                        Instance.status == st.RUNNING, Instance.desired_status == st.WANT_RUNNING
                    )
                )
            )
        for instance_id in running:
            with self._lock:
                if instance_id in self._busy:
                    continue
            if self.driver.status(str(instance_id)).power == PowerState.RUNNING:
                continue
            with self.db.write() as session:
                instance = session.get(Instance, instance_id)
                if instance is not None and instance.status == st.RUNNING:
                    instance.status = st.TERMINATED
                    instance.desired_status = st.WANT_TERMINATED
                    instance.last_stop_time = self.clock.now()
                    usage.ended(session, usage.INSTANCE, instance.id, instance.last_stop_time)
        self._expire_preemptible()

    def _expire_preemptible(self) -> None:
        """Preemptible instances live at most 24 hours."""
        now = self.clock.now()
        with self.db.write() as session:
            for instance in session.scalars(
                select(Instance).where(
                    Instance.status == st.RUNNING, Instance.preempt_requested.is_(False)
                )
            ):
                started = instance.last_start_time
                if (
                    instance.scheduling.get("preemptible")
                    and started is not None
                    and now - started >= PREEMPTIBLE_LIFETIME
                ):
                    instance.preempt_requested = True

    def _work(self, instance_id: int) -> None:
        try:
            self.converge(instance_id)
        except Exception:
            log.exception("instance %s: converging failed", instance_id)
        finally:
            with self._lock:
                self._busy.discard(instance_id)
            self._wakeup.set()

    # -- one instance ----------------------------------------------------------------------

    def converge(self, instance_id: int) -> None:
        with self.db.read() as session:
            instance = session.get(Instance, instance_id)
            if instance is None:
                return
            desired, status = instance.desired_status, instance.status
            resetting = instance.reset_requested != instance.reset_done
            preempting = instance.preempt_requested
            view = _view(session, instance)
        if status in (st.SUSPENDED, st.SUSPENDING) and desired != st.WANT_SUSPENDED:
            self._resume(view, running=desired == st.WANT_RUNNING)
            if desired == st.WANT_RUNNING:
                return
        if desired == st.WANT_DELETED:
            self._delete(view)
        elif preempting and status == st.RUNNING:
            self._preempt(view)
        elif desired == st.WANT_TERMINATED and status != st.TERMINATED:
            self._stop(view)
        elif desired == st.WANT_SUSPENDED and status != st.SUSPENDED:
            self._suspend(view)
        elif desired == st.WANT_RUNNING and status == st.RUNNING and resetting:
            self._reset(view)
        elif desired == st.WANT_RUNNING and status != st.RUNNING:
            self._boot(view)
        else:
            if preempting:
                self._clear_preemption(view)
            self._sync_disks(view)

    def _boot(self, view: InstanceView) -> None:
        root = self.images.root_for(view.image_id)
        if root is None:
            return  # the image is still being built; the next pass tries again
        disks = self._disk_attachments(view)
        if disks is None:
            return  # a disk is still being made; the disk controller wakes us
        self._set_status(view, st.STAGING)
        try:
            netns = self.networks.attach(view)
            self.driver.create(
                InstanceSpec(
                    instance_id=view.key,
                    hostname=view.fqdn,
                    vcpus=view.vcpus,
                    cpu_share=view.cpu_share,
                    memory_mb=view.memory_mb,
                    image_root=root,
                    netns_path=netns,
                    hosts={
                        view.network_ip: f"{view.fqdn} {view.name}",
                        # Google's name for the metadata server, as its images resolve it.
                        METADATA_ADDRESS: "metadata.google.internal metadata",
                    },
                    environment=self.networks.environment(view),
                    cpus=_cpus_for(view),
                    nameservers=self.networks.nameservers(view),
                    search_domains=view.search_domains,
                    disks=disks,
                )
            )
            self._sync_disks(view, disks)
            self.driver.start(view.key)
        except DriverError as error:
            log.warning("instance %s did not boot: %s", view.name, error)
            self._failed(view, error)
            return
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.status = st.RUNNING
            instance.status_message = ""
            instance.last_start_time = self.clock.now()
            instance.reset_done = instance.reset_requested
            usage.instance_started(session, instance, instance.last_start_time)
            self._finish(session, view)

    def _stop(self, view: InstanceView) -> None:
        self._set_status(view, st.STOPPING)
        self.driver.stop(view.key, self.stop_timeout)
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.status = st.TERMINATED
            instance.last_stop_time = self.clock.now()
            usage.ended(session, usage.INSTANCE, instance.id, instance.last_stop_time)
            if instance.desired_status == st.WANT_TERMINATED:
                self._finish(session, view)

    def _reset(self, view: InstanceView) -> None:
        self.driver.reset(view.key)
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.reset_done = instance.reset_requested
            instance.last_start_time = self.clock.now()
            self._finish(session, view)

    def _delete(self, view: InstanceView) -> None:
        if self.driver.status(view.key).power == PowerState.RUNNING:
            self._set_status(view, st.STOPPING)
            self.driver.stop(view.key, self.stop_timeout)
        self.driver.delete(view.key)
        self.networks.detach(view)
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            now = self.clock.now()
            if instance is not None:
                usage.ended(session, usage.INSTANCE, instance.id, now)
                self._release_disks(session, instance, now)
                session.delete(instance)
            self._finish(session, view)
        self.on_disks_released()

    def _failed(self, view: InstanceView, error: DriverError) -> None:
        reason = (
            "instanceBootFailed" if isinstance(error, BuildAborted) else "resourcePoolExhausted"
        )
        failure = Unavailable(f"Instance '{view.name}' could not start: {error}", reason=reason)
        try:
            self.driver.delete(view.key) if isinstance(error, BuildAborted) else None
        except DriverError:
            log.exception("cleaning up instance %s", view.name)
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.status = st.TERMINATED
            instance.desired_status = st.WANT_TERMINATED
            instance.status_message = failure.message
            usage.ended(session, usage.INSTANCE, instance.id, self.clock.now())
            self._finish(session, view, failure)

    # -- suspension and preemption ---------------------------------------------------------

    def _suspend(self, view: InstanceView) -> None:
        self._set_status(view, st.SUSPENDING)
        try:
            self.driver.suspend(view.key)
        except DriverError as error:
            failure = FailedPrecondition(
                f"Instance '{view.name}' could not be suspended: {error}",
                reason="resourceNotReady",
            )
            with self.db.write() as session:
                instance = session.get(Instance, view.id)
                if instance is not None:
                    instance.status = st.RUNNING
                    instance.desired_status = st.WANT_RUNNING
                self._finish(session, view, failure)
            return
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.status = st.SUSPENDED
            usage.ended(session, usage.INSTANCE, instance.id, self.clock.now())
            self._finish(session, view)

    def _resume(self, view: InstanceView, *, running: bool) -> None:
        """Thaw a suspended instance: to run again, or to be stopped or deleted."""
        self.driver.resume(view.key)
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.status = st.RUNNING
            if running:
                instance.last_start_time = self.clock.now()
                usage.instance_started(session, instance, instance.last_start_time)
                self._finish(session, view)

    def _preempt(self, view: InstanceView) -> None:
        """Google's preemption: ``preempted`` turns TRUE in the metadata server, the
        guest gets its shutdown budget, then the instance stops or is deleted."""
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            instance.preempted = True
            action = instance.scheduling.get("instanceTerminationAction", "STOP")
            operation = self.operations.record_for_number(
                session,
                view.project_number,
                scope=op_states.ZONE,
                location=view.zone,
                operation_type="compute.instances.preempted",
                # The instance's URL as its clients know it, from its own Operations.
                target_link=session.scalars(
                    select(Operation.target_link)
                    .where(Operation.target_id == view.key)
                    .order_by(Operation.insert_time.desc())
                ).first()
                or "",
                target_id=view.key,
                user="system",
            )
            self.operations.start(session, operation)
        # Time for the guest to read ``preempted`` before its shutdown begins.
        self._stopping.wait(1.0)
        self._set_status(view, st.STOPPING)
        self.driver.stop(view.key, min(self.stop_timeout, PREEMPTION_NOTICE_SECONDS))
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is None:
                return
            now = self.clock.now()
            instance.status = st.TERMINATED
            instance.last_stop_time = now
            instance.preempt_requested = False
            usage.ended(session, usage.INSTANCE, instance.id, now)
            instance.desired_status = st.WANT_DELETED if action == "DELETE" else st.WANT_TERMINATED
            if action != "DELETE":  # otherwise the deletion finishes the operations
                self._finish(session, view)

    def _clear_preemption(self, view: InstanceView) -> None:
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is not None:
                instance.preempt_requested = False

    # -- disks -----------------------------------------------------------------------------

    def _disk_attachments(self, view: InstanceView) -> tuple[DiskAttachment, ...] | None:
        """The instance's disks as its driver takes them, or None while one is not ready.
        A controller without disk files (control-plane tests) hands over none."""
        if self.disks is None:
            return ()
        with self.db.read() as session:
            rows = disk_rows.attachments_of(session, [view.id])[view.id]
        unmade = [disk.id for _, disk in rows if disk.status in _UNMADE]
        if unmade and self.make_disk is not None:
            for disk_id in unmade:
                self.make_disk(disk_id)
            with self.db.read() as session:
                rows = disk_rows.attachments_of(session, [view.id])[view.id]
        attachments = []
        for attachment, disk in rows:
            if attachment.state == disk_rows.DETACHING:
                continue
            if disk.status != disk_rows.READY:
                return None
            image_root = None
            if disk.image_id is not None:
                image_root = self.images.root_for(disk.image_id)
                if image_root is None:
                    return None
            attachments.append(
                DiskAttachment(
                    device_name=attachment.device_name,
                    path=self.disks.path(str(disk.id)),
                    read_only=attachment.mode == disk_rows.READ_ONLY,
                    boot=attachment.boot,
                    image_root=image_root,
                )
            )
        return tuple(attachments)

    def _sync_disks(
        self, view: InstanceView, ready: tuple[DiskAttachment, ...] | None = None
    ) -> None:
        """Hand the runtime the disks attached or detached since it last looked
        (``ready``: the instance's disks, when the caller has them already)."""
        with self.db.read() as session:
            rows = disk_rows.attachments_of(session, [view.id])[view.id]
            pending = [
                (a.id, a.state, a.device_name) for a, _ in rows if a.state != disk_rows.ATTACHED
            ]
        if not pending:
            return
        if ready is None:
            ready = self._disk_attachments(view)
        wanted = {d.device_name: d for d in ready or ()}
        created = self.driver.status(view.key).power != PowerState.MISSING
        done: list[int] = []
        for attachment_id, state, device_name in pending:
            try:
                if state == disk_rows.DETACHING:
                    if created:
                        self.driver.detach_disk(view.key, device_name)
                elif device_name in wanted:
                    if created:
                        self.driver.attach_disk(view.key, wanted[device_name])
                elif self.disks is not None:
                    continue  # its disk is not ready yet
            except DriverError as error:
                log.warning("instance %s, disk %s: %s", view.name, device_name, error)
                self._disk_failed(view, attachment_id, error)
                continue
            done.append(attachment_id)
        with self.db.write() as session:
            now = self.clock.now()
            for attachment_id in done:
                attachment = session.get(DiskAttachmentRow, attachment_id)
                if attachment is None:
                    continue
                if attachment.state == disk_rows.DETACHING:
                    disk = session.get(Disk, attachment.disk_id)
                    if disk is not None:
                        disk.last_detach_time = now
                    session.delete(attachment)
                else:
                    attachment.state = disk_rows.ATTACHED
            session.flush()
            if done and _settled(session, view.id):
                self._finish(session, view)

    def _disk_failed(self, view: InstanceView, attachment_id: int, error: DriverError) -> None:
        failure = InvalidArgument(
            f"Disk could not be attached to '{view.name}': {error}",
            reason="resourceInUseByAnotherResource",
        )
        with self.db.write() as session:
            attachment = session.get(DiskAttachmentRow, attachment_id)
            if attachment is not None and attachment.state == disk_rows.ATTACHING:
                session.delete(attachment)
            self._finish(session, view, failure)

    @staticmethod
    def _release_disks(session: Session, instance: Instance, now: dt.datetime) -> None:
        for attachment in session.scalars(
            select(DiskAttachmentRow).where(DiskAttachmentRow.instance_id == instance.id)
        ):
            disk = session.get(Disk, attachment.disk_id)
            if disk is not None:
                disk.last_detach_time = now
                if attachment.auto_delete:
                    disk.status = disk_rows.DELETING
            session.delete(attachment)

    # -- store helpers ---------------------------------------------------------------------

    def _set_status(self, view: InstanceView, status: str) -> None:
        with self.db.write() as session:
            instance = session.get(Instance, view.id)
            if instance is not None:
                instance.status = status
            for operation in _open_operations(session, view):
                self.operations.start(session, operation)

    def _finish(
        self, session: Session, view: InstanceView, error: NimbusError | None = None
    ) -> None:
        for operation in _open_operations(session, view):
            self.operations.finish(session, operation, error)


def _settled(session: Session, instance_id: int) -> bool:
    return (
        session.scalar(select(Instance.id).where(Instance.id == instance_id, _SETTLED)) is not None
    )


def _open_operations(session: Session, view: InstanceView) -> list[Operation]:
    return list(
        session.scalars(
            select(Operation).where(
                Operation.project_number == view.project_number,
                Operation.target_id == view.key,
                Operation.status != op_states.DONE,
            )
        )
    )


def _view(session: Session, instance: Instance) -> InstanceView:
    project = session.get(Project, instance.project_number)
    subnet = session.get(Subnetwork, instance.subnetwork_id)
    subnets = session.scalars(
        select(Subnetwork)
        .where(Subnetwork.network_id == instance.network_id)
        .order_by(Subnetwork.region)
    )
    return InstanceView(
        id=instance.id,
        name=instance.name,
        zone=instance.zone,
        project_id=project.project_id if project else str(instance.project_number),
        project_number=instance.project_number,
        vcpus=instance.vcpus,
        cpu_share=_cpu_share(instance),
        memory_mb=instance.memory_mb,
        image_id=instance.image_id,
        network_id=instance.network_id,
        subnet_cidr=subnet.ip_cidr_range if subnet else "",
        gateway=subnet.gateway_address if subnet else "",
        network_ip=instance.network_ip,
        nat_ip=instance.nat_ip,
        network_subnets=tuple(
            (s.name, s.region, s.ip_cidr_range, s.gateway_address) for s in subnets
        ),
    )


def _cpu_share(instance: Instance) -> float | None:
    """A shared-core type's guaranteed fraction of one core (for all its vCPUs together);
    like Google's, it bursts to its vCPUs when the host has time to spare."""
    try:
        kind = machine_types.machine_type(instance.machine_type)
    except NimbusError:
        return None
    return kind.cpu_fraction if kind.shared_cpu else None


def _cpus_for(view: InstanceView) -> tuple[int, ...]:
    """The host CPUs an instance may run on: as many as its vCPUs (up to the host's),
    starting at a place derived from its id so that instances spread over the host."""
    host = sorted(os.sched_getaffinity(0))
    count = max(1, min(len(host), int(view.vcpus)))
    first = view.id % len(host)
    return tuple(sorted(host[(first + i) % len(host)] for i in range(count)))
