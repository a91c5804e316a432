"""Findings about instances: idle ones (stop them), oversized ones (a smaller machine
type of the same series) and stopped ones still paying for their disks (delete them)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select

from nimbus.core.clock import rfc3339
from nimbus.services.compute import instance_states as st
from nimbus.services.compute import machine_types, usage
from nimbus.services.compute.machine_types import MachineType
from nimbus.services.recommender import thresholds as th
from nimbus.services.recommender.findings import (
    Finding,
    command,
    compute_resource,
    operation,
    step,
)
from nimbus.services.recommender.scope import Scope, priced
from nimbus.services.recommender.utilization import Utilization, summarize
from nimbus.store.models import Disk, DiskAttachment, Instance

IDLE_VM = "google.compute.instance.IdleResourceRecommender"
MACHINE_TYPE = "google.compute.instance.MachineTypeRecommender"
STOPPED_VM = "nimbus.compute.instance.StoppedResourceRecommender"
INSTANCE_TYPE = "compute.googleapis.com/Instance"
_MIB = 2**20


def _instances(scope: Scope, status: str) -> list[Instance]:
    return list(
        scope.session.scalars(
            select(Instance)
            .where(Instance.project_number == scope.project.number, Instance.status == status)
            .order_by(Instance.zone, Instance.name)
        )
    )


def _target(scope: Scope, instance: Instance) -> str:
    return compute_resource(scope.project_id, "zones", instance.zone, "instances", instance.name)


def _where(scope: Scope, instance: Instance) -> list[str]:
    return [f"--zone={instance.zone}", f"--project={scope.project_id}"]


def _machine_type(instance: Instance) -> str:
    return instance.machine_type.rsplit("/", 1)[-1]


def _monthly(
    scope: Scope, instance: Instance, machine_type: MachineType | None = None
) -> Decimal | None:
    name = machine_type.name if machine_type else _machine_type(instance)
    vcpus = machine_type.guest_cpus if machine_type else instance.vcpus
    memory = machine_type.memory_mb if machine_type else instance.memory_mb
    model = usage.provisioning_model(instance)
    return priced(scope.prices.monthly_instance_cost, name, vcpus, memory, instance.zone, model)


def _is_idle(used: Utilization | None) -> bool:
    return (
        used is not None
        and used.observed_seconds >= th.IDLE_VM_MIN_OBSERVED.total_seconds()
        and used.idle_share >= th.IDLE_VM_SHARE
    )


def _facts(used: Utilization, instance: Instance) -> dict[str, object]:
    return {
        "observedSeconds": round(used.observed_seconds),
        "idleShare": round(used.idle_share, 4),
        "meanVcpus": round(used.mean_vcpus, 4),
        "cpuUtilization": round(used.fraction_of(instance.vcpus), 4),
        "peakVcpus": round(used.peak_vcpus, 4),
        "peakMemoryBytes": used.peak_memory_bytes,
    }


def idle_instances(scope: Scope) -> Iterator[Finding]:
    running = _instances(scope, st.RUNNING)
    observed = summarize(scope.session, (i.id for i in running), scope.now - th.IDLE_VM_WINDOW)
    for instance in running:
        used = observed.get(instance.id)
        saving = _monthly(scope, instance)
        if used is None or not _is_idle(used) or saving is None:
            continue
        target = _target(scope, instance)
        yield Finding(
            recommender=IDLE_VM,
            subtype="STOP_VM",
            location=instance.zone,
            key=str(instance.id),
            target=target,
            description=f"Save cost by stopping Idle VM '{instance.name}'.",
            operations=(
                operation("test", INSTANCE_TYPE, target, "/status", value=st.RUNNING),
                operation("replace", INSTANCE_TYPE, target, "/status", value=st.TERMINATED),
            ),
            command=command(
                step("compute instances stop", instance.name, *_where(scope, instance))
            ),
            saving=saving,
            facts=_facts(used, instance),
        )


def _smaller(current: MachineType, used: Utilization) -> list[MachineType]:
    """Predefined types of the same series that hold what was used, with headroom."""
    series = current.name.split("-", 1)[0]
    cpu_needed = used.peak_vcpus / th.MACHINE_TYPE_TARGET_USE
    memory_needed = used.peak_memory_bytes / th.MACHINE_TYPE_TARGET_USE
    return [
        candidate
        for candidate in machine_types.CATALOG.values()
        if candidate.name.split("-", 1)[0] == series
        and candidate.name != current.name
        and candidate.guest_cpus <= current.guest_cpus
        and candidate.memory_mb <= current.memory_mb
        and candidate.guest_cpus * candidate.cpu_fraction >= cpu_needed
        and candidate.memory_mb * _MIB >= memory_needed
    ]


def oversized_instances(scope: Scope) -> Iterator[Finding]:
    running = _instances(scope, st.RUNNING)
    ids = [i.id for i in running]
    idle_window = summarize(scope.session, ids, scope.now - th.IDLE_VM_WINDOW)
    observed = summarize(scope.session, ids, scope.now - th.MACHINE_TYPE_WINDOW)
    for instance in running:
        used = observed.get(instance.id)
        current = machine_types.CATALOG.get(_machine_type(instance))
        if (
            used is None
            or current is None
            or _is_idle(idle_window.get(instance.id))
            or used.observed_seconds < th.MACHINE_TYPE_MIN_OBSERVED.total_seconds()
        ):
            continue
        cost = _monthly(scope, instance)
        priced_candidates = [
            (price, candidate)
            for candidate in _smaller(current, used)
            if (price := _monthly(scope, instance, candidate)) is not None
        ]
        if cost is None or not priced_candidates:
            continue
        price, best = min(priced_candidates, key=lambda pair: (pair[0], pair[1].guest_cpus))
        if price >= cost:
            continue
        yield _resize(scope, instance, best, cost - price, used)


def _resize(
    scope: Scope, instance: Instance, best: MachineType, saving: Decimal, used: Utilization
) -> Finding:
    target = _target(scope, instance)
    old = f"zones/{instance.zone}/machineTypes/{_machine_type(instance)}"
    new = f"zones/{instance.zone}/machineTypes/{best.name}"
    where = _where(scope, instance)
    return Finding(
        recommender=MACHINE_TYPE,
        subtype="CHANGE_MACHINE_TYPE",
        location=instance.zone,
        key=f"{instance.id}/{best.name}",
        target=target,
        description=(
            f"Save cost by changing machine type from {_machine_type(instance)} to {best.name}."
        ),
        operations=(
            operation("test", INSTANCE_TYPE, target, "/machineType", value=old),
            operation("replace", INSTANCE_TYPE, target, "/machineType", value=new),
        ),
        command=command(
            step("compute instances stop", instance.name, *where),
            step(
                "compute instances set-machine-type",
                instance.name,
                f"--machine-type={best.name}",
                *where,
            ),
            step("compute instances start", instance.name, *where),
        ),
        saving=saving,
        facts={**_facts(used, instance), "recommendedMachineType": best.name},
    )


def stopped_instances(scope: Scope) -> Iterator[Finding]:
    cutoff = scope.now - th.STOPPED_VM_AGE
    for instance in _instances(scope, st.TERMINATED):
        stopped = instance.last_stop_time or instance.creation_time
        if stopped > cutoff:
            continue
        disks = scope.session.execute(
            select(Disk, DiskAttachment.auto_delete)
            .join(DiskAttachment, DiskAttachment.disk_id == Disk.id)
            .where(DiskAttachment.instance_id == instance.id)
            .order_by(Disk.name)
        ).all()
        costs = [
            priced(scope.prices.monthly_disk_cost, disk.disk_type, disk.size_gb, disk.zone)
            for disk, auto_delete in disks
            if auto_delete
        ]
        if any(cost is None for cost in costs):
            continue
        target = _target(scope, instance)
        yield Finding(
            recommender=STOPPED_VM,
            subtype="DELETE_VM",
            location=instance.zone,
            key=str(instance.id),
            target=target,
            description=(
                f"Save cost by deleting VM '{instance.name}', stopped since "
                f"{rfc3339(stopped)}: its disks are still billed."
            ),
            operations=(
                operation("test", INSTANCE_TYPE, target, "/status", value=st.TERMINATED),
                operation("remove", INSTANCE_TYPE, target),
            ),
            command=command(
                step("compute instances delete", instance.name, *_where(scope, instance), "--quiet")
            ),
            saving=sum((c for c in costs if c is not None), Decimal(0)),
            facts={
                "stoppedSince": rfc3339(stopped),
                "deletedWithIt": [disk.name for disk, auto_delete in disks if auto_delete],
                "keptDisks": [disk.name for disk, auto_delete in disks if not auto_delete],
            },
        )
