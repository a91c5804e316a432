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

        Raises InstanceNotFound if it was never created.
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
        """Kill the instance if it runs and remove everything kept for it. No-op if
        MISSING."""

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

    def attach_disk(self, instance_id: str, device_name: str, path: Path) -> None:
        raise NotSupported(f"{self.name} cannot attach disks")

    def detach_disk(self, instance_id: str, device_name: str) -> None:
        raise NotSupported(f"{self.name} cannot detach disks")
