"""What the host's cgroups look like, and what a container's cgroups say about it.

We never change the host's cgroup setup: we detect it once and adapt the container's
configuration (systemd inside needs a writable hierarchy of its own) and where we read
statistics from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CGROUP2_MAGIC = 0x63677270


class Layout(enum.Enum):
    LEGACY = "legacy"  # cgroup v1 only
    HYBRID = "hybrid"  # v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified
    UNIFIED = "unified"  # cgroup v2 only


def detect_layout(root: Path = CGROUP_ROOT) -> Layout:
    if _is_cgroup2(root):
        return Layout.UNIFIED
    if _is_cgroup2(root / "unified"):
        return Layout.HYBRID
    return Layout.LEGACY


def _is_cgroup2(path: Path) -> bool:
    # statvfs carries no filesystem type; /proc/self/mounts does.
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    return any(
        fields[1] == str(path) and fields[2] == "cgroup2"
        for fields in (line.split() for line in mounts)
        if len(fields) > 2
    )


@dataclass(frozen=True)
class ContainerCgroups:
    """The cgroups the OCI runtime made for one container (``linux.cgroupsPath``)."""

    layout: Layout
    path: str  # absolute inside each hierarchy, e.g. "/nimbus/3f2a-1234"
    root: Path = CGROUP_ROOT

    def _dir(self, controller: str) -> Path:
        relative = self.path.lstrip("/")
        if self.layout is Layout.UNIFIED:
            return self.root / relative
        return self.root / controller / relative

    @property
    def systemd_dir(self) -> Path:
        """The container's own subtree of the name=systemd hierarchy (v1 and hybrid)."""
        return self._dir("systemd")

    def exists(self) -> bool:
        return self._dir("memory").is_dir()

    def cpu_seconds(self) -> float:
        if self.layout is Layout.UNIFIED:
            usage = _keyed(self._dir("cpu") / "cpu.stat")["usage_usec"]
            return usage / 1e6
        return int((self._dir("cpuacct") / "cpuacct.usage").read_text()) / 1e9

    def memory_bytes(self) -> int:
        if self.layout is Layout.UNIFIED:
            return int((self._dir("memory") / "memory.current").read_text())
        return int((self._dir("memory") / "memory.usage_in_bytes").read_text())

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer ended inside this container."""
        name = "memory.events" if self.layout is Layout.UNIFIED else "memory.oom_control"
        return _keyed(self._dir("memory") / name).get("oom_kill", 0)


def _keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[key] = int(value)
    return values


def online_cpus(path: Path = Path("/sys/devices/system/cpu/online")) -> set[int]:
    """The host's online CPUs ("0-3,6" in sysfs)."""
    cpus: set[int] = set()
    for part in path.read_text().strip().split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus
