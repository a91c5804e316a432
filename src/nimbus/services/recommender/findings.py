"""A finding: one piece of waste (or exposure) a recommender sees, with its saving, the
operations that would remove it (Google's JSON-Patch-like shape) and the ``nimbus``
command that does so."""

from __future__ import annotations

import hashlib
import json
import shlex
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from nimbus.services.recommender.money import cost_projection

COST = "COST"
SECURITY = "SECURITY"
COMPUTE = "//compute.googleapis.com"
STORAGE = "//storage.googleapis.com"
# Ids are UUIDs derived from what is recommended, so the same waste keeps its id.
_IDS = uuid.UUID("6c1f2a8e-4b7d-5e90-9a3c-2d4e6f8a0b1c")
# Monthly savings (USD) from which a cost recommendation gets each priority.
_PRIORITIES = ((Decimal(100), "P1"), (Decimal(20), "P2"), (Decimal(1), "P3"))


class Prices(Protocol):
    """What the recommender asks the price catalog: USD per 730-hour month."""

    def monthly_instance_cost(
        self,
        machine_type: str,
        vcpus: float,
        memory_mb: int,
        location: str,
        provisioning_model: str,
    ) -> Decimal: ...

    def monthly_disk_cost(self, disk_type: str, size_gb: float, location: str) -> Decimal: ...

    def monthly_snapshot_cost(self, size_gb: float, location: str = "global") -> Decimal: ...

    def monthly_storage_cost(
        self, storage_class: str, location: str, size_bytes: int
    ) -> Decimal: ...


def compute_resource(project_id: str, *path: str) -> str:
    return "/".join((COMPUTE, "projects", project_id, *path))


def bucket_resource(bucket: str) -> str:
    return f"{STORAGE}/projects/_/buckets/{bucket}"


def operation(
    action: str, resource_type: str, resource: str, path: str = "/", **extra: Any
) -> dict[str, Any]:
    """One of Google's recommendation operations (``value``, ``pathFilters``... in extra)."""
    return {
        "action": action,
        "resourceType": resource_type,
        "resource": resource,
        "path": path,
        **extra,
    }


def step(verb: str, *args: str) -> list[str]:
    """One command's words: ``step("compute disks delete", name, "--quiet")``."""
    return [*verb.split(), *args]


def command(*steps: Sequence[str]) -> str:
    """``nimbus`` command lines, run one after the other."""
    return " && ".join(shlex.join(["nimbus", *step]) for step in steps)


@dataclass(frozen=True)
class Finding:
    recommender: str
    subtype: str
    # A zone, a region or "global".
    location: str
    # What identifies the wasteful resource (its numeric id, or name and creation).
    key: str
    target: str
    description: str
    operations: tuple[dict[str, Any], ...]
    command: str
    category: str = COST
    # USD per 730-hour month (0 for security findings).
    saving: Decimal = Decimal(0)
    # What was observed (utilization...): shown, but changes to it keep the etag.
    facts: Mapping[str, Any] = field(default_factory=dict)
    security_details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_IDS, f"{self.recommender}|{self.subtype}|{self.key}"))

    @property
    def priority(self) -> str:
        if self.category == SECURITY:
            return "P1"
        return next((p for bound, p in _PRIORITIES if self.saving >= bound), "P4")

    def impact(self) -> dict[str, Any]:
        if self.category == SECURITY:
            return {
                "category": SECURITY,
                "securityProjection": {"details": dict(self.security_details)},
            }
        return {"category": COST, "costProjection": cost_projection(self.saving)}

    def content(self) -> dict[str, Any]:
        """The recommendation's own fields (name, state, etag and time are added later)."""
        return {
            "description": self.description,
            "recommenderSubtype": self.subtype,
            "primaryImpact": self.impact(),
            "priority": self.priority,
            "content": {
                "operationGroups": [{"operations": list(self.operations)}],
                "overview": {
                    "resource": self.target,
                    "resourceName": self.target.rsplit("/", 1)[-1],
                    "location": self.location,
                    "command": self.command,
                    **self.facts,
                },
            },
            "targetResources": [self.target],
            "associatedInsights": [],
            "xorGroupId": "",
        }

    def fingerprint(self) -> str:
        """Changes only when what is recommended changes (not with each new sample)."""
        stable = {k: v for k, v in self.content().items() if k != "content"}
        stable["operationGroups"] = [list(self.operations)]
        stable["command"] = self.command
        text = json.dumps(stable, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]
