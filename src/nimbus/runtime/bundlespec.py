"""An instance's spec as its bundle keeps it (``spec.json``): what it was created from,
and the disks attached since, so that every boot, and a restarted server, finds them.

Files are replaced whole (written aside, then renamed), so a crash leaves the old spec
or the new one, never half of either.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from nimbus.runtime.driver import DiskAttachment, InstanceSpec


def save(path: Path, spec: InstanceSpec) -> None:
    write_json(path, to_json(spec))


def load(path: Path) -> InstanceSpec:
    fields = json.loads(path.read_text())
    netns = fields["netns_path"]
    return InstanceSpec(
        **{
            **fields,
            "image_root": Path(fields["image_root"]),
            "netns_path": None if netns is None else Path(netns),
            "cpus": tuple(fields.get("cpus", ())),
            "nameservers": tuple(fields.get("nameservers", ())),
            "search_domains": tuple(fields.get("search_domains", ())),
            # Bundles made before disks existed have none.
            "disks": tuple(_disk(disk) for disk in fields.get("disks", ())),
        }
    )


def to_json(spec: InstanceSpec) -> dict[str, Any]:
    fields: dict[str, Any] = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    fields["image_root"] = str(spec.image_root)
    fields["netns_path"] = None if spec.netns_path is None else str(spec.netns_path)
    fields["hosts"], fields["environment"] = dict(spec.hosts), dict(spec.environment)
    fields["cpus"] = list(spec.cpus)
    fields["nameservers"], fields["search_domains"] = (
        list(spec.nameservers),
        list(spec.search_domains),
    )
    fields["disks"] = [
        {
            **dataclasses.asdict(disk),
            "path": str(disk.path),
            "image_root": None if disk.image_root is None else str(disk.image_root),
        }
        for disk in spec.disks
    ]
    return fields


def write_json(path: Path, value: dict[str, Any]) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(value, indent=1))
    partial.replace(path)


def _disk(fields: dict[str, Any]) -> DiskAttachment:
    image_root = fields.get("image_root")
    return DiskAttachment(
        device_name=fields["device_name"],
        path=Path(fields["path"]),
        read_only=bool(fields.get("read_only", False)),
        boot=bool(fields.get("boot", False)),
        image_root=None if image_root is None else Path(image_root),
    )
