"""The instance controller: boots, stops, resets and deletes instances until what runs
matches what their users asked for, and finishes their Operations.

It keeps no state of its own: after a crash it reads the store, asks the driver what
runs, and carries on (every driver call is idempotent). Work on one instance is done by
one worker at a time; different instances proceed in parallel.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from nimbus.controllers.instance_world import ImageRoots, InstanceNetworks, InstanceView
from nimbus.core.clock import Clock
from nimbus.core.errors import NimbusError, Unavailable
from nimbus.runtime.driver import BuildAborted, Driver, DriverError, InstanceSpec, PowerState
from nimbus.services.compute import instance_states as st
from nimbus.services.compute import machine_types
from nimbus.services.compute.metadata_server import METADATA_ADDRESS
from nimbus.services.operations import states as op_states
from nimbus.services.operations.service import Operations
from nimbus.store.db import Database
from nimbus.store.models import Instance, Operation, Project, Subnetwork

log = logging.getLogger("nimbus.controllers.instances")
POLL_SECONDS = 0.2
WATCH_SECONDS = 2.0

_SETTLED = or_(
    and_(
        Instance.status == st.RUNNING,
        Instance.desired_status == st.WANT_RUNNING,
        Instance.reset_requested == Instance.reset_done,
    ),
    and_(Instance.status == st.TERMINATED, Instance.desired_status == st.WANT_TERMINATED),
)


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
            view = _view(session, instance)
        if desired == st.WANT_DELETED:
            self._delete(view)
        elif desired == st.WANT_TERMINATED and status != st.TERMINATED:
            self._stop(view)
        elif desired == st.WANT_RUNNING and status == st.RUNNING and resetting:
            self._reset(view)
        elif desired == st.WANT_RUNNING and status != st.RUNNING:
            self._boot(view)

    def _boot(self, view: InstanceView) -> None:
        root = self.images.root_for(view.image_id)
        if root is None:
            return  # the image is still being built; the next pass tries again
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
                )
            )
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
            if instance is not None:
                session.delete(instance)
            self._finish(session, view)

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
            self._finish(session, view, failure)

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
