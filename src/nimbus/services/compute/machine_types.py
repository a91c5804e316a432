"""Google's machine-type catalog, with its real figures, the same in every zone.

Shared-core E2 types (micro, small, medium) have 2 vCPUs sharing a fraction of a core;
``cpu_fraction`` says how much, for cgroup quotas and billing later. ``custom-C-M``
(and ``e2-custom-``, ``n1-custom-``, ``n2-custom-``) types are made on demand, within
Google's rules.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from nimbus.core.errors import InvalidArgument, NotFound


@dataclass(frozen=True)
class MachineType:
    name: str
    guest_cpus: int
    memory_mb: int
    description: str
    shared_cpu: bool = False
    cpu_fraction: float = 1.0
    maximum_persistent_disks: int = 128

    @property
    def id(self) -> int:
        return 1000 + int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:4], "big")


def _gb(memory_mb: int) -> str:
    return f"{round(memory_mb / 1024, 2):g}"


def _family(
    prefix: str, label: str, sizes: tuple[int, ...], mb_per_cpu: float
) -> list[MachineType]:
    types = []
    for cpus in sizes:
        memory = int(cpus * mb_per_cpu)
        noun = "vCPU" if cpus == 1 else "vCPUs"
        types.append(
            MachineType(
                f"{prefix}-{cpus}",
                cpus,
                memory,
                f"{label}{cpus} {noun}, {_gb(memory)} GB RAM",
            )
        )
    return types


_EFFICIENT = "Efficient Instance, 2 vCPU ({share} shared physical core) and {gb} GB RAM"
_E2_SHARED = [
    MachineType("e2-micro", 2, 1024, _EFFICIENT.format(share="1/4", gb=1), True, 0.25, 16),
    MachineType("e2-small", 2, 2048, _EFFICIENT.format(share="1/2", gb=2), True, 0.5, 16),
    MachineType("e2-medium", 2, 4096, _EFFICIENT.format(share="1", gb=4), True, 1.0, 16),
    MachineType("f1-micro", 1, 614, "1 vCPU (shared physical core) and 0.6 GB RAM", True, 0.2, 16),
    MachineType("g1-small", 1, 1740, "1 vCPU (shared physical core) and 1.7 GB RAM", True, 0.5, 16),
]

CATALOG: dict[str, MachineType] = {
    t.name: t
    for t in [
        *_E2_SHARED,
        *_family("e2-standard", "Efficient Instance, ", (2, 4, 8, 16, 32), 4096),
        *_family("e2-highmem", "Efficient Instance, ", (2, 4, 8, 16), 8192),
        *_family("e2-highcpu", "Efficient Instance, ", (2, 4, 8, 16, 32), 1024),
        *_family("n1-standard", "", (1, 2, 4, 8, 16, 32, 64, 96), 3840),
        *_family("n1-highmem", "", (2, 4, 8, 16, 32, 64, 96), 6656),
        *_family("n1-highcpu", "", (2, 4, 8, 16, 32, 64, 96), 921.6),
        *_family("n2-standard", "", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128), 4096),
        *_family("n2-highmem", "", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128), 8192),
        *_family("n2-highcpu", "", (2, 4, 8, 16, 32, 48, 64, 80, 96), 1024),
    ]
}

_CUSTOM = re.compile(r"^(?:(e2|n1|n2)-)?custom-(\d+)-(\d+)(-ext)?$")
# Google's per-family bounds: (max vCPUs, min MB per vCPU, max MB per vCPU).
_CUSTOM_BOUNDS = {"n1": (96, 922, 6656), "e2": (32, 512, 8192), "n2": (80, 512, 8192)}


def custom(name: str) -> MachineType:
    match = _CUSTOM.match(name)
    if match is None:
        raise NotFound(f"The resource 'machineTypes/{name}' was not found")
    family, cpus_text, memory_text, extended = match.groups()
    cpus, memory = int(cpus_text), int(memory_text)
    max_cpus, min_per_cpu, max_per_cpu = _CUSTOM_BOUNDS[family or "n1"]
    if cpus < 1 or cpus > max_cpus or (cpus > 1 and cpus % 2):
        raise InvalidArgument(
            f"Invalid custom machine type '{name}': vCPUs must be 1 or an even number up to "
            f"{max_cpus}."
        )
    if memory % 256:
        raise InvalidArgument(
            f"Invalid custom machine type '{name}': memory must be a multiple of 256 MB."
        )
    per_cpu = memory / cpus
    if per_cpu < min_per_cpu or (per_cpu > max_per_cpu and not extended):
        raise InvalidArgument(
            f"Invalid custom machine type '{name}': memory per vCPU must be between "
            f"{min_per_cpu} and {max_per_cpu} MB."
        )
    noun = "vCPU" if cpus == 1 else "vCPUs"
    return MachineType(
        name, cpus, memory, f"Custom machine type with {cpus} {noun} and {_gb(memory)} GB RAM"
    )


def machine_type(name: str) -> MachineType:
    found = CATALOG.get(name)
    return found if found is not None else custom(name)
