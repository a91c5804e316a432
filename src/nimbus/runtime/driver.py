"""The contract between the control plane and whatever runs an instance.

A driver turns an :class:`InstanceSpec` into a running system and reports what it
sees. It never touches the store: controllers read desired state, call the driver,
and record what the driver reports. Every method is synchronous and may block
(controllers call drivers from worker threads), and every method is idempotent, so
that a controller that crashed half-way can simply call it again.

Drivers raise only the errors below. Anything else is a bug in the driver.
"""

from __future__ import annotations

import abc
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class DriverError(Exception):
    """Base of the errors a driver raises."""


class InstanceNotFound(DriverError):
    """The driver holds nothing for this instance id."""


class ResourcesUnavailable(DriverError):
    """This host cannot run the instance now (memory, CPUs, disk); another host might."""


class BuildAborted(DriverError):
    """The instance cannot be built as specified anywhere (a broken image, a bad spec)."""


class NotSupported(DriverError):
    """The driver has no such capability (see :class:`Capabilities`)."""


class DiskInUse(DriverError):
    """The disk is mounted in a way that forbids this: a disk has at most one writer,
    and no reader while it has one; a mounted disk is not deleted."""


class DiskNotFound(BuildAborted):
    """There is no disk (or snapshot) file under this key or path."""


class PowerState(enum.Enum):
    """What the driver sees, not what the user asked for."""

    RUNNING = "running"  # init is alive
    STOPPED = "stopped"  # created (or stopped, or crashed): its files exist, nothing runs
    MISSING = "missing"  # the driver holds nothing for this id


@dataclass(frozen=True)
class Capabilities:
    graceful_stop: bool = True
    reset: bool = True
    console: bool = True
    stats: bool = True
    disks: bool = False


# Google's deviceName: what the guest finds under /dev/disk/by-id/google-NAME.
DEVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class DiskAttachment:
    """A persistent disk, as one instance uses it.

    ``path`` is the disk's file (see :class:`nimbus.runtime.disks.DiskFiles`). A disk
    made from an image holds only its changes: ``image_root`` is then the read-only
    image under them (copy-on-write), and must be given at every attachment.
    """

    device_name: str
    path: Path
    read_only: bool = False
    boot: bool = False
    image_root: Path | None = None


@dataclass(frozen=True)
class InstanceSpec:
    """Everything a driver needs to build and boot one instance.

    ``instance_id`` is the instance's numeric id as text: stable for its whole life,
    unique on the host, and the key of everything the driver keeps for it.
    """

    instance_id: str
    hostname: str
    vcpus: float
    memory_mb: int
    # A read-only root filesystem (a directory) that many instances share.
    image_root: Path
    # A network namespace prepared by ``nimbus.net`` (a path under /run/netns), or
    # None for an instance with no network.
    netns_path: Path | None = None
    # Extra lines for /etc/hosts inside the instance: {"10.128.0.2": "vm-1.zone..."}.
    hosts: Mapping[str, str] = field(default_factory=dict)
    # Environment every process in the instance inherits (/etc/environment as well).
    environment: Mapping[str, str] = field(default_factory=dict)
    # Host CPUs the instance may use (its vCPU count, as the guest sees it).
    cpus: tuple[int, ...] = ()
    # Cores' worth of CPU time guaranteed under contention (None: ``vcpus``). Shared-core
    # types get a fraction and may burst up to ``vcpus`` when the host is idle.
    cpu_share: float | None = None
    # /etc/resolv.conf: name servers and search domains (none: the image's own file).
    nameservers: tuple[str, ...] = ()
    search_domains: tuple[str, ...] = ()
    # Persistent disks. With a boot disk (``boot=True``, at most one), the root
    # filesystem is that disk and ``image_root`` is not used for it; without one, the
    # driver keeps the instance's changes in storage of its own, which delete removes.
    disks: tuple[DiskAttachment, ...] = ()

    @property
    def boot_disk(self) -> DiskAttachment | None:
        return next((disk for disk in self.disks if disk.boot), None)


def check_disks(disks: tuple[DiskAttachment, ...]) -> None:
    """Refuse what no driver can attach: bad or repeated device names, two boot disks,
    a relative path."""
    names = [disk.device_name for disk in disks]
    for disk in disks:
        if not DEVICE_NAME.match(disk.device_name):
            raise BuildAborted(f"invalid device name {disk.device_name!r}")
        if not disk.path.is_absolute():
            raise BuildAborted(f"disk {disk.device_name}: {disk.path} is not an absolute path")
    if len(set(names)) != len(names):
        raise BuildAborted(f"device names are not unique: {', '.join(names)}")
    if sum(disk.boot for disk in disks) > 1:
        raise BuildAborted("more than one boot disk")


@dataclass(frozen=True)
class InstanceStatus:
    power: PowerState
    # The host PID of the instance's init while RUNNING.
    pid: int | None = None


@dataclass(frozen=True)
class InstanceStats:
    cpu_seconds: float
    memory_bytes: int


@dataclass(frozen=True)
class ConsoleChunk:
    """Serial console bytes from ``start`` (an absolute offset since the instance was
    created); ``next_start`` is where the next read continues. If older output was
    dropped to keep the log bounded, ``start`` is moved forward to the oldest kept byte.
    """

    contents: bytes
    start: int
    next_start: int


class Driver(abc.ABC):
    """One way of running instances on this host."""

    name: str = "abstract"
    capabilities: Capabilities = Capabilities()

    @abc.abstractmethod
    def create(self, spec: InstanceSpec) -> None:
        """Prepare everything the instance needs to boot, without booting it.

        If the instance already exists, do nothing. If this fails, clean up any
        partial instance before raising, so that ``state`` says MISSING.
        """

    @abc.abstractmethod
    def start(self, instance_id: str) -> None:
        """Boot a created instance; return once its init runs. No-op if RUNNING.

        Raises InstanceNotFound if it was never created; DiskInUse if one of its disks
        is mounted elsewhere in a way its attachment may not share.
        """

    @abc.abstractmethod
    def stop(self, instance_id: str, timeout: float) -> None:
        """Ask init to shut down; after ``timeout`` seconds, kill it. Return when
        nothing runs any more. The instance's files stay (STOPPED). No-op if STOPPED.

        Raises InstanceNotFound if it was never created.
        """

    @abc.abstractmethod
    def reset(self, instance_id: str) -> None:
        """Kill at once and boot again, keeping the root filesystem (a power cycle).
        Boots a STOPPED instance; raises InstanceNotFound if it was never created."""

    @abc.abstractmethod
    def delete(self, instance_id: str) -> None:
        """Kill the instance if it runs and remove everything kept for it, except its
        persistent disks, which are only let go. No-op if MISSING."""

    @abc.abstractmethod
    def status(self, instance_id: str) -> InstanceStatus:
        """What runs now. Never raises for an unknown id: that is MISSING."""

    @abc.abstractmethod
    def instance_ids(self) -> list[str]:
        """Every instance this driver holds on this host, running or not: what a
        restarted control plane re-adopts and reconciles. It may include an instance
        whose create was interrupted (its status says MISSING): create or delete it."""

    def console_output(self, instance_id: str, start: int = 0) -> ConsoleChunk:
        """The instance's serial console (its init's output), kept bounded on disk.
        A ``start`` past the end reads nothing from the end. InstanceNotFound if unknown."""
        raise NotSupported(f"{self.name} has no console")

    def stats(self, instance_id: str) -> InstanceStats:
        raise NotSupported(f"{self.name} reports no statistics")

    def attach_disk(self, instance_id: str, attachment: DiskAttachment) -> None:
        """Attach a disk: at once if the instance runs (hot plug), and from its next
        boot on either way, until detached. No-op if it is attached just so already.

        Raises DiskInUse if the disk is mounted where this attachment may not share it
        (a writer and anyone else), BuildAborted if the device name is taken by another
        disk, or for a boot disk while the instance runs; InstanceNotFound if unknown.
        """
        raise NotSupported(f"{self.name} cannot attach disks")

    def detach_disk(self, instance_id: str, device_name: str) -> None:
        """Detach a disk: at once if the instance runs, and for good. Never touches the
        disk's file. No-op if nothing is attached under that name. BuildAborted for the
        boot disk of a running instance; InstanceNotFound if the instance is unknown."""
        raise NotSupported(f"{self.name} cannot detach disks")

    def suspend(self, instance_id: str) -> None:
        """Freeze every process of a RUNNING instance, keeping its memory (no-op if
        already suspended). InstanceNotFound if unknown."""
        raise NotSupported(f"{self.name} cannot suspend instances")

    def resume(self, instance_id: str) -> None:
        """Thaw a suspended instance (no-op if it is not suspended)."""
        raise NotSupported(f"{self.name} cannot resume instances")
