"""The OCI runtime configuration (config.json) of an instance: systemd as init in a
system container, limited to its machine type.

systemd needs, besides the usual /proc, /dev and /sys: tmpfs on /run, /run/lock and
/tmp, and a cgroup hierarchy it may write to for its own subtree. Every other cgroup
controller stays read-only, so the instance cannot raise its own limits.

Persistent disks come in through two host directories (see
:mod:`nimbus.runtime.instancedisks`): /mnt/disks receives, as a slave of the host's
mount, every disk mounted there later (hot plug); /dev/disk/by-id is read-only.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.runtime import seccomp
from nimbus.runtime.cgroups import ContainerCgroups, Layout
from nimbus.runtime.driver import InstanceSpec

CPU_PERIOD_US = 100_000
# systemd's "halt" request; what a container manager sends to stop it cleanly.
STOP_SIGNAL = signal.SIGRTMIN + 3
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's default set: what an ordinary root needs (sshd, su, chown, ping), without
# CAP_SYS_ADMIN, CAP_NET_ADMIN (the firewall lives in the instance's network namespace)
# or anything that reaches the host.
CAPABILITIES = [
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_RAW",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
]

_MASKED = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
]
_READ_ONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def short_hostname(hostname: str) -> str:
    return hostname.split(".", 1)[0]


def pids_limit(memory_mb: int) -> int:
    # A fork bomb stops here; a large machine type still runs many threads.
    return max(1024, memory_mb)


@dataclass(frozen=True)
class DiskDirectories:
    """Host directories the guest sees as /mnt/disks and /dev/disk/by-id."""

    mounts: Path
    ids: Path


def config(
    spec: InstanceSpec,
    rootfs: Path,
    cgroups: ContainerCgroups,
    disks: DiskDirectories | None = None,
) -> dict[str, Any]:
    return {
        "ociVersion": "1.0.2",
        "process": _process(spec),
        "root": {"path": str(rootfs), "readonly": False},
        "hostname": short_hostname(spec.hostname),
        "mounts": _mounts(cgroups) + _disk_mounts(disks),
        "linux": {
            "cgroupsPath": cgroups.path,
            "resources": _resources(spec),
            "namespaces": _namespaces(spec),
            "seccomp": seccomp.profile(),
            "maskedPaths": _MASKED,
            "readonlyPaths": _READ_ONLY,
        },
    }


def _process(spec: InstanceSpec) -> dict[str, Any]:
    environment = {"PATH": PATH, **spec.environment, "container": "nimbus"}
    return {
        "terminal": True,
        "user": {"uid": 0, "gid": 0},
        "args": ["/sbin/init"],
        "env": [f"{key}={value}" for key, value in environment.items()],
        "cwd": "/",
        # No inheritable set: with it, unprivileged programs could gain capabilities.
        "capabilities": {kind: CAPABILITIES for kind in ("bounding", "effective", "permitted")},
        # su, sudo and setuid programs must work as on any machine.
        "noNewPrivileges": False,
    }


def _mounts(cgroups: ContainerCgroups) -> list[dict[str, Any]]:
    mounts = [
        _mount("/proc", "proc"),
        _mount("/dev", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
        _mount("/dev/pts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
               "mode=0620", "gid=5"),
        _mount("/dev/shm", "tmpfs", "nosuid", "nodev", "noexec", "mode=1777"),
        _mount("/dev/mqueue", "mqueue", "nosuid", "nodev", "noexec"),
        _mount("/sys", "sysfs", "nosuid", "nodev", "noexec", "ro"),
        _cgroup_mount(cgroups.layout),
        _mount("/run", "tmpfs", "nosuid", "nodev", "mode=755"),
        _mount("/run/lock", "tmpfs", "nosuid", "nodev", "noexec", "mode=1777", "size=5m"),
        _mount("/tmp", "tmpfs", "nosuid", "nodev", "mode=1777"),
    ]  # fmt: skip
    if cgroups.layout is not Layout.UNIFIED:
        # Over the read-only name=systemd hierarchy: its own subtree, writable.
        mounts.append(
            _mount("/sys/fs/cgroup/systemd", "bind", "rbind", "nosuid", "nodev", "noexec",
                   "rw", source=str(cgroups.systemd_dir))
        )  # fmt: skip
    return mounts


def _disk_mounts(disks: DiskDirectories | None) -> list[dict[str, Any]]:
    if disks is None:
        return []
    return [
        # Read-only itself; each disk mounted under it keeps its own access.
        _mount("/mnt/disks", "bind", "rbind", "ro", "nosuid", "nodev", "rslave",
               source=str(disks.mounts)),
        _mount("/dev/disk/by-id", "bind", "bind", "ro", "nosuid", "nodev", "noexec",
               source=str(disks.ids)),
    ]  # fmt: skip


def _mount(destination: str, kind: str, *options: str, source: str = "") -> dict[str, Any]:
    return {
        "destination": destination,
        "type": kind,
        "source": source or kind,
        "options": list(options),
    }


def _cgroup_mount(layout: Layout) -> dict[str, Any]:
    # On cgroup v2 the kernel refuses writes to the namespace root's own limits, so the
    # whole mount may be writable; on v1 it must not be.
    access = "rw" if layout is Layout.UNIFIED else "ro"
    return _mount("/sys/fs/cgroup", "cgroup", "nosuid", "nodev", "noexec", "relatime", access)


def _resources(spec: InstanceSpec) -> dict[str, Any]:
    memory = spec.memory_mb * 1024 * 1024
    resources: dict[str, Any] = {
        "devices": [{"allow": False, "access": "rwm"}],
        # swap equal to the limit: no swap, the OOM killer acts inside at the limit.
        "memory": {"limit": memory, "swap": memory},
        "cpu": {
            "quota": round(spec.vcpus * CPU_PERIOD_US),
            "period": CPU_PERIOD_US,
            "shares": max(2, round((spec.cpu_share or spec.vcpus) * 1024)),
        },
        "pids": {"limit": pids_limit(spec.memory_mb)},
    }
    if spec.cpus:
        resources["cpu"]["cpus"] = ",".join(str(cpu) for cpu in sorted(spec.cpus))
    return resources


def _namespaces(spec: InstanceSpec) -> list[dict[str, str]]:
    namespaces = [{"type": kind} for kind in ("pid", "mount", "uts", "ipc", "cgroup")]
    network = {"type": "network"}
    if spec.netns_path is not None:
        network["path"] = str(spec.netns_path)
    return [*namespaces, network]
