"""Placement: whether the host has room for an instance, with allocation ratios as
OpenStack's scheduler has them (CPU 16:1, memory 1.5:1 by default).

An instance holds its vCPUs and memory from insert or start until it is stopped,
suspended or deleted. Shared-core types hold the fraction of a core they are
guaranteed. When a standard instance does not fit, running Spot and preemptible
instances are taken back to make room (the newest first, as they have run the least);
when nothing can make room the request fails with ``ZONE_RESOURCE_POOL_EXHAUSTED``.

Placement is decided inside the write transaction that admits the instance, so two
concurrent inserts cannot both take the last room (SQLite serializes writers;
PostgreSQL callers lock the host's instances with FOR UPDATE).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import NimbusError, Unavailable
from nimbus.services.compute import instance_states as st
from nimbus.services.compute import machine_types
from nimbus.store.models import Instance

POOL_EXHAUSTED = "ZONE_RESOURCE_POOL_EXHAUSTED"
# States in which an instance holds host resources.
HOLDING = (st.PROVISIONING, st.STAGING, st.RUNNING, st.STOPPING, st.SUSPENDING)


@dataclass(frozen=True)
class HostCapacity:
    """What the scheduler may hand out on this host: its resources times the ratios."""

    vcpus: float
    memory_mb: float

    @classmethod
    def of_this_host(cls, cpu_ratio: float, ram_ratio: float) -> HostCapacity:
        cpus = len(os.sched_getaffinity(0))
        return cls(vcpus=cpus * cpu_ratio, memory_mb=_host_memory_mb() * ram_ratio)


@dataclass(frozen=True)
class Demand:
    vcpus: float
    memory_mb: int

    @classmethod
    def of(cls, machine_type: str, guest_cpus: float, memory_mb: int) -> Demand:
        return cls(_held_cpus(machine_type, guest_cpus), memory_mb)


def pool_exhausted(zone: str, project_id: str) -> NimbusError:
    return Unavailable(
        f"The zone 'projects/{project_id}/zones/{zone}' does not have enough resources "
        "available to fulfill the request.  Try a different zone, or try again later.",
        reason=POOL_EXHAUSTED,
    )


def reclaimable(scheduling: dict[str, Any]) -> bool:
    """Spot or preemptible: Nimbus may take it back."""
    return bool(scheduling.get("preemptible")) or scheduling.get("provisioningModel") == "SPOT"


def is_spot(instance: Instance) -> bool:
    return reclaimable(instance.scheduling or {})


def admit(
    session: Session,
    capacity: HostCapacity,
    demand: Demand,
    *,
    spot: bool,
    zone: str,
    project_id: str,
    exclude: int | None = None,
) -> list[Instance]:
    """Room for ``demand``: the instances to preempt for it (often none), or raise
    ``ZONE_RESOURCE_POOL_EXHAUSTED``. The caller marks the victims in the same
    transaction."""
    # A stopped or suspended instance asked to start holds its room already.
    query = select(Instance).where(
        Instance.status.in_(HOLDING) | (Instance.desired_status == st.WANT_RUNNING),
        Instance.preempt_requested.is_(False),
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    holders = [i for i in session.scalars(query) if i.id != exclude]
    used_cpus = sum(_held_cpus(i.machine_type, i.vcpus) for i in holders)
    used_memory = sum(i.memory_mb for i in holders)

    def fits(cpus: float, memory: float) -> bool:
        return (
            cpus + demand.vcpus <= capacity.vcpus + 1e-9
            and memory + demand.memory_mb <= capacity.memory_mb
        )

    if fits(used_cpus, used_memory):
        return []
    if not spot:
        victims: list[Instance] = []
        candidates = sorted(
            (i for i in holders if is_spot(i) and i.status in HOLDING),
            key=lambda i: i.last_start_time or i.creation_time,
            reverse=True,
        )
        for victim in candidates:
            victims.append(victim)
            used_cpus -= _held_cpus(victim.machine_type, victim.vcpus)
            used_memory -= victim.memory_mb
            if fits(used_cpus, used_memory):
                return victims
    raise pool_exhausted(zone, project_id)


def _held_cpus(machine_type: str, guest_cpus: float) -> float:
    try:
        kind = machine_types.machine_type(machine_type)
    except NimbusError:
        return guest_cpus
    return kind.cpu_fraction if kind.shared_cpu else guest_cpus


def _host_memory_mb() -> float:
    with Path("/proc/meminfo").open() as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    return 0.0
