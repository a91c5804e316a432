"""Instances as Linux system containers: systemd as init under an OCI runtime, on an
overlay of the shared image, in the network namespace prepared for the instance.

Everything an instance owns lives in its bundle, ``<state_dir>/instances/<id>/``:

    spec.json      what it was created from; written last, so it marks a finished create
    config.json    the OCI configuration, made again at every boot
    upper/ work/   the overlay's writable layer: the instance's boot disk for now
    rootfs/        the overlay, mounted while the instance runs
    console/       the bounded serial console log
    init.pid, console-keeper.pid, console.sock, console-keeper.log   one boot's plumbing

The runtime's own state lives in ``<state_dir>/runc``. A container runs detached from
us: killing this process leaves instances running, and any call may be repeated after a
crash half-way, since each step first looks at what is there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import re
import select
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nimbus.runtime import cgroups, console, consolelog, guestfiles, oci, overlay, runc
from nimbus.runtime.driver import (
    BuildAborted,
    Capabilities,
    ConsoleChunk,
    Driver,
    DriverError,
    InstanceNotFound,
    InstanceSpec,
    InstanceStats,
    InstanceStatus,
    PowerState,
    ResourcesUnavailable,
)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_ALIVE = ("running", "paused")
KILL_WAIT_SECONDS = 10.0


class ContainerDriver(Driver):
    name = "container"
    capabilities = Capabilities(graceful_stop=True, reset=True, console=True, stats=True)

    def __init__(self, state_dir: Path, runtime: str | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.layout = cgroups.detect_layout()
        self.runtime = runc.Runtime(runc.choose(self.layout, runtime), self.state_dir / "runc")
        self.runtime_name = self.runtime.name
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
        try:
            state = self.runtime.state(self.container_id(instance_id))
        except runc.RuntimeFailed:
            state = None
        if state is not None and state.status in _ALIVE:
            return InstanceStatus(PowerState.RUNNING, pid=state.pid)
        return InstanceStatus(PowerState.STOPPED)

    def instance_ids(self) -> list[str]:
        """Every bundle, finished or not: a half-made one is for the caller to delete."""
        return sorted(p.name for p in self._instances.iterdir() if _ID.match(p.name))

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

    # -- steps ---------------------------------------------------------------------------------

    def _require(self, instance_id: str) -> None:
        if not self._created(instance_id):
            raise InstanceNotFound(instance_id)

    def _check(self, spec: InstanceSpec) -> None:
        guestfiles.validate(spec)
        if spec.vcpus <= 0 or spec.memory_mb <= 0:
            raise BuildAborted("an instance needs CPU and memory")
        if not os.path.lexists(spec.image_root / "sbin" / "init"):
            raise BuildAborted(f"image {spec.image_root} has no /sbin/init")
        # More vCPUs or memory than the host has is overcommit, as a cloud host does:
        # the limits hold, they just cannot all be reached at once. CPUs the host does
        # not have cannot be pinned. (Capacity is the scheduler's business.)
        online = cgroups.online_cpus()
        if not set(spec.cpus) <= online:
            raise ResourcesUnavailable(f"this host has CPUs {sorted(online)}")

    def _build(self, spec: InstanceSpec) -> None:
        bundle = self.bundle(spec.instance_id)
        for part in ("upper", "work", "rootfs", console.LOG_DIR):
            (bundle / part).mkdir(parents=True)
        bundle.chmod(0o700)
        guestfiles.write(spec, bundle / "upper", spec.image_root)
        _write_json(bundle / "spec.json", _spec_json(spec))

    def _boot(self, instance_id: str) -> None:
        bundle = self.bundle(instance_id)
        spec = _load_spec(bundle / "spec.json")
        container = self.container_id(instance_id)
        if spec.netns_path is not None and not spec.netns_path.exists():
            raise ResourcesUnavailable(f"network namespace {spec.netns_path} is not there")
        try:
            # Made at every boot: it follows this driver and this host as they are now.
            config = oci.config(spec, bundle / "rootfs", self.container_cgroups(instance_id))
            _write_json(bundle / "config.json", config)
            overlay.mount(spec.image_root, bundle / "upper", bundle / "work", bundle / "rootfs")
            console.spawn(bundle)
            self.runtime.create(container, bundle, console.SOCKET, console.INIT_PID)
            self.runtime.start(container)
        except (runc.RuntimeFailed, OSError) as error:
            self._teardown(instance_id)
            if isinstance(error, OSError):
                raise _os_error(error, "cannot boot the instance") from error
            raise BuildAborted(f"cannot boot the instance: {error.message}") from error

    def _kill_now(self, instance_id: str) -> None:
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
            overlay.unmount(bundle / "rootfs")

    def _remove(self, instance_id: str) -> None:
        bundle = self.bundle(instance_id)
        if not bundle.exists():
            return
        overlay.unmount(bundle / "rootfs")
        if overlay.is_mounted(bundle / "rootfs"):  # never delete through into an image
            raise OSError(errno.EBUSY, "still mounted", str(bundle / "rootfs"))
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


def _spec_json(spec: InstanceSpec) -> dict[str, Any]:
    fields: dict[str, Any] = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    fields["image_root"] = str(spec.image_root)
    fields["netns_path"] = None if spec.netns_path is None else str(spec.netns_path)
    fields["hosts"], fields["environment"] = dict(spec.hosts), dict(spec.environment)
    fields["cpus"] = list(spec.cpus)
    return fields


def _load_spec(path: Path) -> InstanceSpec:
    fields = json.loads(path.read_text())
    netns = fields["netns_path"]
    return InstanceSpec(
        **{
            **fields,
            "image_root": Path(fields["image_root"]),
            "netns_path": None if netns is None else Path(netns),
            "cpus": tuple(fields["cpus"]),
        }
    )


def _write_json(path: Path, value: dict[str, Any]) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(value, indent=1))
    partial.replace(path)
