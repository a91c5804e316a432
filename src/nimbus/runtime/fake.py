"""A driver that runs nothing: the same semantics as the real ones, in memory.

Control-plane tests use it (and ``nimbus up --runtime fake``). Each subclass at the end
injects one failure, so a test names the failure it is about.

Disks are attachments only, with no files: each instance records its own
(``instances[id].disks``), and a disk counts as mounted while an instance it is
attached to runs, which is when the real drivers mount it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nimbus.runtime.driver import (
    DEVICE_NAME,
    BuildAborted,
    Capabilities,
    ConsoleChunk,
    DiskAttachment,
    DiskInUse,
    Driver,
    InstanceNotFound,
    InstanceSpec,
    InstanceStats,
    InstanceStatus,
    PowerState,
    ResourcesUnavailable,
    check_disks,
)

CONSOLE_LIMIT = 64 * 1024
_MIB = 1024 * 1024


@dataclass
class FakeInstance:
    spec: InstanceSpec
    running: bool = False
    pid: int | None = None
    boots: int = 0
    console: bytearray = field(default_factory=bytearray)
    dropped: int = 0  # console bytes no longer kept
    # Attached disks by device name, in attachment order.
    disks: dict[str, DiskAttachment] = field(default_factory=dict)
    suspended: bool = False

    def say(self, line: str) -> None:
        self.console += f"fake: {line}\n".encode()
        excess = len(self.console) - CONSOLE_LIMIT
        if excess > 0:
            del self.console[:excess]
            self.dropped += excess


class FakeDriver(Driver):
    name = "fake"
    capabilities = Capabilities(disks=True)

    def __init__(self) -> None:
        self.instances: dict[str, FakeInstance] = {}
        # Every call, in order, as (method, instance id): for tests to assert on.
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._pids = itertools.count(1000)

    def create(self, spec: InstanceSpec) -> None:
        with self._lock:
            self.calls.append(("create", spec.instance_id))
            if spec.instance_id in self.instances:
                return
            if spec.vcpus <= 0 or spec.memory_mb <= 0:
                raise BuildAborted("an instance needs CPU and memory")
            check_disks(spec.disks)
            disks = {disk.device_name: disk for disk in spec.disks}
            self.instances[spec.instance_id] = FakeInstance(spec, disks=disks)
            self.instances[spec.instance_id].say("created")

    def start(self, instance_id: str) -> None:
        with self._lock:
            self.calls.append(("start", instance_id))
            instance = self._get(instance_id)
            if not instance.running:
                for disk in instance.disks.values():
                    self._check_free(instance, disk)
                self._boot(instance)

    def stop(self, instance_id: str, timeout: float) -> None:
        with self._lock:
            self.calls.append(("stop", instance_id))
            instance = self._get(instance_id)
            if instance.running:
                self._halt(instance, timeout)

    def reset(self, instance_id: str) -> None:
        with self._lock:
            self.calls.append(("reset", instance_id))
            instance = self._get(instance_id)
            if instance.running:
                self._power_off(instance, "reset")
            else:
                for disk in instance.disks.values():
                    self._check_free(instance, disk)
            self._boot(instance)

    def delete(self, instance_id: str) -> None:
        with self._lock:
            self.calls.append(("delete", instance_id))
            self.instances.pop(instance_id, None)

    def status(self, instance_id: str) -> InstanceStatus:
        with self._lock:
            instance = self.instances.get(instance_id)
            if instance is None:
                return InstanceStatus(PowerState.MISSING)
            if instance.running:
                return InstanceStatus(PowerState.RUNNING, pid=instance.pid)
            return InstanceStatus(PowerState.STOPPED)

    def instance_ids(self) -> list[str]:
        with self._lock:
            return sorted(self.instances)

    def console_output(self, instance_id: str, start: int = 0) -> ConsoleChunk:
        with self._lock:
            instance = self._get(instance_id)
            end = instance.dropped + len(instance.console)
            start = min(max(start, instance.dropped), end)
            contents = bytes(instance.console[start - instance.dropped :])
            return ConsoleChunk(contents=contents, start=start, next_start=end)

    def stats(self, instance_id: str) -> InstanceStats:
        with self._lock:
            instance = self._get(instance_id)
            if not instance.running:
                return InstanceStats(cpu_seconds=0.0, memory_bytes=0)
            return InstanceStats(cpu_seconds=0.5, memory_bytes=instance.spec.memory_mb * _MIB // 4)

    def suspend(self, instance_id: str) -> None:
        with self._lock:
            self.calls.append(("suspend", instance_id))
            instance = self._get(instance_id)
            if instance.running:
                instance.suspended = True

    def resume(self, instance_id: str) -> None:
        with self._lock:
            self.calls.append(("resume", instance_id))
            self._get(instance_id).suspended = False

    def attach_disk(self, instance_id: str, attachment: DiskAttachment) -> None:
        with self._lock:
            self.calls.append(("attach_disk", instance_id))
            check_disks((attachment,))
            instance = self._get(instance_id)
            same = instance.disks.get(attachment.device_name)
            if same == attachment:
                return
            if same is not None:
                raise BuildAborted(f"device name {attachment.device_name} is taken")
            if attachment.boot:
                if instance.running:
                    raise BuildAborted("a running instance cannot change its boot disk")
                if any(disk.boot for disk in instance.disks.values()):
                    raise BuildAborted("the instance has a boot disk already")
            self._check_free(instance, attachment)
            instance.disks[attachment.device_name] = attachment
            instance.say(f"attached {attachment.device_name}")

    def detach_disk(self, instance_id: str, device_name: str) -> None:
        with self._lock:
            self.calls.append(("detach_disk", instance_id))
            if not DEVICE_NAME.match(device_name):
                raise BuildAborted(f"invalid device name {device_name!r}")
            instance = self._get(instance_id)
            disk = instance.disks.get(device_name)
            if disk is None:
                return
            if disk.boot and instance.running:
                raise BuildAborted("the boot disk of a running instance cannot be detached")
            del instance.disks[device_name]
            instance.say(f"detached {device_name}")

    def _check_free(self, instance: FakeInstance, wanted: DiskAttachment) -> None:
        """As the real drivers: one writer, or readers only, among running instances."""
        for other in self.instances.values():
            if other is instance or not other.running:
                continue
            for disk in other.disks.values():
                if disk.path == wanted.path and not (disk.read_only and wanted.read_only):
                    raise DiskInUse(f"fake: disk {disk.path} is in use by {other.spec.instance_id}")

    # -- what the failures override -----------------------------------------------------------

    def _get(self, instance_id: str) -> FakeInstance:
        instance = self.instances.get(instance_id)
        if instance is None:
            raise InstanceNotFound(instance_id)
        return instance

    def _boot(self, instance: FakeInstance) -> None:
        instance.running = True
        instance.pid = next(self._pids)
        instance.boots += 1
        instance.say("booted")

    def _halt(self, instance: FakeInstance, timeout: float) -> None:
        self._power_off(instance, "stopped")

    def _power_off(self, instance: FakeInstance, how: str) -> None:
        instance.running = False
        instance.pid = None
        instance.say(how)


class FailingCreateDriver(FakeDriver):
    """This host never has room: every create raises ResourcesUnavailable."""

    def create(self, spec: InstanceSpec) -> None:
        with self._lock:
            self.calls.append(("create", spec.instance_id))
        raise ResourcesUnavailable("fake: no room on this host")


class BrokenImageDriver(FakeDriver):
    """Every image is broken: create raises BuildAborted."""

    def create(self, spec: InstanceSpec) -> None:
        with self._lock:
            self.calls.append(("create", spec.instance_id))
        raise BuildAborted(f"fake: image {spec.image_root} is broken")


class CrashingDriver(FakeDriver):
    """Instances boot, then their init dies at once: STOPPED right after start."""

    def _boot(self, instance: FakeInstance) -> None:
        super()._boot(instance)
        self._power_off(instance, "crashed")


class SlowStopDriver(FakeDriver):
    """Init ignores the request to shut down: stop waits out its timeout, then kills."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self.sleep = sleep
        self.forced_kills = 0

    def _halt(self, instance: FakeInstance, timeout: float) -> None:
        self.sleep(timeout)
        self.forced_kills += 1
        self._power_off(instance, f"killed after ignoring shutdown for {timeout:g} s")
