"""Instances as Linux system containers: systemd as init under an OCI runtime, on an
overlay of the shared image, in the network namespace prepared for the instance.

Everything an instance owns lives in its bundle, ``<state_dir>/instances/<id>/``:

    spec.json      what it was created from, and the disks attached since; written last
                   at create, so it marks a finished create
    config.json    the OCI configuration, made again at every boot
    upper/ work/   the overlay's writable layer, for an instance without a boot disk
    rootfs/        the root filesystem, mounted while the instance runs: the overlay of
                   upper/ or of the boot disk over the image
    disks/ guest-disks/ disk-ids/   persistent disks, mounted while it runs (see
                   nimbus.runtime.instancedisks)
    console/       the bounded serial console log
    init.pid, console-keeper.pid, console.sock, console-keeper.log   one boot's plumbing

Disk files live outside the bundle (nimbus.runtime.disks): stop and delete unmount
them and never remove them.

The runtime's own state lives in ``<state_dir>/runc``. A container runs detached from
us: killing this process leaves instances running, and any call may be repeated after a
crash half-way, since each step first looks at what is there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import os
import re
import select
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from nimbus.runtime import (
    bundlespec,
    cgroups,
    console,
    consolelog,
    diskmount,
    ext4,
    guestfiles,
    instancedisks,
    mounts,
    oci,
    overlay,
    runc,
    runc_state,
)
from nimbus.runtime.driver import (
    DEVICE_NAME,
    BuildAborted,
    Capabilities,
    ConsoleChunk,
    DiskAttachment,
    Driver,
    DriverError,
    InstanceNotFound,
    InstanceSpec,
    InstanceStats,
    InstanceStatus,
    PowerState,
    ResourcesUnavailable,
    check_disks,
)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_ALIVE = ("running", "paused")
KILL_WAIT_SECONDS = 10.0
# In a bundle: the guest files (hostname, hosts...) still to be written to the boot disk.
GUEST_FILES_PENDING = "guest-files.pending"


class ContainerDriver(Driver):
    name = "container"
    capabilities = Capabilities(
        graceful_stop=True, reset=True, console=True, stats=True, disks=True
    )

    def __init__(self, state_dir: Path, runtime: str | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.layout = cgroups.detect_layout()
        self.runtime = runc.Runtime(runc.choose(self.layout, runtime), self.state_dir / "runc")
        self.runtime_name = self.runtime.name
        # runc's state files can be read directly (cheaper than running it); crun's differ.
        self._reads_state = self.runtime_name == "runc"
        self._instances = self.state_dir / "instances"
        self._instances.mkdir(parents=True, exist_ok=True)
        # Two servers on one host may both hold an instance "1": their cgroups differ.
        self._scope = hashlib.sha256(os.fsencode(self.state_dir)).hexdigest()[:10]
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- naming ------------------------------------------------------------------------------

    @staticmethod
    def container_id(instance_id: str) -> str:
        return f"nimbus-{instance_id}"

    def bundle(self, instance_id: str) -> Path:
        return self._instances / instance_id

    def container_cgroups(self, instance_id: str) -> cgroups.ContainerCgroups:
        return cgroups.ContainerCgroups(self.layout, f"/nimbus/{self._scope}-{instance_id}")

    def _created(self, instance_id: str) -> bool:
        return (
            _ID.match(instance_id) is not None
            and (self.bundle(instance_id) / "spec.json").is_file()
        )

    @contextlib.contextmanager
    def _locked(self, instance_id: str) -> Iterator[None]:
        """One call at a time per instance; the OS failing us is a DriverError too."""
        with self._locks_guard:
            lock = self._locks.setdefault(instance_id, threading.Lock())
        with lock:
            try:
                yield
            except OSError as error:
                raise DriverError(f"instance {instance_id}: {error}") from error

    # -- the contract --------------------------------------------------------------------------

    def create(self, spec: InstanceSpec) -> None:
        if not _ID.match(spec.instance_id):
            raise BuildAborted(f"invalid instance id {spec.instance_id!r}")
        with self._locked(spec.instance_id):
            if self._created(spec.instance_id):
                return
            self._check(spec)
            self._remove(spec.instance_id)  # what a crashed create left
            try:
                self._build(spec)
            except BaseException as error:
                self._remove(spec.instance_id)
                if isinstance(error, OSError):
                    raise _os_error(error, "cannot create the instance") from error
                raise

    def start(self, instance_id: str) -> None:
        with self._locked(instance_id):
            self._require(instance_id)
            state = self.runtime.state(self.container_id(instance_id))
            if state is not None and state.status in _ALIVE:
                return
            self._teardown(instance_id)
            self._boot(instance_id)

    def stop(self, instance_id: str, timeout: float) -> None:
        with self._locked(instance_id):
            self._require(instance_id)
            self._thaw(instance_id)
            container = self.container_id(instance_id)
            state = self.runtime.state(container)
            if state is not None and state.status == "running" and state.pid:
                with contextlib.suppress(runc.RuntimeFailed):
                    self.runtime.kill(container, oci.STOP_SIGNAL)
                if not _wait_exit(state.pid, timeout):
                    self._kill(container, state.pid)
            self._teardown(instance_id)

    def reset(self, instance_id: str) -> None:
        with self._locked(instance_id):
            self._require(instance_id)
            self._kill_now(instance_id)
            self._teardown(instance_id)
            self._boot(instance_id)

    def delete(self, instance_id: str) -> None:
        if not _ID.match(instance_id):
            return
        with self._locked(instance_id):
            self._kill_now(instance_id)
            self._teardown(instance_id)
            self._remove(instance_id)

    def status(self, instance_id: str) -> InstanceStatus:
        if not self._created(instance_id):
            return InstanceStatus(PowerState.MISSING)
        container = self.container_id(instance_id)
        state = runc_state.read(self.runtime.root, container) if self._reads_state else None
        if state is None:
            try:
                state = self.runtime.state(container)
            except runc.RuntimeFailed:
                state = None
        if state is not None and state.status in _ALIVE:
            return InstanceStatus(PowerState.RUNNING, pid=state.pid)
        return InstanceStatus(PowerState.STOPPED)

    def instance_ids(self) -> list[str]:
        """Every bundle, finished or not: a half-made one is for the caller to delete."""
        return sorted(p.name for p in self._instances.iterdir() if _ID.match(p.name))

    def suspend(self, instance_id: str) -> None:
        with self._locked(instance_id):
            self._require(instance_id)
            container = self.container_id(instance_id)
            state = self.runtime.state(container)
            if state is None or state.status not in _ALIVE:
                raise InstanceNotFound(f"instance {instance_id} is not running")
            if state.status == "running":
                self.runtime.pause(container)

    def resume(self, instance_id: str) -> None:
        with self._locked(instance_id):
            self._require(instance_id)
            self._thaw(instance_id)

    def _thaw(self, instance_id: str) -> None:
        """Frozen processes take no signal, not even SIGKILL: thaw before stopping."""
        container = self.container_id(instance_id)
        state = self.runtime.state(container)
        if state is not None and state.status == "paused":
            self.runtime.resume(container)

    def console_output(self, instance_id: str, start: int = 0) -> ConsoleChunk:
        self._require(instance_id)
        return consolelog.read(self.bundle(instance_id) / console.LOG_DIR, start)

    def stats(self, instance_id: str) -> InstanceStats:
        self._require(instance_id)
        groups = self.container_cgroups(instance_id)
        if self.status(instance_id).power is not PowerState.RUNNING:
            return InstanceStats(cpu_seconds=0.0, memory_bytes=0)
        try:
            return InstanceStats(groups.cpu_seconds(), groups.memory_bytes())
        except FileNotFoundError:  # it stopped meanwhile
            return InstanceStats(cpu_seconds=0.0, memory_bytes=0)

    def attach_disk(self, instance_id: str, attachment: DiskAttachment) -> None:
        check_disks((attachment,))
        with self._locked(instance_id):
            self._require(instance_id)
            bundle = self.bundle(instance_id)
            spec = bundlespec.load(bundle / "spec.json")
            same = _attached(spec, attachment.device_name)
            if same not in (None, attachment):
                raise BuildAborted(f"device name {attachment.device_name} is taken")
            running = self._running(instance_id)
            if attachment.boot:
                if running:
                    raise BuildAborted("a running instance cannot change its boot disk")
                if spec.boot_disk not in (None, attachment):
                    raise BuildAborted("the instance has a boot disk already")
            if running:
                try:
                    instancedisks.attach(bundle, attachment)
                except BaseException:
                    if same is None:  # leave no half-attached disk behind
                        instancedisks.detach(bundle, attachment.device_name)
                    raise
            elif same is None:
                self._check_disk(attachment)
                diskmount.check_free(attachment.path, read_only=attachment.read_only)
                if attachment.boot:
                    (bundle / GUEST_FILES_PENDING).touch()
            if same is None:
                disks = (*spec.disks, attachment)
                bundlespec.save(bundle / "spec.json", dataclasses.replace(spec, disks=disks))

    def detach_disk(self, instance_id: str, device_name: str) -> None:
        if not DEVICE_NAME.match(device_name):
            raise BuildAborted(f"invalid device name {device_name!r}")
        with self._locked(instance_id):
            self._require(instance_id)
            bundle = self.bundle(instance_id)
            spec = bundlespec.load(bundle / "spec.json")
            disk = _attached(spec, device_name)
            if disk is not None and disk.boot and self._running(instance_id):
                raise BuildAborted("the boot disk of a running instance cannot be detached")
            instancedisks.detach(bundle, device_name)  # also what a crash left mounted
            if disk is not None:
                disks = tuple(d for d in spec.disks if d.device_name != device_name)
                bundlespec.save(bundle / "spec.json", dataclasses.replace(spec, disks=disks))

    # -- steps ---------------------------------------------------------------------------------

    def _running(self, instance_id: str) -> bool:
        state = self.runtime.state(self.container_id(instance_id))
        return state is not None and state.status in _ALIVE

    def _require(self, instance_id: str) -> None:
        if not self._created(instance_id):
            raise InstanceNotFound(instance_id)

    def _check(self, spec: InstanceSpec) -> None:
        guestfiles.validate(spec)
        check_disks(spec.disks)
        for disk in spec.disks:
            self._check_disk(disk)
        if spec.vcpus <= 0 or spec.memory_mb <= 0:
            raise BuildAborted("an instance needs CPU and memory")
        boot = spec.boot_disk
        image_root = spec.image_root if boot is None else boot.image_root
        # A boot disk holding a whole system shows its /sbin/init only once mounted.
        if image_root is not None and not os.path.lexists(image_root / "sbin" / "init"):
            raise BuildAborted(f"image {image_root} has no /sbin/init")
        # More vCPUs or memory than the host has is overcommit, as a cloud host does:
        # the limits hold, they just cannot all be reached at once. CPUs the host does
        # not have cannot be pinned. (Capacity is the scheduler's business.)
        online = cgroups.online_cpus()
        if not set(spec.cpus) <= online:
            raise ResourcesUnavailable(f"this host has CPUs {sorted(online)}")

    @staticmethod
    def _check_disk(disk: DiskAttachment) -> None:
        if not disk.path.is_file():
            raise BuildAborted(f"disk {disk.device_name}: no disk file {disk.path}")
        if disk.boot and disk.read_only:
            raise BuildAborted(f"boot disk {disk.device_name} cannot be read-only")

    def _build(self, spec: InstanceSpec) -> None:
        bundle = self.bundle(spec.instance_id)
        own_disk = ("upper", "work") if spec.boot_disk is None else ()
        for part in (*own_disk, "rootfs", console.LOG_DIR):
            (bundle / part).mkdir(parents=True)
        bundle.chmod(0o700)
        if spec.boot_disk is None:
            guestfiles.write(spec, bundle / "upper", spec.image_root)
        else:
            # Written at the first boot, while the disk is mounted anyway (a mount and
            # an unmount less on the way to RUNNING).
            (bundle / GUEST_FILES_PENDING).touch()
        bundlespec.save(bundle / "spec.json", spec)

    def _boot(self, instance_id: str) -> None:
        bundle = self.bundle(instance_id)
        spec = bundlespec.load(bundle / "spec.json")
        container = self.container_id(instance_id)
        if spec.netns_path is not None and not spec.netns_path.exists():
            raise ResourcesUnavailable(f"network namespace {spec.netns_path} is not there")
        try:
            # Made at every boot: it follows this driver and this host as they are now.
            directories = oci.DiskDirectories(
                bundle / instancedisks.GUEST_DISKS, bundle / instancedisks.DISK_IDS
            )
            config = oci.config(
                spec, bundle / "rootfs", self.container_cgroups(instance_id), directories
            )
            bundlespec.write_json(bundle / "config.json", config)
            self._mount_disks(spec)
            console.spawn(bundle)
            self.runtime.create(container, bundle, console.SOCKET, console.INIT_PID)
            self.runtime.start(container)
        except BaseException as error:
            self._teardown(instance_id)
            if isinstance(error, OSError):
                raise _os_error(error, "cannot boot the instance") from error
            if isinstance(error, runc.RuntimeFailed):
                raise BuildAborted(f"cannot boot the instance: {error.message}") from error
            raise

    def _mount_disks(self, spec: InstanceSpec) -> None:
        bundle = self.bundle(spec.instance_id)
        rootfs = bundle / "rootfs"
        boot = spec.boot_disk
        if boot is not None:
            pending = bundle / GUEST_FILES_PENDING
            if pending.exists():
                # Into the upper layer before the overlay is on it (overlayfs forbids
                # changing its layers underneath).
                raw = instancedisks.mount_raw(bundle, boot)
                lower = raw / ext4.UPPER if boot.image_root is None else boot.image_root
                guestfiles.write(spec, raw / ext4.UPPER, lower)
                pending.unlink()
            instancedisks.mount_boot(bundle, boot, rootfs)
        elif (bundle / "upper").is_dir():
            overlay.mount(spec.image_root, bundle / "upper", bundle / "work", rootfs)
        else:  # made with a boot disk that was detached since
            raise BuildAborted("the instance has no boot disk")
        instancedisks.prepare(bundle)
        for disk in spec.disks:
            if not disk.boot:
                instancedisks.attach(bundle, disk)

    def _kill_now(self, instance_id: str) -> None:
        with contextlib.suppress(runc.RuntimeFailed):
            self._thaw(instance_id)
        container = self.container_id(instance_id)
        state = self.runtime.state(container)
        if state is not None and state.status == "running" and state.pid:
            self._kill(container, state.pid)

    def _kill(self, container: str, pid: int) -> None:
        with contextlib.suppress(runc.RuntimeFailed):
            self.runtime.kill(container, signal.SIGKILL)
        _wait_exit(pid, KILL_WAIT_SECONDS)

    def _teardown(self, instance_id: str) -> None:
        """From any state to: no container, no keeper, no mount."""
        container = self.container_id(instance_id)
        if self.runtime.state(container) is not None:
            self.runtime.delete(container)
        bundle = self.bundle(instance_id)
        if bundle.is_dir():
            console.stop(bundle)
            instancedisks.unmount_all(bundle)
            self._let_go(bundle)

    @staticmethod
    def _let_go(bundle: Path) -> None:
        """Return once the disks this instance wrote are free for another (the last of
        a dead instance's mounts may go a moment after it)."""
        spec_file = bundle / "spec.json"
        if spec_file.is_file():
            for disk in bundlespec.load(spec_file).disks:
                if not disk.read_only:
                    diskmount.settle(disk.path)

    def _remove(self, instance_id: str) -> None:
        bundle = self.bundle(instance_id)
        if not bundle.exists():
            return
        instancedisks.unmount_all(bundle)
        left = mounts.below(bundle)
        if left:  # never delete through into an image or a disk
            raise OSError(errno.EBUSY, "still mounted", str(left[0].target))
        shutil.rmtree(bundle)


def _wait_exit(pid: int, timeout: float) -> bool:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([pidfd], [], [], timeout)[0])
    finally:
        os.close(pidfd)


def _os_error(error: OSError, what: str) -> BuildAborted | ResourcesUnavailable:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.ENOMEM):
        return ResourcesUnavailable(f"{what}: {error}")
    return BuildAborted(f"{what}: {error}")


def _attached(spec: InstanceSpec, device_name: str) -> DiskAttachment | None:
    return next((disk for disk in spec.disks if disk.device_name == device_name), None)
